/**
 * The audit log: one JSON line per call — time, session, peer, method, targets,
 * decision, outcome, duration. Param values are never written (they may be
 * secrets: command stdin, configuration values); only the paths and resource
 * names a call targeted.
 */
import fs from "node:fs";

export interface AuditPeer {
  pid: number;
  uid: number;
  gid: number;
}

export interface AuditRecord {
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
  write(record: AuditRecord): void;
  /** Opens the file again (after logrotate moved it away); a no-op for stderr. */
  reopen(): void;
  close(): void;
}

/** An audit log appending to FILE (created 0600), or writing to stderr when no file is given. */
export function openAuditLog(file?: string): AuditLog {
  const open = (f: string) => fs.openSync(f, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  let fd: number | undefined = file ? open(file) : undefined;
  return {
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
      // Synchronous on purpose: an audit line must not be lost if the daemon dies right after the call.
      if (fd !== undefined) fs.writeSync(fd, line);
      else process.stderr.write(line);
    },
    reopen() {
      if (!file) return;
      // Open the new file before closing the old one, so no line can be lost in between.
      const next = open(file);
      if (fd !== undefined) fs.closeSync(fd);
      fd = next;
    },
    close() {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}
