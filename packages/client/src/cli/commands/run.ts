import { decodeBytes, type ByteEncoding, type ParamsOf } from "@machina/protocol";
import { defineCommand, requiredString } from "../command.js";
import { writeJson } from "../output.js";
import { progressDisplay } from "../progress-display.js";
import { UsageError } from "../usage-error.js";

interface RunOptions {
  name: string;
  args: string[];
  env: Record<string, string>;
  stdin: boolean;
  /** How stdout/stderr are encoded in --json output. */
  encoding: ByteEncoding;
}

/** The command ran but did not succeed: exit status 1, one line on stderr. */
class CommandFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandFailed";
  }
}

function collectEnv(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new UsageError(`--env expects NAME=VALUE, not '${value}'`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

async function readBytes(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

export const runCommand = defineCommand<RunOptions>({
  name: "run",
  declare: (c) =>
    c
      .summary("run one of the policy's allowlisted commands")
      .description(
        "Runs the daemon policy's [[command]] entry NAME with ARGS (put -- before arguments that start with -) and " +
          "writes its stdout and stderr here, byte for byte. Exit status 0 when the command exited 0; 1 when it " +
          "failed, was killed, timed out or was refused. With --json, prints the daemon's result (stdout and " +
          "stderr in --encoding) instead.",
      )
      .argument("<NAME>", "the command's name in the policy")
      .argument("[ARGS...]", "its arguments, each checked by the daemon against the policy")
      .option("--stdin", "send this program's standard input to the command (entries with stdin = true)")
      .option("--env <NAME=VALUE>", "set an environment variable the entry allowlists (repeatable)", collectEnv)
      .option("--encoding <ENCODING>", "how --json shows stdout and stderr: text, base64 or base85", "text"),
  parse: ([name, args], options) => {
    const encoding = String(options["encoding"] ?? "text");
    if (!["text", "base64", "base85"].includes(encoding)) throw new UsageError(`--encoding must be text, base64 or base85, not '${encoding}'`);
    return {
      name: requiredString(name, "NAME"),
      args: Array.isArray(args) ? args.map(String) : [],
      env: (options["env"] as Record<string, string> | undefined) ?? {},
      stdin: options["stdin"] === true,
      encoding: encoding as ByteEncoding,
    };
  },
  run: async (options, context) => {
    const { io, globals } = context;
    // Without --json the bytes are written out as they are, so they travel in base64.
    const encoding: ByteEncoding = globals.json ? options.encoding : "base64";
    const params: ParamsOf<"command.run"> = { name: options.name, args: options.args, stdout: encoding, stderr: encoding };
    if (Object.keys(options.env).length) params.env = options.env;
    if (options.stdin) params.stdin = { data: Buffer.from(await readBytes(io.stdin)).toString("base64"), encoding: "base64" };
    const display = progressDisplay(io, globals.json);
    let result;
    try {
      result = await context.session((m) => m.command.run(params, { timeoutMs: globals.timeoutMs ?? 0, onProgress: display.update }));
    } finally {
      display.done();
    }
    if (globals.json) {
      writeJson(io, result);
    } else {
      io.stdout.write(decodeBytes(result.stdout, "base64"));
      io.stderr.write(decodeBytes(result.stderr, "base64"));
      if (result.truncated) io.stderr.write(`machina: warning: ${options.name} produced more output than the policy keeps; it was stopped and its output cut\n`);
    }
    if (result.timedOut) throw new CommandFailed(`${options.name} did not finish within its time limit and was stopped`);
    if (result.exitCode !== 0) {
      throw new CommandFailed(result.exitCode === null ? `${options.name} was killed by ${result.signal ?? "a signal"}` : `${options.name} exited with status ${result.exitCode}`);
    }
  },
});
