/**
 * The policy's `[[service]]` entries: a service by exact `name` or by anchored
 * `pattern`, and the actions allowed on it. Absent: no `service.*` method is
 * granted.
 */
import { SERVICE_ACTIONS, SERVICE_NAME_PATTERN, type ServiceAction } from "@machina/protocol";
import type { PolicyRegex, PolicyValidator, TomlTable } from "../policy/policy-validator.js";
import { explainServiceEntryOptions, parseServiceEntryOptions, SERVICE_ENTRY_OPTION_KEYS, type ServiceEntryOptions } from "./service-entry-options.js";
import { reportBackendClashes } from "./service-routing.js";

export interface ServiceRule extends ServiceEntryOptions {
  /** Exactly one of name and pattern is set. */
  name?: string;
  pattern?: PolicyRegex;
  actions: ServiceAction[];
}

export interface ServiceSection {
  rules: ServiceRule[];
}

const SERVICE_NAME = new RegExp(SERVICE_NAME_PATTERN);

export function parseServiceSection(doc: TomlTable, v: PolicyValidator): ServiceSection {
  const rules: ServiceRule[] = [];
  const keys: string[] = [];
  v.tables(doc.service, "service", "service").forEach((t, i) => {
    const key = `service[${i}]`;
    v.keys(t, key, ["name", "pattern", "actions", ...SERVICE_ENTRY_OPTION_KEYS]);
    const options = parseServiceEntryOptions(t, key, v);
    const name = v.string(t, key, "name");
    const patternSource = v.string(t, key, "pattern");
    if ((name === undefined) === (patternSource === undefined)) {
      if (t.name === undefined && t.pattern === undefined) v.error(key, "needs exactly one of name and pattern");
      else if (t.name !== undefined && t.pattern !== undefined) v.error(`${key}.pattern`, "give either name or pattern, not both");
      return;
    }
    const actions = v.strings(t, key, "actions", [], (a, k) => {
      if ((SERVICE_ACTIONS as readonly string[]).includes(a)) return true;
      v.error(k, `unknown action ${JSON.stringify(a)} (one of ${SERVICE_ACTIONS.join(", ")})`);
      return false;
    }) as ServiceAction[];
    if (t.actions === undefined) v.error(key, "missing actions");
    else if (Array.isArray(t.actions) && t.actions.length === 0) v.warn(`${key}.actions`, "no actions: this rule allows nothing");
    if (name !== undefined) {
      if (!SERVICE_NAME.test(name)) {
        v.error(`${key}.name`, `${JSON.stringify(name)} is not a service name`);
        return;
      }
      if (!options) return;
      rules.push({ name, actions, ...options });
      keys.push(key);
    } else if (patternSource !== undefined) {
      const pattern = v.anchoredRegex(patternSource, `${key}.pattern`);
      if (!pattern || !options) return;
      rules.push({ pattern, actions, ...options });
      keys.push(key);
    }
  });
  reportBackendClashes(rules, keys, v);
  return { rules };
}

export function explainServiceSection(section: ServiceSection): string[] {
  const lines = [section.rules.length ? "Services:" : "Services: none."];
  for (const s of section.rules) {
    const { note, lines: more } = explainServiceEntryOptions(s, s.actions);
    lines.push(`  ${s.name ?? `names matching ${s.pattern!.source}`}${note}: ${s.actions.join(", ")}`, ...more);
  }
  if (section.rules.length) lines.push("  (systemd: names are full unit names, `nginx` meaning `nginx.service`; patterns are matched against them)");
  if (section.rules.some((s) => s.backend === "supervisor")) {
    lines.push("  ([supervisor]: supervisord's processes, `program` or `group:program`, through its socket; entries without it use the daemon's own backend)");
  }
  return lines;
}
