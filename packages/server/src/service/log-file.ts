/**
 * A log file the policy names for a service (`log = "/var/log/nginx/error.log"`),
 * read below --root. The policy's path is absolute and normalised (checked when
 * the policy is loaded); nothing of the client's reaches it.
 *
 * Containment is checked on the file actually opened, not on the name: it is
 * opened without following a final symbolic link (O_NOFOLLOW; O_NONBLOCK, so a
 * FIFO cannot hold the call), and then the kernel's name for the open file
 * (/proc/self/fd/N) must be exactly ROOT/PATH — a symbolic link anywhere on the
 * way, or a rename in between, makes it differ — and it must be a regular file
 * with one link (a hard link would be another file's contents under this name).
 * Log directories are often owned by the service's user (/var/log/mysql), so
 * unlike a policy file for Augeas (../augeas/containment.ts), which is written
 * later by name and so needs directories only root can change, a log is read
 * through the descriptor that was checked: whoever owns its directory can
 * change what the log says, never which file is read.
 *
 * The cursor is `f1.DEV.INO.OFFSET.MARK`: the file's identity, the byte
 * offset after the last line answered, and a digest of the bytes just before
 * it. On return it is honoured when the file is still that file and those bytes
 * are still there; a file replaced since (logrotate's rename + create) is
 * finished first when it is now `PATH.1`, then the new one is read from its
 * start; a file truncated in place (copytruncate), even if it has grown past
 * the offset again, is read again from its start.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { SERVICE_LOG_MAX_BYTES, type ServiceLogLine } from "@machina/protocol";
import { Fault, InvalidParamsFault, NotFoundFault, PolicyDeniedFault } from "../faults.js";
import type { Logger } from "../logger.js";
import { cutMessage, newestLines, oldestLines, type PositionedLine } from "./log-excerpt.js";
import type { LogExcerpt, LogRequest } from "./service-backend.js";

/** Raw bytes read by one call: an answer holds at most SERVICE_LOG_MAX_BYTES of lines anyway. */
const WINDOW_BYTES = SERVICE_LOG_MAX_BYTES;
const CURSOR = /^f1\.([0-9]{1,20})\.([0-9]{1,20})\.([0-9]{1,16})\.([0-9a-f]{16})$/;
/** Bytes before a cursor's offset whose digest the cursor keeps. */
const MARK_BYTES = 64;
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

interface FileCursor {
  dev: bigint;
  ino: bigint;
  offset: number;
  mark: string;
}

interface OpenLog {
  fd: number;
  dev: bigint;
  ino: bigint;
  size: number;
}

function parseCursor(cursor: string): FileCursor {
  const m = CURSOR.exec(cursor);
  if (!m || !Number.isSafeInteger(Number(m[3]))) {
    throw new InvalidParamsFault("not a cursor of this service's log (service.log answers one: give it back unchanged)", { param: "/cursor" });
  }
  return { dev: BigInt(m[1]!), ino: BigInt(m[2]!), offset: Number(m[3]), mark: m[4]! };
}

/** A digest of the bytes right before `offset`: what tells a file rewritten in place from one appended to. */
function mark(log: OpenLog, offset: number): string {
  const from = Math.max(0, offset - MARK_BYTES);
  return createHash("sha256").update(read(log.fd, from, offset - from)).digest("hex").slice(0, 16);
}

function formatCursor(log: OpenLog, offset: number): string {
  return `f1.${log.dev}.${log.ino}.${offset}.${mark(log, offset)}`;
}

/** The cursor's offset when it still points into `log` as it was, else undefined. */
function stillAt(log: OpenLog, cursor: FileCursor): number | undefined {
  if (log.dev !== cursor.dev || log.ino !== cursor.ino || cursor.offset > log.size) return undefined;
  return mark(log, cursor.offset) === cursor.mark ? cursor.offset : undefined;
}

/**
 * Reads `file` (the policy's absolute path) below `root`: its last lines, or
 * the lines after the request's cursor.
 */
export function readLogFile(root: string, file: string, request: LogRequest, logger: Logger): LogExcerpt {
  const cursor = request.cursor === undefined ? undefined : parseCursor(request.cursor);
  const literal = path.join(fs.realpathSync(root), file);
  const current = openContained(literal, file, logger);
  try {
    if (!cursor) return tail(current, file, request.lines);
    if (current.dev === cursor.dev && current.ino === cursor.ino) return forward(current, file, stillAt(current, cursor) ?? 0, request.lines);
    const rotated = openRotated(literal, file, logger);
    if (rotated) {
      try {
        const offset = stillAt(rotated, cursor);
        if (offset !== undefined && offset < rotated.size) {
          const rest = forward(rotated, file, offset, request.lines);
          return current.size > 0 ? { ...rest, more: true } : rest;
        }
      } finally {
        fs.closeSync(rotated.fd);
      }
    }
    return forward(current, file, 0, request.lines);
  } finally {
    fs.closeSync(current.fd);
  }
}

/** `PATH.1` under the same checks, or undefined when it is absent or fails them (then logged). */
function openRotated(literal: string, file: string, logger: Logger): OpenLog | undefined {
  try {
    return openContained(`${literal}.1`, `${file}.1`, logger);
  } catch (e) {
    if (!(e instanceof NotFoundFault)) logger.warn(`${file}.1 is not read after a rotation: ${(e as Error).message}`);
    return undefined;
  }
}

/** Opens the log and checks that what was opened is the file the policy names. */
function openContained(literal: string, file: string, logger: Logger): OpenLog {
  let fd: number;
  try {
    fd = fs.openSync(literal, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new NotFoundFault(`there is no log file ${file}`, file);
    if (code === "ELOOP") throw new PolicyDeniedFault(file, "refusing to read this log file: it is a symbolic link");
    logger.warn(`cannot open the log file ${literal}: ${(e as Error).message}`);
    throw new Fault("backend-failed", `the log file ${file} cannot be opened (${code ?? "error"})`, { backend: "log-file", retryable: false });
  }
  try {
    let opened: string;
    try {
      opened = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch (e) {
      logger.warn(`cannot tell which file ${literal} opened (/proc/self/fd): ${(e as Error).message}`);
      throw new PolicyDeniedFault(file, "refusing to read this log file: the daemon cannot tell which file it opened (is /proc mounted?)");
    }
    if (opened !== literal) {
      logger.warn(`the log file ${literal} opened ${opened}: refused`);
      throw new PolicyDeniedFault(file, "refusing to read this log file: it resolves to another file (through a symbolic link, or it was moved)");
    }
    const st = fs.fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new PolicyDeniedFault(file, "refusing to read this log file: it is not a regular file");
    if (st.nlink !== 1n) throw new PolicyDeniedFault(file, `refusing to read this log file: it has ${st.nlink} hard links (another file's contents could be read under its name)`);
    return { fd, dev: st.dev, ino: st.ino, size: Number(st.size) };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

function read(fd: number, start: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, start + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** The lines of `buf` (read at `start`), each with the offset after it; a last line without its newline when it ends the file. */
function splitLines(buf: Buffer, start: number, atEof: boolean): PositionedLine<number>[] {
  const out: PositionedLine<number>[] = [];
  let from = 0;
  for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, from)) {
    out.push({ line: fileLine(buf.subarray(from, nl)), end: start + nl + 1 });
    from = nl + 1;
  }
  // The rest: the end of the file, or a single line longer than the window (cut where the window ends).
  if (from < buf.length && (atEof || from === 0)) out.push({ line: fileLine(buf.subarray(from)), end: start + buf.length });
  return out;
}

function fileLine(bytes: Buffer): ServiceLogLine {
  const text = bytes.toString("utf8");
  return { message: cutMessage(text.endsWith("\r") ? text.slice(0, -1) : text) };
}

/** The last lines: the end of the file, the cursor at its end. */
function tail(log: OpenLog, file: string, wanted: number): LogExcerpt {
  const start = Math.max(0, log.size - WINDOW_BYTES);
  // With the byte before the window: unless it is a newline, the window's first line is not whole.
  const from = start > 0 ? start - 1 : 0;
  const raw = read(log.fd, from, log.size - from);
  const buf = start > 0 ? raw.subarray(1) : raw;
  let lines = splitLines(buf, start, true);
  if (start > 0 && raw[0] !== 10 && lines.length > 1) lines = lines.slice(1);
  const kept = newestLines(lines, wanted);
  return { source: file, lines: kept.map((k) => k.line), cursor: formatCursor(log, start + buf.length), more: false };
}

/** The lines after `offset`, oldest first. */
function forward(log: OpenLog, file: string, offset: number, wanted: number): LogExcerpt {
  const end = Math.min(log.size, offset + WINDOW_BYTES);
  const buf = read(log.fd, offset, end - offset);
  const lines = splitLines(buf, offset, offset + buf.length >= log.size);
  const { kept } = oldestLines(lines, wanted);
  const last = kept[kept.length - 1];
  const at = last ? last.end : offset;
  return { source: file, lines: kept.map((k) => k.line), cursor: formatCursor(log, at), more: at < log.size };
}
