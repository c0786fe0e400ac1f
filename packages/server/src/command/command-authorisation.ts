/**
 * Checks one `command.run` request against its `[[command]]` entry before
 * anything runs: exactly as many arguments as the entry has positions, each
 * one of its position's choices or matching its anchored regex; environment
 * variables only from the entry's allowlist and never the forbidden ones;
 * stdin only where the entry accepts it. Answers the environment the program
 * gets.
 */
import { PolicyDeniedFault } from "../faults.js";
import type { CommandRule } from "../policy/policy-types.js";
import { forbiddenEnvName } from "./forbidden-env.js";
import { SAFE_PATH } from "../process/run-program.js";

export interface CommandRequest {
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  hasStdin: boolean;
}

/** Describes an argument for an error message without echoing a long or odd value in full. */
function shown(arg: string): string {
  return JSON.stringify(arg.length > 80 ? `${arg.slice(0, 80)}…` : arg);
}

/** Throws PolicyDeniedFault naming the first problem; answers the child's complete environment. */
export function authoriseCommand(rule: CommandRule, request: CommandRequest, daemonEnv: NodeJS.ProcessEnv): Record<string, string> {
  const target = rule.name;
  if (request.args.length !== rule.args.length) {
    throw new PolicyDeniedFault(`takes exactly ${rule.args.length} argument${rule.args.length === 1 ? "" : "s"}, not ${request.args.length}`, target);
  }
  request.args.forEach((arg, i) => {
    const allowed = rule.args[i]!;
    if (arg.includes("\0")) throw new PolicyDeniedFault(`argument ${i + 1} contains a NUL byte`, target);
    const ok = Array.isArray(allowed) ? allowed.includes(arg) : allowed.test(arg);
    if (!ok) {
      const rule = Array.isArray(allowed) ? `one of ${allowed.map((c) => JSON.stringify(c)).join(", ")}` : `a value matching ${allowed.source}`;
      throw new PolicyDeniedFault(`argument ${i + 1} ${shown(arg)} is not allowed (expected ${rule})`, target);
    }
  });
  for (const name of Object.keys(request.env)) {
    if (forbiddenEnvName(name)) throw new PolicyDeniedFault(`environment variable ${name} is never passed to a command`, target);
    if (!rule.env.includes(name)) throw new PolicyDeniedFault(`environment variable ${name} is not in this command's env allowlist`, target);
  }
  if (request.hasStdin && rule.stdin !== true) throw new PolicyDeniedFault("this command takes no stdin (the policy entry lacks stdin = true)", target);

  const env: Record<string, string> = { PATH: SAFE_PATH };
  for (const name of rule.env) {
    if (forbiddenEnvName(name)) continue;
    const value = Object.prototype.hasOwnProperty.call(request.env, name) ? request.env[name] : daemonEnv[name];
    if (value !== undefined && !value.includes("\0")) env[name] = value;
  }
  return env;
}
