/**
 * The `machina` program: global options, the command registry, and the one
 * place errors become exit statuses (exit-codes.ts). `runCli` runs it
 * in-process and answers the exit status; main.ts is the thin entry.
 */
import { Command, CommanderError, Option } from "commander";
import { DEFAULT_SECRET_FILE, DEFAULT_SOCKET, ENV_SECRET_FILE, ENV_SOCKET } from "@machina/protocol";
import { COMMANDS } from "./commands/index.js";
import { createContext, parseGlobalOptions, type RawGlobalOptions } from "./context.js";
import { EXIT_OK, exitCodeFor, formatError, formatUsageMessage } from "./exit-codes.js";
import { processIo, type CliIo } from "./io.js";
import { VERSION as version } from "../version.js";


const EPILOG = `
Environment:
  ${ENV_SOCKET}       the socket, unless --socket is given (default ${DEFAULT_SOCKET})
  ${ENV_SECRET_FILE}  the secret file, unless --secret-file is given (default ${DEFAULT_SECRET_FILE})

Exit status:
  0  success
  1  the daemon refused or failed the call (policy-denied, augeas, conflict, ...)
  2  usage: bad arguments or options, a change script that does not parse
  3  could not connect or authenticate (no socket, bad secret file, wrong
     secret, another client busy, a daemon that failed to prove the secret)

Errors are written to stderr as one line: machina: KIND: message.`;

export interface ProgramOptions {
  /** Write usage errors as JSON (when `--json` is on the command line). */
  jsonErrors?: boolean;
}

/** Builds the commander program; commands write to `io`. Errors propagate (commander's as CommanderError). */
export function buildProgram(io: CliIo, options: ProgramOptions = {}): Command {
  const program = new Command("machina");
  program
    .description("Talk to machinad, the machina configuration broker: read and edit configuration through its policy.")
    .version(version, "-V, --version", "print the version of machina")
    .option("--socket <PATH>", `the daemon's socket (default: $${ENV_SOCKET} or ${DEFAULT_SOCKET})`)
    .option("--secret-file <FILE>", `the shared secret (default: $${ENV_SECRET_FILE} or ${DEFAULT_SECRET_FILE})`)
    .option("--json", "machine-readable output: the raw result as JSON on stdout, errors as one JSON line on stderr")
    .option("--timeout <MS>", "time allowed for each call, in milliseconds (default 30000; 0 for no limit)")
    .addOption(
      new Option(
        "--socket-owner <UID>",
        "uid that must own the socket's directory (default 0, root); 'any' turns the check off, for sandboxes",
      ),
    )
    .addHelpText("after", EPILOG)
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(formatUsageMessage(text, options.jsonErrors === true)),
    });
  const context = () => createContext(parseGlobalOptions(program.opts<RawGlobalOptions>(), io.env), io);
  for (const command of COMMANDS) command.attach(program, context);
  return program;
}

function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

/** Runs `machina` with `argv` (without node and script); answers the exit status. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const json = jsonRequested(argv);
  const program = buildProgram(io, { jsonErrors: json });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT_OK;
  } catch (error) {
    // commander has already written its own (usage) message.
    if (!(error instanceof CommanderError)) io.stderr.write(formatError(error, json));
    return exitCodeFor(error);
  }
}
