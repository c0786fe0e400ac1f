/**
 * A systemd unit's log, read from the journal with journalctl — the program,
 * not the C API (sd-journal would need a native binding; journalctl is what
 * the journal's own tools use, and runs through the daemon's one process
 * runner): an argument vector whose only client-derived parts are the
 * canonical unit name and a validated cursor, each glued to its option
 * (`--unit=…`, `--after-cursor=…`) so neither can be read as an option;
 * `--output=json` with the few fields a line needs; a cleared environment; the
 * call timeout; an output cap. `--unit` matches the unit's own processes and
 * what systemd logs about it ("Failed with result 'exit-code'").
 *
 * The cursor handed to the client is journald's own, prefixed `j1.`; one
 * coming back is checked against journald's cursor syntax before use.
 */
import type { ServiceLogLine } from "@machina/protocol";
import { Fault, InvalidParamsFault, TimeoutFault } from "../faults.js";
import type { Logger } from "../logger.js";
import { runProgram, SAFE_PATH, type ProgramResult } from "../process/run-program.js";
import { cutMessage, newestLines, oldestLines, type PositionedLine } from "./log-excerpt.js";
import type { LogExcerpt, LogRequest } from "./service-backend.js";

/** Debian's systemd package installs it here (and /usr/bin/journalctl on merged-/usr systems is the same file). */
const JOURNALCTL = "/bin/journalctl";
/** What a line needs; journalctl adds __CURSOR and __REALTIME_TIMESTAMP (and a few others) by itself. */
const FIELDS = "MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,_COMM,_PID";
/** journalctl's JSON output withholds fields longer than this (without --all), answering null. */
const JSON_FIELD_LIMIT = 4096;
/** Bytes of journalctl output read; at ~ 1 KiB a line, far above the 1000 lines an answer holds. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

const CURSOR_PREFIX = "j1.";
/** journald's cursor: `s=SEQNUM_ID;i=SEQNUM;b=BOOT_ID;m=MONOTONIC;t=REALTIME;x=XOR_HASH`, lowercase hex. */
const JOURNAL_CURSOR = /^s=[0-9a-f]{1,64}(?:;[a-z]=[0-9a-f]{1,64}){1,8}$/;

export interface JournalOptions {
  timeoutMs: number;
  logger: Logger;
  /** journalctl's path (tests). */
  program?: string;
}

/** The cursor as journalctl takes it, from the client's opaque one; invalid-params otherwise. */
function journalCursor(cursor: string): string {
  const inner = cursor.startsWith(CURSOR_PREFIX) ? cursor.slice(CURSOR_PREFIX.length) : "";
  if (!JOURNAL_CURSOR.test(inner)) throw new InvalidParamsFault("not a cursor of this service's log (service.log answers one: give it back unchanged)", { param: "/cursor" });
  return inner;
}

/**
 * The unit's last `lines` journal lines, or at most `lines` after the
 * request's cursor. `flush`: ask journald first to write out what it has
 * received (a failed start's last words may still be in its sockets).
 */
export async function readJournal(unit: string, request: LogRequest, options: JournalOptions): Promise<LogExcerpt> {
  const after = request.cursor === undefined ? undefined : journalCursor(request.cursor);
  const program = options.program ?? JOURNALCTL;
  if (request.flush) await syncJournal(program, options);
  const args = ["--quiet", "--no-pager", "--output=json", `--output-fields=${FIELDS}`, `--unit=${unit}`];
  // After a cursor, --lines counts forward from it: one more than wanted tells whether more are waiting.
  args.push(`--lines=${after === undefined ? request.lines : request.lines + 1}`);
  if (after !== undefined) args.push(`--after-cursor=${after}`);
  const r = await run(program, args, options, unit);
  if (r.exitCode !== 0) {
    const stderr = r.stderr.toString("utf8").trim();
    if (after !== undefined && /cursor/i.test(stderr)) {
      throw new InvalidParamsFault("journald does not accept this cursor (give back one service.log answered, unchanged)", { param: "/cursor" });
    }
    options.logger.warn(`journalctl for ${unit} exited ${r.exitCode ?? r.signal}: ${stderr.slice(0, 2000)}`);
    throw new Fault("backend-failed", `${unit} log: journalctl failed (exit ${r.exitCode ?? r.signal}); the daemon's log has its message`, { backend: "systemd", retryable: false });
  }
  const entries = parseEntries(r.stdout, r.truncated, options.logger, unit);
  if (after === undefined) {
    const kept = newestLines(entries, request.lines);
    return excerpt(kept, undefined, r.truncated);
  }
  const { kept, more } = oldestLines(entries, request.lines);
  return excerpt(kept, request.cursor, more || r.truncated);
}

function excerpt(kept: PositionedLine<string>[], previous: string | undefined, more: boolean): LogExcerpt {
  const last = kept[kept.length - 1];
  const cursor = last ? CURSOR_PREFIX + last.end : previous;
  return { source: "journal", lines: kept.map((k) => k.line), ...(cursor !== undefined ? { cursor } : {}), more };
}

async function run(program: string, args: string[], options: JournalOptions, unit: string): Promise<ProgramResult> {
  let r: ProgramResult;
  try {
    r = await runProgram(program, args, { env: { PATH: SAFE_PATH, LC_ALL: "C" }, timeoutMs: options.timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES });
  } catch (e) {
    options.logger.warn(`cannot run ${program}: ${(e as Error).message}`);
    throw new Fault("backend-failed", `${unit} log: journalctl cannot be run (${(e as NodeJS.ErrnoException).code ?? "error"})`, { backend: "systemd", retryable: false });
  }
  if (r.timedOut) throw new TimeoutFault(options.timeoutMs, `${unit} log: journalctl did not finish within ${options.timeoutMs} ms`);
  return r;
}

/** `journalctl --sync`, best effort: without it the lines are merely maybe a little behind. */
async function syncJournal(program: string, options: JournalOptions): Promise<void> {
  try {
    const r = await runProgram(program, ["--sync"], { env: { PATH: SAFE_PATH, LC_ALL: "C" }, timeoutMs: Math.min(options.timeoutMs, 5000), maxOutputBytes: 4096 });
    if (r.exitCode !== 0) options.logger.debug(`journalctl --sync exited ${r.exitCode ?? r.signal}: ${r.output.toString("utf8").trim()}`);
  } catch (e) {
    options.logger.debug(`journalctl --sync: ${(e as Error).message}`);
  }
}

type JsonValue = string | number[] | null | (string | number[] | null)[];

function parseEntries(stdout: Buffer, truncated: boolean, logger: Logger, unit: string): PositionedLine<string>[] {
  const text = stdout.toString("utf8");
  const rows = text.split("\n");
  // The last row is empty after a final newline, or a line the output cap cut.
  rows.pop();
  const out: PositionedLine<string>[] = [];
  for (const row of rows) {
    let e: Record<string, JsonValue>;
    try {
      e = JSON.parse(row) as Record<string, JsonValue>;
    } catch {
      logger.warn(`journalctl for ${unit}: a line of its output is not JSON; skipped`);
      continue;
    }
    const cursor = e.__CURSOR;
    if (typeof cursor !== "string" || !JOURNAL_CURSOR.test(cursor)) continue;
    out.push({ line: journalLine(e), end: cursor });
  }
  if (truncated) logger.info(`journalctl for ${unit}: output beyond ${MAX_OUTPUT_BYTES} bytes was cut`);
  return out;
}

/** A field's text: journalctl writes text as a string, other bytes as an array of numbers, a repeated field as an array of those. */
function fieldText(v: JsonValue | undefined): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((x): x is number => typeof x === "number")) return Buffer.from(v).toString("utf8");
  if (Array.isArray(v) && v.length > 0) return fieldText(v[0]);
  return undefined;
}

function journalLine(e: Record<string, JsonValue>): ServiceLogLine {
  const message = e.MESSAGE === null ? `[message of more than ${JSON_FIELD_LIMIT} bytes not shown]` : cutMessage(fieldText(e.MESSAGE) ?? "");
  const line: ServiceLogLine = { message };
  const realtime = fieldText(e.__REALTIME_TIMESTAMP);
  const when = realtime && /^[0-9]{1,20}$/.test(realtime) ? new Date(Number(BigInt(realtime) / 1000n)) : undefined;
  if (when && !Number.isNaN(when.getTime())) line.time = when.toISOString();
  const priority = Number(fieldText(e.PRIORITY));
  if (Number.isInteger(priority) && priority >= 0 && priority <= 7) line.priority = priority;
  const source = fieldText(e.SYSLOG_IDENTIFIER) ?? fieldText(e._COMM);
  if (source) line.source = source.slice(0, 256);
  const pid = Number(fieldText(e._PID));
  if (Number.isSafeInteger(pid) && pid > 0) line.pid = pid;
  return line;
}
