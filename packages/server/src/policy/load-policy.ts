/*
 * Reading and validating the policy file. Validation is strict — unknown keys
 * and wrong types are errors, not ignored — because a typo in a default-deny
 * policy must not silently grant or withhold something the reviewer thinks it
 * says. All problems are collected so `machinad policy check` can list them at
 * once; any error makes parsePolicy throw, and the daemon refuses to start.
 */
import { readFileSync } from "node:fs";
import { parse, TomlError } from "smol-toml";
import { USER_NAME_PATTERN } from "@machina/protocol";
import { MODULES } from "../capability/registry.js";
import { PolicyError, type PolicyProblem } from "./policy-errors.js";
import type { ClientsRule, Policy } from "./policy-types.js";
import { describe, PolicyValidator, type TomlTable } from "./policy-validator.js";
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
  let doc: TomlTable;
  try {
    doc = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const message = err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      return { problems: [{ severity: "error", key: "", line: err.line, message: `TOML syntax: ${message}` }], lineOf: () => undefined };
    }
    throw err;
  }
  const lineOf = indexKeyLines(text);
  const v = new PolicyValidator(lineOf);
  const policy = readPolicy(doc, v, sourceName, options);
  const problems = sortProblems(v.problems);
  return problems.some((p) => p.severity === "error") ? { problems, lineOf } : { policy, problems, lineOf };
}

/** Source order; problems without a line (missing keys) last. */
export function sortProblems(problems: PolicyProblem[]): PolicyProblem[] {
  return problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

const USER_NAME = new RegExp(USER_NAME_PATTERN);

/** The whole policy: version and clients here, every other section by its module. */
function readPolicy(doc: TomlTable, v: PolicyValidator, source: string, options: ParsePolicyOptions): Policy {
  v.keys(doc, "", ["version", "clients", ...MODULES.flatMap((m) => m.tomlKeys)]);
  if (doc.version === undefined) v.error("version", "missing: the first line of a policy is `version = 1`");
  else if (doc.version !== 1) v.error("version", `unsupported version ${describe(doc.version)}: this machinad reads version = 1`);
  const sections: Record<string, unknown> = {};
  for (const m of MODULES) sections[m.name] = m.parse(doc, v, options);
  return { version: 1, source, clients: readClients(doc.clients, v), ...(sections as Omit<Policy, "version" | "source" | "clients">) };
}

function readClients(value: unknown, v: PolicyValidator): ClientsRule {
  const clients: ClientsRule = { users: [], groups: [] };
  if (value === undefined) {
    v.error("clients", "missing [clients]: name the users or groups that may connect (an empty table allows any local user)");
    return clients;
  }
  const t = v.table(value, "clients");
  if (!t) return clients;
  v.keys(t, "clients", ["users", "groups"]);
  for (const name of ["users", "groups"] as const) {
    const list = t[name];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      v.error(`clients.${name}`, `must be an array of names or ids, not ${describe(list)}`);
      continue;
    }
    list.forEach((item, i) => {
      const key = `clients.${name}[${i}]`;
      if (typeof item === "number" && Number.isInteger(item) && item >= 0 && item < 2 ** 32) clients[name].push(item);
      else if (typeof item === "string" && USER_NAME.test(item)) clients[name].push(item);
      else v.error(key, `${describe(item)} is not a ${name === "users" ? "user" : "group"} name or numeric id`);
    });
  }
  if (clients.users.length === 0 && clients.groups.length === 0) {
    v.warn("clients", "[clients] names nobody: ANY local user may connect (list users or groups to restrict)");
  }
  return clients;
}
