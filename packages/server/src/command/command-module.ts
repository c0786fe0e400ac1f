/**
 * The `command` capability module: `[[command]]`, the `command.run`
 * capability and method. `authorise` looks the name up among the policy's
 * entries (never as a path) and checks the arguments, environment and stdin
 * against that entry (command-authorisation.ts); `run` starts the program.
 */
import { allow, defineModule, methodsOf, refuse, type ModuleStartContext } from "../capability/capability-module.js";
import type { Logger } from "../logger.js";
import { authoriseCommand } from "./command-authorisation.js";
import { decodeStdin, runCommand } from "./command-runner.js";
import { explainCommandSection, parseCommandSection, type CommandSection } from "./command-section.js";

/** Time for the work around a command (SIGTERM-to-SIGKILL grace, output encoding), on top of its own timeout. */
const COMMAND_MARGIN_MS = 10_000;

export class CommandRuntime {
  constructor(
    readonly logger: Logger,
    /** Where allowlisted variables without a caller value come from (the daemon's environment). */
    readonly env: NodeJS.ProcessEnv,
  ) {}
}

const on = methodsOf<CommandSection, CommandRuntime>();

export const commandModule = defineModule({
  name: "command",
  tomlKeys: ["command"],
  parse: (doc, v): CommandSection => parseCommandSection(doc, v),
  explain: (section: CommandSection) => explainCommandSection(section),
  capabilities: {
    "command.run": {
      granted: (s) => s.rules.length > 0,
      resources: (s) => ({
        commands: s.rules.map((c) => ({
          name: c.name,
          path: c.path,
          args: c.args.map((a) => (Array.isArray(a) ? { choices: a } : { pattern: a.source })),
          env: c.env,
          timeout: c.timeout,
          stdin: c.stdin === true,
          ...(c.user !== undefined ? { user: c.user } : {}),
          ...(c.maxOutput !== undefined ? { maxOutput: c.maxOutput } : {}),
        })),
      }),
    },
  },
  start: (ctx: ModuleStartContext) => new CommandRuntime(ctx.logger, ctx.env),
  methods: [
    on({
      method: "command.run",
      targets: ({ name }) => [name],
      authorise: (params, { section, runtime }) => {
        const rule = section.rules.find((c) => c.name === params.name);
        if (!rule) return refuse(params.name, "the policy has no [[command]] entry of this name");
        const args = params.args ?? [];
        const env = authoriseCommand(rule, { args, env: params.env ?? {}, hasStdin: params.stdin !== undefined }, runtime.env);
        return allow({ rule, args, env, params });
      },
      timeLimitMs: ({ rule }) => rule.timeout * 1000 + COMMAND_MARGIN_MS,
      run: ({ value: { rule, args, env, params } }, { runtime, progress }) => {
        const stdin = params.stdin ? decodeStdin(params.stdin.data, params.stdin.encoding ?? "text") : undefined;
        return runCommand(
          { rule, args, env, ...(stdin ? { stdin } : {}), stdout: params.stdout ?? "text", stderr: params.stderr ?? "text", progress },
          runtime.logger,
        );
      },
    }),
  ],
});
