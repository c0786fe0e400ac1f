/**
 * The `command.run` handler: the name is looked up among the policy's
 * `[[command]]` entries (never taken as a path), the request is authorised
 * against that entry, then run.
 */
import { PolicyDeniedFault } from "../faults.js";
import type { Logger } from "../logger.js";
import type { Policy } from "../policy/policy-types.js";
import type { Handler } from "../rpc/handler-types.js";
import { authoriseCommand } from "../command/command-authorisation.js";
import { decodeStdin, runCommand } from "../command/command-runner.js";

export interface CommandHandlerDeps {
  policy(): Policy;
  logger: Logger;
  /** Where allowlisted variables without a caller value come from (the daemon's environment). */
  env?: NodeJS.ProcessEnv;
}

export function commandHandlers(deps: CommandHandlerDeps): { "command.run": Handler<"command.run"> } {
  return {
    "command.run": async (params, ctx) => {
      const rule = deps.policy().commands.find((c) => c.name === params.name);
      if (!rule) throw new PolicyDeniedFault("the policy has no [[command]] entry of this name", params.name);
      const args = params.args ?? [];
      const env = authoriseCommand(rule, { args, env: params.env ?? {}, hasStdin: params.stdin !== undefined }, deps.env ?? process.env);
      const stdin = params.stdin ? decodeStdin(params.stdin.data, params.stdin.encoding ?? "text") : undefined;
      return runCommand(
        {
          rule,
          args,
          env,
          ...(stdin ? { stdin } : {}),
          stdout: params.stdout ?? "text",
          stderr: params.stderr ?? "text",
          progress: ctx.progress,
        },
        deps.logger,
      );
    },
  };
}
