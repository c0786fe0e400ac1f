/*
 * Reading and validating the policy file. Validation is strict — unknown keys
 * and wrong types are errors, not ignored — because a typo in a default-deny
 * policy must not silently grant or withhold something the reviewer thinks it
 * says. All problems are collected so `machinad policy check` can list them at
 * once; any error makes parsePolicy throw, and the daemon refuses to start.
 */
import { lstatSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse, TomlError } from "smol-toml";
import { escapeLabel } from "./augeas-label.js";
import { compileNodePattern, NodePatternError, type NodePattern } from "./node-pattern.js";
import { shapeCovered } from "./pattern-coverage.js";
import { PolicyError, type PolicyProblem } from "./policy-errors.js";
import {
  SERVICE_ACTIONS,
  type CommandRule,
  type FileRule,
  type Policy,
  type ServiceAction,
  type ServiceRule,
} from "./policy-types.js";
import { indexKeyLines, type KeyLineIndex } from "./toml-key-lines.js";

export interface ParsePolicyOptions {
  /** The Augeas root (--root); when given, files missing under it are reported as warnings. */
  root?: string;
}

export interface PolicyCheck {
  /** Present when there are no errors. */
  policy?: Policy;
  problems: PolicyProblem[];
  /** The line of a key such as `augeas.file[1].lens`, for checks made after parsing (policy check's lens probe). */
  lineOf: KeyLineIndex;
}

/** Parses and validates policy text; throws PolicyError on any error (warnings are dropped). */
export function parsePolicy(text: string, sourceName: string, options: ParsePolicyOptions = {}): Policy {
  const { policy, problems } = analysePolicy(text, sourceName, options);
  if (!policy) throw new PolicyError(sourceName, problems.filter((p) => p.severity === "error"));
  return policy;
}

/** Every problem, errors and warnings, in source order. */
export function checkPolicy(text: string, sourceName: string, options: ParsePolicyOptions = {}): PolicyProblem[] {
  return analysePolicy(text, sourceName, options).problems;
}

/** Reads and parses a policy file; a missing or unreadable file is a PolicyError too. */
export function loadPolicy(file: string, options: ParsePolicyOptions = {}): Policy {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new PolicyError(file, [{ severity: "error", key: "", message: `cannot read the policy file (${reason}); machinad never runs without one` }]);
  }
  return parsePolicy(text, file, options);
}

export function analysePolicy(text: string, sourceName: string, options: ParsePolicyOptions = {}): PolicyCheck {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const message = err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      return { problems: [{ severity: "error", key: "", line: err.line, message: `TOML syntax: ${message}` }], lineOf: () => undefined };
    }
    throw err;
  }
  const lineOf = indexKeyLines(text);
  const v = new Validator(lineOf);
  const policy = v.policy(doc, sourceName, options);
  const problems = sortProblems(v.problems);
  return problems.some((p) => p.severity === "error") ? { problems, lineOf } : { policy, problems, lineOf };
}

/** Source order; problems without a line (missing keys) last. */
export function sortProblems(problems: PolicyProblem[]): PolicyProblem[] {
  return problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

type Table = Record<string, unknown>;

const SERVICE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_@.:+-]{0,254}$/;
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]{0,127}$/;
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const LENS_NAME = /^[A-Z][A-Za-z0-9_]*(\.[a-z][A-Za-z0-9_]*)?$/;
/** File path components that need no escaping in an Augeas path except ','. */
const FILE_COMPONENT = /^[A-Za-z0-9_.@+~:,#-]+$/;

class Validator {
  readonly problems: PolicyProblem[] = [];
  constructor(private readonly lineOf: KeyLineIndex) {}

  private report(severity: PolicyProblem["severity"], key: string, message: string): void {
    const line = this.lineOf(key);
    this.problems.push(line === undefined ? { severity, key, message } : { severity, key, line, message });
  }
  error(key: string, message: string): void {
    this.report("error", key, message);
  }
  warn(key: string, message: string): void {
    this.report("warning", key, message);
  }

  private keys(table: Table, key: string, allowed: readonly string[]): void {
    for (const k of Object.keys(table)) {
      if (!allowed.includes(k)) {
        const full = key ? `${key}.${k}` : k;
        this.error(full, `unknown key ${JSON.stringify(k)} (allowed here: ${allowed.join(", ")})`);
      }
    }
  }

  private table(value: unknown, key: string): Table | undefined {
    if (isTable(value)) return value;
    this.error(key, `must be a table, not ${describe(value)}`);
    return undefined;
  }

  private tables(value: unknown, key: string, header: string): Table[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.error(key, `must be an array of tables ([[${header}]]), not ${describe(value)}`);
      return [];
    }
    const out: Table[] = [];
    value.forEach((item, i) => {
      if (isTable(item)) out.push(item);
      else this.error(`${key}[${i}]`, `must be a table, not ${describe(item)}`);
    });
    return out;
  }

  private bool(table: Table, key: string, name: string, fallback: boolean): boolean {
    const value = table[name];
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    this.error(`${key}.${name}`, `must be true or false, not ${describe(value)}`);
    return fallback;
  }

  private string(table: Table, key: string, name: string): string | undefined {
    const value = table[name];
    if (value === undefined) return undefined;
    if (typeof value === "string") return value;
    this.error(`${key}.${name}`, `must be a string, not ${describe(value)}`);
    return undefined;
  }

  private strings(table: Table, key: string, name: string, fallback: string[], check?: (s: string, key: string) => boolean): string[] {
    const value = table[name];
    if (value === undefined) return fallback;
    if (!Array.isArray(value)) {
      this.error(`${key}.${name}`, `must be an array of strings, not ${describe(value)}`);
      return [];
    }
    const out: string[] = [];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const itemKey = `${key}.${name}[${i}]`;
      if (typeof item !== "string") this.error(itemKey, `must be a string, not ${describe(item)}`);
      else if (check && !check(item, itemKey)) return;
      else if (seen.has(item)) this.warn(itemKey, `${JSON.stringify(item)} is listed twice`);
      else {
        seen.add(item);
        out.push(item);
      }
    });
    return out;
  }

  private anchoredRegex(source: string, key: string): RegExp | undefined {
    if (!source.startsWith("^") || !/(^|[^\\])(\\\\)*\$$/.test(source) || source.length < 2) {
      this.error(key, `regular expression ${JSON.stringify(source)} must be anchored: start with ^ and end with $`);
      return undefined;
    }
    try {
      new RegExp(source);
      // Re-anchor around the whole body so that a top-level alternation
      // (^a|b$) cannot match more than the reviewer reads.
      return new RegExp(`^(?:${source.slice(1, -1)})$`);
    } catch (err) {
      this.error(key, `regular expression ${JSON.stringify(source)} does not compile: ${(err as Error).message}`);
      return undefined;
    }
  }

  policy(doc: Table, source: string, options: ParsePolicyOptions): Policy {
    this.keys(doc, "", ["version", "clients", "augeas", "service", "package", "timezone", "command"]);
    if (doc.version === undefined) this.error("version", "missing: the first line of a policy is `version = 1`");
    else if (doc.version !== 1) this.error("version", `unsupported version ${describe(doc.version)}: this machinad reads version = 1`);
    return {
      version: 1,
      source,
      clients: this.clients(doc.clients),
      files: this.files(doc.augeas, options),
      services: this.services(doc.service),
      packages: this.packages(doc.package),
      timezone: this.timezone(doc.timezone),
      commands: this.commands(doc.command),
    };
  }

  private clients(value: unknown): Policy["clients"] {
    const clients: Policy["clients"] = { users: [], groups: [] };
    if (value === undefined) {
      this.error("clients", "missing [clients]: name the users or groups that may connect (an empty table allows any local user)");
      return clients;
    }
    const t = this.table(value, "clients");
    if (!t) return clients;
    this.keys(t, "clients", ["users", "groups"]);
    for (const name of ["users", "groups"] as const) {
      const list = t[name];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        this.error(`clients.${name}`, `must be an array of names or ids, not ${describe(list)}`);
        continue;
      }
      list.forEach((item, i) => {
        const key = `clients.${name}[${i}]`;
        if (typeof item === "number" && Number.isInteger(item) && item >= 0 && item < 2 ** 32) clients[name].push(item);
        else if (typeof item === "string" && USER_NAME.test(item)) clients[name].push(item);
        else this.error(key, `${describe(item)} is not a ${name === "users" ? "user" : "group"} name or numeric id`);
      });
    }
    if (clients.users.length === 0 && clients.groups.length === 0) {
      this.warn("clients", "[clients] names nobody: ANY local user may connect (list users or groups to restrict)");
    }
    return clients;
  }

  private files(value: unknown, options: ParsePolicyOptions): FileRule[] {
    if (value === undefined) return [];
    const augeas = this.table(value, "augeas");
    if (!augeas) return [];
    this.keys(augeas, "augeas", ["file"]);
    const rules: FileRule[] = [];
    const byPath = new Map<string, number>();
    this.tables(augeas.file, "augeas.file", "augeas.file").forEach((t, i) => {
      const key = `augeas.file[${i}]`;
      this.keys(t, key, ["path", "lens", "read", "write"]);
      const filePath = this.string(t, key, "path");
      let ok = true;
      if (filePath === undefined) {
        if (t.path === undefined) this.error(key, "missing path");
        ok = false;
      } else if (!this.filePath(filePath, `${key}.path`)) ok = false;
      else if (byPath.has(filePath)) {
        this.error(`${key}.path`, `${filePath} is already listed as augeas.file[${byPath.get(filePath)}]`);
        ok = false;
      }
      let lens = this.string(t, key, "lens");
      if (lens !== undefined) {
        if (!LENS_NAME.test(lens)) {
          this.error(`${key}.lens`, `${JSON.stringify(lens)} is not a lens name (like "Hosts" or "Hosts.lns")`);
          ok = false;
        } else if (!lens.includes(".")) lens = `${lens}.lns`;
      }
      const read = this.patterns(t, key, "read", ["**"]);
      const write = this.patterns(t, key, "write", []);
      if (!ok || filePath === undefined || read === undefined || write === undefined) return;
      byPath.set(filePath, i);
      const nodeLabels = ["files", ...filePath.slice(1).split("/")];
      const rule: FileRule = { path: filePath, node: nodeLabels.map((l) => `/${escapeLabel(l)}`).join(""), nodeLabels, read, write };
      if (lens !== undefined) rule.lens = lens;
      rules.push(rule);
      this.patternWarnings(rule, key);
      if (options.root !== undefined) {
        const onDisk = path.join(options.root, filePath);
        try {
          lstatSync(onDisk);
        } catch {
          this.warn(`${key}.path`, `${onDisk} does not exist (yet)`);
        }
      }
    });
    // A file whose node lies below another file's node would make "which rule
    // governs this node" ambiguous.
    for (const a of rules) {
      for (const b of rules) {
        if (a !== b && b.path.startsWith(`${a.path}/`)) {
          this.error(`augeas.file[${byPath.get(b.path)}].path`, `${b.path} lies inside ${a.path}, which is itself a policy file`);
        }
      }
    }
    return rules;
  }

  private filePath(p: string, key: string): boolean {
    const problem = !p.startsWith("/")
      ? "must be absolute"
      : p.length > 1024
        ? "is too long"
        : p.endsWith("/")
          ? "must not end with '/'"
          : p.includes("//")
            ? "must not contain '//'"
            : p.split("/").slice(1).some((c) => /^\.+$/.test(c))
              ? "must be normalised (no '.' or '..' components)"
              : p.split("/").slice(1).some((c) => !FILE_COMPONENT.test(c))
                ? "may only hold letters, digits and _ . @ + ~ : , # - in each component"
                : undefined;
    if (problem) this.error(key, `file path ${JSON.stringify(p)} ${problem}`);
    return problem === undefined;
  }

  private patterns(t: Table, key: string, name: string, fallback: string[]): NodePattern[] | undefined {
    const before = this.problems.length;
    const out: NodePattern[] = [];
    for (const [i, source] of this.strings(t, key, name, fallback).entries()) {
      try {
        out.push(compileNodePattern(source));
      } catch (err) {
        if (!(err instanceof NodePatternError)) throw err;
        this.error(`${key}.${name}[${i}]`, `node pattern ${JSON.stringify(source)}: ${err.message}`);
      }
    }
    return this.problems.slice(before).some((p) => p.severity === "error") ? undefined : out;
  }

  private patternWarnings(rule: FileRule, key: string): void {
    const read = rule.read.map((p) => p.segments);
    rule.write.forEach((w, i) => {
      if (!shapeCovered(w.segments, read)) {
        this.warn(`${key}.write[${i}]`, `${JSON.stringify(w.source)} lets clients write nodes they cannot read back`);
      }
      const others = rule.write.filter((_, j) => j !== i).map((p) => p.segments);
      if (others.length > 0 && shapeCovered(w.segments, others)) {
        this.warn(`${key}.write[${i}]`, `${JSON.stringify(w.source)} adds nothing: the other write patterns already cover it`);
      }
    });
    if (rule.read.length === 0 && rule.write.length === 0) this.warn(key, `${rule.path} is loaded but nothing in it may be read or written`);
  }

  private services(value: unknown): ServiceRule[] {
    const rules: ServiceRule[] = [];
    this.tables(value, "service", "service").forEach((t, i) => {
      const key = `service[${i}]`;
      this.keys(t, key, ["name", "pattern", "actions"]);
      const name = this.string(t, key, "name");
      const patternSource = this.string(t, key, "pattern");
      if ((name === undefined) === (patternSource === undefined)) {
        if (t.name === undefined && t.pattern === undefined) this.error(key, "needs exactly one of name and pattern");
        else if (t.name !== undefined && t.pattern !== undefined) this.error(`${key}.pattern`, "give either name or pattern, not both");
        return;
      }
      const actions = this.strings(t, key, "actions", [], (a, k) => {
        if ((SERVICE_ACTIONS as readonly string[]).includes(a)) return true;
        this.error(k, `unknown action ${JSON.stringify(a)} (one of ${SERVICE_ACTIONS.join(", ")})`);
        return false;
      }) as ServiceAction[];
      if (t.actions === undefined) this.error(key, "missing actions");
      else if (Array.isArray(t.actions) && t.actions.length === 0) this.warn(`${key}.actions`, "no actions: this rule allows nothing");
      if (name !== undefined) {
        if (!SERVICE_NAME.test(name)) {
          this.error(`${key}.name`, `${JSON.stringify(name)} is not a service name`);
          return;
        }
        rules.push({ name, actions });
      } else if (patternSource !== undefined) {
        const pattern = this.anchoredRegex(patternSource, `${key}.pattern`);
        if (pattern) rules.push({ pattern, actions });
      }
    });
    return rules;
  }

  private packages(value: unknown): Policy["packages"] {
    const packages: Policy["packages"] = { install: [], remove: [], update: false };
    if (value === undefined) return packages;
    const t = this.table(value, "package");
    if (!t) return packages;
    this.keys(t, "package", ["install", "remove", "update"]);
    const isName = (s: string, k: string): boolean => {
      if (PACKAGE_NAME.test(s)) return true;
      this.error(k, `${JSON.stringify(s)} is not a Debian package name`);
      return false;
    };
    packages.install = this.strings(t, "package", "install", [], isName);
    packages.remove = this.strings(t, "package", "remove", [], isName);
    packages.update = this.bool(t, "package", "update", false);
    return packages;
  }

  private timezone(value: unknown): Policy["timezone"] {
    if (value === undefined) return { get: false, set: false };
    const t = this.table(value, "timezone");
    if (!t) return { get: false, set: false };
    this.keys(t, "timezone", ["set"]);
    return { get: true, set: this.bool(t, "timezone", "set", false) };
  }

  private commands(value: unknown): CommandRule[] {
    const rules: CommandRule[] = [];
    const names = new Set<string>();
    this.tables(value, "command", "command").forEach((t, i) => {
      const key = `command[${i}]`;
      this.keys(t, key, ["name", "path", "args", "env", "timeout", "user", "stdin", "max_output"]);
      const name = this.string(t, key, "name");
      const program = this.string(t, key, "path");
      let ok = true;
      if (name === undefined) {
        if (t.name === undefined) this.error(key, "missing name");
        ok = false;
      } else if (!COMMAND_NAME.test(name)) {
        this.error(`${key}.name`, `${JSON.stringify(name)} is not a command name (letters, digits, _ . -)`);
        ok = false;
      } else if (names.has(name)) {
        this.error(`${key}.name`, `command ${JSON.stringify(name)} is defined twice`);
        ok = false;
      }
      if (name !== undefined) names.add(name);
      if (program === undefined) {
        if (t.path === undefined) this.error(key, "missing path");
        ok = false;
      } else if (!program.startsWith("/") || path.posix.normalize(program) !== program || program.endsWith("/")) {
        this.error(`${key}.path`, `${JSON.stringify(program)} must be an absolute, normalised path`);
        ok = false;
      }
      const args = this.commandArgs(t.args, `${key}.args`);
      const env = this.strings(t, key, "env", [], (s, k) => {
        if (ENV_NAME.test(s)) return true;
        this.error(k, `${JSON.stringify(s)} is not an environment variable name`);
        return false;
      });
      let timeout = 30;
      if (t.timeout !== undefined) {
        if (typeof t.timeout === "number" && t.timeout > 0 && t.timeout <= 86400) timeout = t.timeout;
        else {
          this.error(`${key}.timeout`, `must be a number of seconds between 0 and 86400, not ${describe(t.timeout)}`);
          ok = false;
        }
      }
      const user = this.string(t, key, "user");
      if (user !== undefined && !USER_NAME.test(user)) {
        this.error(`${key}.user`, `${JSON.stringify(user)} is not a user name`);
        ok = false;
      }
      const stdin = t.stdin === undefined ? undefined : this.bool(t, key, "stdin", false);
      let maxOutput: number | undefined;
      if (t.max_output !== undefined) {
        if (typeof t.max_output === "number" && Number.isInteger(t.max_output) && t.max_output > 0) maxOutput = t.max_output;
        else {
          this.error(`${key}.max_output`, `must be a positive number of bytes, not ${describe(t.max_output)}`);
          ok = false;
        }
      }
      if (!ok || name === undefined || program === undefined || args === undefined) return;
      const rule: CommandRule = { name, path: program, args, env, timeout };
      if (user !== undefined) rule.user = user;
      if (stdin !== undefined) rule.stdin = stdin;
      if (maxOutput !== undefined) rule.maxOutput = maxOutput;
      rules.push(rule);
    });
    return rules;
  }

  private commandArgs(value: unknown, key: string): (string[] | RegExp)[] | undefined {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.error(key, `must be an array (one entry per argument), not ${describe(value)}`);
      return undefined;
    }
    const out: (string[] | RegExp)[] = [];
    let ok = true;
    value.forEach((item, i) => {
      const k = `${key}[${i}]`;
      if (typeof item === "string") {
        const re = this.anchoredRegex(item, k);
        if (re) out.push(re);
        else ok = false;
      } else if (Array.isArray(item) && item.length > 0 && item.every((c) => typeof c === "string")) {
        out.push(item as string[]);
      } else {
        this.error(k, `must be an anchored regex string or a non-empty array of literal choices, not ${describe(item)}`);
        ok = false;
      }
    });
    return ok ? out : undefined;
  }
}

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return value instanceof Date ? "a date" : "a table";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
