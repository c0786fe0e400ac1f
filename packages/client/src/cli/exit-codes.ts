/**
 * The one place that decides the CLI's exit status and how an error is shown:
 *
 *   0  success
 *   1  the daemon refused or failed the call (any other MachinaError)
 *   2  usage: bad arguments or options, a script that does not parse
 *   3  could not connect or authenticate: ConnectionError (no socket, an
 *      untrusted socket, a bad secret file, an impostor daemon, a dropped
 *      connection), AuthFailedError, BusyError
 *
 * An error is shown as one line on stderr, `machina: KIND: message (details)`,
 * or with `--json` as one JSON object `{"error":{kind,code,message,data}}`.
 */
import { CommanderError } from "commander";
import { AuthFailedError, BusyError, ConnectionError, MachinaError } from "../errors.js";
import { ScriptError } from "./script.js";
import { UsageError } from "./usage-error.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_CONNECTION = 3;

/** A daemon error about one change of a script, located at its line. */
export class ErrorAtLine extends Error {
  constructor(
    readonly error: MachinaError,
    /** `FILE:LINE` */
    readonly where: string,
  ) {
    super(`${where}: ${error.message}`, { cause: error });
    this.name = "ErrorAtLine";
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof ErrorAtLine) return exitCodeFor(error.error);
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (error instanceof UsageError || error instanceof ScriptError) return EXIT_USAGE;
  if (error instanceof ConnectionError || error instanceof AuthFailedError || error instanceof BusyError) return EXIT_CONNECTION;
  return EXIT_FAILED;
}

interface ErrorReport {
  kind: string;
  code?: number;
  message: string;
  data?: unknown;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

function reportOf(error: unknown): ErrorReport {
  if (error instanceof ErrorAtLine) {
    const inner = reportOf(error.error);
    return { ...inner, message: `${error.where}: ${inner.message}` };
  }
  if (error instanceof MachinaError) {
    return {
      kind: error.kind,
      ...(error.code === undefined ? {} : { code: error.code }),
      message: error.describe(),
      data: error.data,
    };
  }
  if (error instanceof ScriptError) {
    return { kind: "usage", message: error.message, data: { file: error.file, line: error.line } };
  }
  if (error instanceof UsageError) return { kind: "usage", message: error.message };
  if (error instanceof Error) return { kind: "error", message: error.message };
  return { kind: "error", message: String(error) };
}

/** The error as the one line written to stderr (newline included). */
export function formatError(error: unknown, json: boolean): string {
  const report = reportOf(error);
  if (json) return JSON.stringify({ error: report }) + "\n";
  const kind = report.kind === "usage" ? "" : `${report.kind}: `;
  return `machina: ${kind}${oneLine(report.message)}\n`;
}

/** A usage message from commander (`error: unknown command 'x'`), shown like the others. */
export function formatUsageMessage(text: string, json: boolean): string {
  const message = oneLine(text.replace(/^error: /, ""));
  return json ? JSON.stringify({ error: { kind: "usage", message } }) + "\n" : `machina: ${message}\n`;
}
