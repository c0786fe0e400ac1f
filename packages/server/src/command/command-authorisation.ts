/**
 * Checks one `command.run` request against its `[[command]]` entry before
 * anything runs: exactly as many arguments as the entry has positions, each
 * one of its position's choices or matching its anchored regex; environment
 * variables only from the entry's allowlist and never the forbidden ones;
 * stdin only where the entry accepts it. Answers the environment the program
 * gets.
 */
import { PolicyDeniedFault } from "../faults.js";
import type { CommandRule } from "./command-section.js";
import { forbiddenEnvName } from "./forbidden-env.js";
import { SAFE_PATH } from "../process/run-program.js";

export interface CommandRequest {
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  hasStdin: boolean;
}

/** Throws PolicyDeniedFault naming the first problem; answers the child's complete environment. */
export function authoriseCommand(rule: CommandRule, request: CommandRequest, daemonEnv: NodeJS.ProcessEnv): Record<string, string> {
  const target = rule.name;
  if (request.args.length !== rule.args.length) {
    throw new PolicyDeniedFault(target, `takes exactly ${rule.args.length} argument${rule.args.length === 1 ? "" : "s"}, not ${request.args.length}`);
  }
  request.args.forEach((arg, i) => {
    const allowed = rule.args[i]!;
    if (arg.includes("\0")) throw new PolicyDeniedFault(target, `argument ${i + 1} contains a NUL byte`);
    const ok = Array.isArray(allowed) ? allowed.includes(arg) : allowed.regex.test(arg);
    if (!ok) {
      const rule = Array.isArray(allowed) ? `one of ${allowed.map((c) => JSON.stringify(c)).join(", ")}` : `a value matching ${allowed.source}`;
      // The value itself is not repeated: the reason goes to the audit log, which never holds values.
      throw new PolicyDeniedFault(target, `argument ${i + 1} is not allowed (expected ${rule})`);
    }
  });
  for (const name of Object.keys(request.env)) {
    if (forbiddenEnvName(name)) throw new PolicyDeniedFault(target, `environment variable ${name} is never passed to a command`);
    if (!rule.env.includes(name)) throw new PolicyDeniedFault(target, `environment variable ${name} is not in this command's env allowlist`);
  }
  if (request.hasStdin && rule.stdin !== true) throw new PolicyDeniedFault(target, "this command takes no stdin (the policy entry lacks stdin = true)");

  const env: Record<string, string> = { PATH: SAFE_PATH };
  for (const name of rule.env) {
    if (forbiddenEnvName(name)) continue;
    const value = Object.prototype.hasOwnProperty.call(request.env, name) ? request.env[name] : daemonEnv[name];
    if (value !== undefined && !value.includes("\0")) env[name] = value;
  }
  return env;
}
