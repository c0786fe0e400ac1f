/**
 * The policy's `[[service]]` entries: a service by exact `name` or by anchored
 * `pattern`, the actions allowed on it, and optionally the `log` file its
 * `log` action reads (below --root). Absent: no `service.*` method is granted.
 */
import { lstatSync } from "node:fs";
import path from "node:path";
import { SERVICE_ACTIONS, SERVICE_NAME_PATTERN, type ServiceAction } from "@machina/protocol";
import { policyPathProblem } from "../policy/policy-path.js";
import type { PolicyRegex, PolicyValidator, TomlTable } from "../policy/policy-validator.js";
import { explainServiceEntryOptions, parseServiceEntryOptions, SERVICE_ENTRY_OPTION_KEYS, type ServiceEntryOptions } from "./service-entry-options.js";
import { reportBackendClashes } from "./service-routing.js";

export interface ServiceRule extends ServiceEntryOptions {
  /** Exactly one of name and pattern is set. */
  name?: string;
  pattern?: PolicyRegex;
  actions: ServiceAction[];
  /** The service's log file, absolute and normalised, below --root; else `log` reads the backend's own log (the journal). */
  log?: string;
}

export interface ServiceSection {
  rules: ServiceRule[];
}

const SERVICE_NAME = new RegExp(SERVICE_NAME_PATTERN);

export function parseServiceSection(doc: TomlTable, v: PolicyValidator, options: { root?: string } = {}): ServiceSection {
  const rules: ServiceRule[] = [];
  const keys: string[] = [];
  v.tables(doc.service, "service", "service").forEach((t, i) => {
    const key = `service[${i}]`;
    v.keys(t, key, ["name", "pattern", "actions", "log", ...SERVICE_ENTRY_OPTION_KEYS]);
    const entryOptions = parseServiceEntryOptions(t, key, v);
    const log = parseLogFile(t, key, v, options.root);
    if (log === null) return;
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
      if (!entryOptions) return;
      rules.push({ name, actions, ...entryOptions, ...(log !== undefined ? { log } : {}) });
      keys.push(key);
    } else if (patternSource !== undefined) {
      const pattern = v.anchoredRegex(patternSource, `${key}.pattern`);
      if (!pattern || !entryOptions) return;
      rules.push({ pattern, actions, ...entryOptions, ...(log !== undefined ? { log } : {}) });
      keys.push(key);
    }
    if (log !== undefined && !actions.includes("log")) v.warn(`${key}.log`, `names a log file, but its actions do not include "log": nothing reads it`);
  });
  reportBackendClashes(rules, keys, v);
  return { rules };
}

/** The entry's `log` path; undefined when absent, null when invalid (reported). */
function parseLogFile(t: TomlTable, key: string, v: PolicyValidator, root: string | undefined): string | undefined | null {
  const log = v.string(t, key, "log");
  if (log === undefined) return t.log === undefined ? undefined : null;
  const problem = policyPathProblem(log);
  if (problem) {
    v.error(`${key}.log`, `log file path ${JSON.stringify(log)} ${problem}`);
    return null;
  }
  if (root !== undefined && !lstatSync(path.join(root, log), { throwIfNoEntry: false })) v.warn(`${key}.log`, `${path.join(root, log)} does not exist (yet)`);
  return log;
}

export function explainServiceSection(section: ServiceSection): string[] {
  const lines = [section.rules.length ? "Services:" : "Services: none."];
  for (const s of section.rules) {
    const { note, lines: more } = explainServiceEntryOptions(s, s.actions);
    const log = !s.actions.includes("log")
      ? ""
      : s.log !== undefined
        ? ` (log: the file ${s.log} below --root)`
        : s.backend === "supervisor"
          ? " (log: the program's stdout log, through supervisord)"
          : " (log: the systemd journal of the unit; init scripts need a log file)";
    lines.push(`  ${s.name ?? `names matching ${s.pattern!.source}`}${note}: ${s.actions.join(", ")}${log}`, ...more);
  }
  if (section.rules.length) lines.push("  (systemd: names are full unit names, `nginx` meaning `nginx.service`; patterns are matched against them)");
  if (section.rules.some((s) => s.backend === "supervisor")) {
    lines.push("  ([supervisor]: supervisord's processes, `program` or `group:program`, through its socket; entries without it use the daemon's own backend)");
  }
  const actions = new Set(section.rules.flatMap((r) => r.actions));
  if (actions.has("enable") || actions.has("disable")) {
    lines.push("  (enable/disable change what starts at boot: systemd's unit-file links, or /etc/rc?.d through update-rc.d; supervisord's autostart is configuration, refused)");
  }
  if (actions.has("log")) lines.push("  (log reads the last lines of a service's log; a failed start, restart or reload then also carries its last 25 lines)");
  return lines;
}
