/**
 * The audit log: one JSON line per call — time, session, peer, method, targets,
 * decision, outcome, duration. Param values are never written (they may be
 * secrets: command stdin, configuration values); only the paths and resource
 * names a call targeted.
 *
 * Lines are collected and written together — one write(2) for all the calls
 * a pipelining client's burst made, instead of one per call — and always
 * before the answers they describe leave (the session calls flush() before
 * it sends), so a line is never lost to a daemon that dies after a client saw
 * the call's outcome. The rest is flushed on the next turn of the event loop,
 * on close, and when the process exits (also on an uncaught exception).
 */
import fs from "node:fs";

export interface AuditPeer {
  pid: number;
  uid: number;
  gid: number;
}

export interface AuditRecord {
  /**
   * The call's audit id (newAuditId): unique across the daemon's restarts, so
   * that what a call left behind (a history entry, augeas/history-store.ts)
   * can name it.
   */
  id: string;
  session: number;
  peer: AuditPeer;
  method: string;
  /** Paths, nodes or resource names the call targeted (never values). */
  targets: string[];
  /** `allow` when the policy let the call run, `deny` when it refused it. */
  decision: "allow" | "deny";
  /** `ok`, or the error kind the client received. */
  outcome: string;
  durationMs: number;
  /** A short reason for refusals and failures. */
  reason?: string;
  /**
   * Only on a summary line (refusal-log.ts): how many refusals of this kind
   * from this uid it stands for, beyond those written one by one.
   */
  count?: number;
}

export interface AuditLog {
  /** Queues the record's line; it reaches the file at the next flush(). */
  write(record: AuditRecord): void;
  /** Writes every queued line now, in one write. */
  flush(): void;
  /** Opens the file again (after logrotate moved it away); a no-op for stderr. */
  reopen(): void;
  close(): void;
}

/** When this daemon started, in base 36: the part of every audit id that tells restarts apart. */
const STARTED = Date.now().toString(36);
let nextCall = 0;

/**
 * A new audit id: `<start time in ms, base 36>-<session>-<call number>`, e.g.
 * `m3k9x2a1-4-17`. The call number counts every call of this daemon process;
 * the start time makes ids unique across restarts (a restart within the same
 * millisecond is not possible). Only lower-case letters, digits and `-`, so
 * the id is safe as a file name (the history keeps entries by it).
 */
export function newAuditId(session: number): string {
  return `${STARTED}-${session}-${++nextCall}`;
}

/** An audit log appending to FILE (created 0600), or writing to stderr when no file is given. */
export function openAuditLog(file?: string): AuditLog {
  const open = (f: string) => fs.openSync(f, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  let fd: number | undefined = file ? open(file) : undefined;
  let queued: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (queued.length === 0) return;
    const text = queued.length === 1 ? queued[0]! : queued.join("");
    queued = [];
    if (fd !== undefined) fs.writeSync(fd, text);
    else process.stderr.write(text);
  };
  process.on("exit", flush);
  return {
    flush,
    write(record) {
      const line =
        JSON.stringify({
          time: new Date().toISOString(),
          type: "audit",
          ...record,
          peer: { pid: record.peer.pid, uid: record.peer.uid, gid: record.peer.gid },
          targets: record.targets.length > 1 ? [...new Set(record.targets)] : record.targets,
          durationMs: Math.round(record.durationMs * 1000) / 1000,
        }) + "\n";
      queued.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    reopen() {
      if (!file) return;
      flush();
      // Open the new file before closing the old one, so no line can be lost in between.
      const next = open(file);
      if (fd !== undefined) fs.closeSync(fd);
      fd = next;
    },
    close() {
      flush();
      process.off("exit", flush);
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}
