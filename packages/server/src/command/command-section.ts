/**
 * The policy's `[[command]]` entries: programs a client may run by name, with
 * the arguments allowed at each position (literal choices or an anchored
 * regex), the environment variables passed through, a timeout, an optional
 * user, stdin and an output cap. Absent: `command.run` is not granted.
 */
import path from "node:path";
import { COMMAND_NAME_PATTERN, ENV_NAME_PATTERN, USER_NAME_PATTERN } from "@machina/protocol";
import type { PolicyRegex, PolicyValidator, TomlTable } from "../policy/policy-validator.js";
import { describe } from "../policy/policy-validator.js";
import { forbiddenEnvName } from "./forbidden-env.js";
import { effectiveOutputCap } from "./output-cap.js";

export interface CommandRule {
  name: string;
  /** Absolute path of the program. */
  path: string;
  /** One entry per argument position: the allowed choices, or an anchored regex. */
  args: (string[] | PolicyRegex)[];
  /** Names of environment variables passed through from the daemon's environment. */
  env: string[];
  /** Seconds. */
  timeout: number;
  user?: string;
  stdin?: boolean;
  /** Bytes of stdout+stderr kept. */
  maxOutput?: number;
}

export interface CommandSection {
  rules: CommandRule[];
}

/** A command's timeout when its entry names none, in seconds. */
export const DEFAULT_COMMAND_TIMEOUT_S = 30;

const COMMAND_NAME = new RegExp(COMMAND_NAME_PATTERN);
const ENV_NAME = new RegExp(ENV_NAME_PATTERN);
const USER_NAME = new RegExp(USER_NAME_PATTERN);

export function parseCommandSection(doc: TomlTable, v: PolicyValidator): CommandSection {
  const rules: CommandRule[] = [];
  const names = new Set<string>();
  v.tables(doc.command, "command", "command").forEach((t, i) => {
    const key = `command[${i}]`;
    v.keys(t, key, ["name", "path", "args", "env", "timeout", "user", "stdin", "max_output"]);
    const name = v.string(t, key, "name");
    const program = v.string(t, key, "path");
    let ok = true;
    if (name === undefined) {
      if (t.name === undefined) v.error(key, "missing name");
      ok = false;
    } else if (!COMMAND_NAME.test(name)) {
      v.error(`${key}.name`, `${JSON.stringify(name)} is not a command name (letters, digits, _ . -)`);
      ok = false;
    } else if (names.has(name)) {
      v.error(`${key}.name`, `command ${JSON.stringify(name)} is defined twice`);
      ok = false;
    }
    if (name !== undefined) names.add(name);
    if (program === undefined) {
      if (t.path === undefined) v.error(key, "missing path");
      ok = false;
    } else if (!isProgramPath(program)) {
      v.error(`${key}.path`, `${JSON.stringify(program)} must be an absolute, normalised path`);
      ok = false;
    }
    const args = commandArgs(v, t.args, `${key}.args`);
    const env = v.strings(t, key, "env", [], (s, k) => {
      if (ENV_NAME.test(s)) return true;
      v.error(k, `${JSON.stringify(s)} is not an environment variable name`);
      return false;
    });
    let timeout = DEFAULT_COMMAND_TIMEOUT_S;
    if (t.timeout !== undefined) {
      if (typeof t.timeout === "number" && t.timeout > 0 && t.timeout <= 86400) timeout = t.timeout;
      else {
        v.error(`${key}.timeout`, `must be a number of seconds between 0 and 86400, not ${describe(t.timeout)}`);
        ok = false;
      }
    }
    const user = v.string(t, key, "user");
    if (user !== undefined && !USER_NAME.test(user)) {
      v.error(`${key}.user`, `${JSON.stringify(user)} is not a user name`);
      ok = false;
    }
    const stdin = t.stdin === undefined ? undefined : v.bool(t, key, "stdin", false);
    let maxOutput: number | undefined;
    if (t.max_output !== undefined) {
      if (typeof t.max_output === "number" && Number.isInteger(t.max_output) && t.max_output > 0) maxOutput = t.max_output;
      else {
        v.error(`${key}.max_output`, `must be a positive number of bytes, not ${describe(t.max_output)}`);
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
  return { rules };
}

/** A program as the policy may name one (a command's `path`, a service's `test`): absolute and normalised. */
export function isProgramPath(program: string): boolean {
  return program.startsWith("/") && path.posix.normalize(program) === program && !program.endsWith("/") && !program.includes("\0");
}

function commandArgs(v: PolicyValidator, value: unknown, key: string): (string[] | PolicyRegex)[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    v.error(key, `must be an array (one entry per argument), not ${describe(value)}`);
    return undefined;
  }
  const out: (string[] | PolicyRegex)[] = [];
  let ok = true;
  value.forEach((item, i) => {
    const k = `${key}[${i}]`;
    if (typeof item === "string") {
      const re = v.anchoredRegex(item, k);
      if (re) out.push(re);
      else ok = false;
    } else if (Array.isArray(item) && item.length > 0 && item.every((c) => typeof c === "string")) {
      out.push(item);
    } else {
      v.error(k, `must be an anchored regex string or a non-empty array of literal choices, not ${describe(item)}`);
      ok = false;
    }
  });
  return ok ? out : undefined;
}

export function explainCommandSection(section: CommandSection): string[] {
  const lines = [section.rules.length ? "Commands:" : "Commands: none."];
  for (const c of section.rules) {
    const args = c.args.map((a, i) => `arg ${i + 1} ${Array.isArray(a) ? `one of ${a.map((x) => JSON.stringify(x)).join(" | ")}` : `matching ${a.source}`}`);
    lines.push(
      `  ${c.name}: runs ${c.path}${args.length ? ` with ${args.join(", ")}` : " with no arguments"}; timeout ${c.timeout}s${c.env.length ? `; passes env ${c.env.join(", ")}` : ""}${c.user ? `; as user ${c.user}` : ""}`,
    );
    lines.push(`    ${c.stdin ? "accepts stdin from the client" : "no stdin"}; output kept up to ${effectiveOutputCap(c)} bytes (more ends the command)`);
    const never = c.env.filter(forbiddenEnvName);
    if (never.length) lines.push(`    NOTE: ${never.join(", ")} ${never.length === 1 ? "is" : "are"} never passed, whatever env says`);
  }
  if (section.rules.length) lines.push("  (no shell; environment cleared except PATH and the env list; LD_* and similar loader variables never passed)");
  return lines;
}
