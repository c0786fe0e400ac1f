/**
 * `service.log` of a supervisord program: its stdout log (with
 * `redirect_stderr`, its stderr too), read through supervisord —
 * tailProcessStdoutLog for the newest lines, readProcessStdoutLog from a
 * cursor — so machinad never opens a path supervisord's configuration names.
 *
 * The cursor is `s1.OFFSET`: a byte offset in that log, right after a whole
 * line. Only whole lines are answered; a last line without its newline waits
 * for it. When the log is shorter than the cursor (supervisord rotated it),
 * reading starts again at its beginning.
 */
import { SERVICE_LOG_MAX_BYTES } from "@machina/protocol";
import { Fault, InvalidParamsFault } from "../faults.js";
import { cutMessage, newestLines, oldestLines, type PositionedLine } from "./log-excerpt.js";
import type { LogExcerpt, LogRequest } from "./service-backend.js";
import type { XmlRpcValue } from "./supervisor-xmlrpc.js";

const CURSOR = /^s1\.(0|[1-9][0-9]{0,15})$/;

/** The log's own name for the client: never the file's path. */
const SOURCE = "supervisord: the program's stdout log";

/** Bytes asked of supervisord at once: what one answer may hold. */
const WINDOW = SERVICE_LOG_MAX_BYTES;

/** One supervisord call on the program (the backend's, with its fault mapping). */
export type SupervisorCall = (method: string, params: XmlRpcValue[]) => Promise<XmlRpcValue>;

function cursorOffset(cursor: string): number {
  const m = CURSOR.exec(cursor);
  const offset = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(offset)) throw new InvalidParamsFault("not a cursor of this service's log (service.log answers one: give it back unchanged)", { param: "/cursor" });
  return offset;
}

/** Whole lines of `text`, which starts at byte `start` of the log; a first line cut by the window is dropped. */
function wholeLines(text: string, start: number, cutAtStart: boolean): PositionedLine<number>[] {
  const out: PositionedLine<number>[] = [];
  let at = start;
  const parts = text.split("\n");
  parts.pop(); // after the last newline: an unfinished line, or nothing
  parts.forEach((part, i) => {
    at += Buffer.byteLength(part) + 1;
    if (i === 0 && cutAtStart) return;
    out.push({ line: { message: cutMessage(part.endsWith("\r") ? part.slice(0, -1) : part) }, end: at });
  });
  return out;
}

function stringOf(value: XmlRpcValue | undefined): string {
  return typeof value === "string" ? value : "";
}

/**
 * supervisord decodes the bytes it reads as UTF-8, strictly: a window that
 * cuts a character in two fails. Such a window is asked for again, up to
 * three bytes shorter (a UTF-8 character is at most four).
 */
async function windowed(read: (length: number) => Promise<XmlRpcValue>, length: number): Promise<XmlRpcValue> {
  for (let shorter = 0; ; shorter++) {
    try {
      return await read(length - shorter);
    } catch (e) {
      if (shorter === 3 || length - shorter <= 1 || !(e instanceof Fault) || e.kind !== "backend-failed") throw e;
    }
  }
}

/** Where the unfinished line at the end of `text` (which ends at byte `end`) starts. */
function unfinishedAt(text: string, end: number): number {
  return end - Buffer.byteLength(text.slice(text.lastIndexOf("\n") + 1));
}

export async function readSupervisorLog(name: string, request: LogRequest, call: SupervisorCall): Promise<LogExcerpt> {
  if (request.cursor === undefined) {
    // [bytes, the log's size, whether it is longer than the bytes]
    const answer = await windowed((length) => call("supervisor.tailProcessStdoutLog", [name, 0, length]), WINDOW);
    const [data, size] = Array.isArray(answer) ? answer : [];
    const text = stringOf(data);
    const end = typeof size === "number" ? size : Buffer.byteLength(text);
    const start = end - Buffer.byteLength(text);
    const lines = newestLines(wholeLines(text, start, start > 0), request.lines);
    return { source: SOURCE, lines: lines.map((l) => l.line), cursor: `s1.${lines.at(-1)?.end ?? unfinishedAt(text, end)}`, more: false };
  }
  let from = cursorOffset(request.cursor);
  // tailProcessStdoutLog with length 0 answers the log's size and no bytes.
  const sized = await call("supervisor.tailProcessStdoutLog", [name, 0, 0]);
  const size = Array.isArray(sized) && typeof sized[1] === "number" ? sized[1] : 0;
  if (from > size) from = 0; // rotated: the log is a new file
  if (from === size) return { source: SOURCE, lines: [], cursor: `s1.${from}`, more: false };
  const wanted = Math.min(WINDOW, size - from);
  const text = stringOf(await windowed((length) => call("supervisor.readProcessStdoutLog", [name, from, length]), wanted));
  let lines = wholeLines(text, from, false);
  // A line longer than the window: answered cut, so the cursor moves on.
  if (lines.length === 0 && wanted === WINDOW) lines = [{ line: { message: cutMessage(text) }, end: from + Buffer.byteLength(text) }];
  const { kept, more } = oldestLines(lines, request.lines);
  const next = kept.at(-1)?.end ?? from;
  return { source: SOURCE, lines: kept.map((l) => l.line), cursor: `s1.${next}`, more: more || from + Buffer.byteLength(text) < size };
}
