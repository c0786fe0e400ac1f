/**
 * The policy's `[timezone]` table: present, the timezone may be read;
 * `set = true`, it may be set too. Absent: neither.
 */
import type { PolicyValidator, TomlTable } from "../policy/policy-validator.js";

export interface TimezoneSection {
  get: boolean;
  set: boolean;
}

export function parseTimezoneSection(doc: TomlTable, v: PolicyValidator): TimezoneSection {
  if (doc.timezone === undefined) return { get: false, set: false };
  const t = v.table(doc.timezone, "timezone");
  if (!t) return { get: false, set: false };
  v.keys(t, "timezone", ["set"]);
  return { get: true, set: v.bool(t, "timezone", "set", false) };
}

export function explainTimezoneSection(section: TimezoneSection): string[] {
  const lines = [`Timezone: ${section.set ? "read and set" : section.get ? "read only" : "no access"}`];
  if (section.set) lines.push("  (any zone of the system's tz database; timedatectl under systemd, else /etc/localtime and /etc/timezone below --root)");
  return lines;
}
