/**
 * The bounds every `service.log` answer keeps, whatever the log: at most
 * SERVICE_LOG_MAX_LINES lines and SERVICE_LOG_MAX_BYTES of the lines' JSON
 * (what actually goes on the wire, escapes included, so the answer always fits
 * a protocol line), each message cut at MAX_MESSAGE_CHARS. Without a cursor
 * the newest lines are kept; after a cursor the oldest, with `more` saying
 * that the rest is waiting.
 */
import { SERVICE_LOG_MAX_BYTES, SERVICE_LOG_MAX_LINES, type ServiceLogLine } from "@machina/protocol";

/** A line cut here ends in `[…]`; 16 Ki characters escape to at most 96 KiB of JSON, so one line always fits. */
export const MAX_MESSAGE_CHARS = 16 * 1024;

/** A line of a log and the position right after it (a journal cursor, a file offset). */
export interface PositionedLine<P> {
  line: ServiceLogLine;
  end: P;
}

export function cutMessage(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 3)}[…]` : text;
}

function jsonBytes(line: ServiceLogLine): number {
  return Buffer.byteLength(JSON.stringify(line)) + 1;
}

/** The last lines of `lines` (oldest first) that fit `wanted` and the byte bound. */
export function newestLines<P>(lines: readonly PositionedLine<P>[], wanted: number): PositionedLine<P>[] {
  const max = Math.min(wanted, SERVICE_LOG_MAX_LINES);
  let bytes = 0;
  let start = lines.length;
  while (start > 0 && lines.length - start < max) {
    bytes += jsonBytes(lines[start - 1]!.line);
    if (bytes > SERVICE_LOG_MAX_BYTES) break;
    start--;
  }
  return lines.slice(start);
}

/** The first lines of `lines` that fit `wanted` and the byte bound; `more` when some were left. */
export function oldestLines<P>(lines: readonly PositionedLine<P>[], wanted: number): { kept: PositionedLine<P>[]; more: boolean } {
  const max = Math.min(wanted, SERVICE_LOG_MAX_LINES);
  let bytes = 0;
  let end = 0;
  while (end < lines.length && end < max) {
    bytes += jsonBytes(lines[end]!.line);
    if (bytes > SERVICE_LOG_MAX_BYTES) break;
    end++;
  }
  return { kept: lines.slice(0, end), more: end < lines.length };
}
