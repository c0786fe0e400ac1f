/**
 * Log and audit lines for what a peer can make the daemon write without the
 * key — refused connections (not in [clients], too many waiting, busy, a
 * stopping daemon), wrong proofs, calls before authentication — written with a
 * rate limit, so a flood cannot fill the disk: for each reason, at most
 * `limit` lines per interval (10 s) are written one by one; the rest are
 * counted per uid and written, when the interval ends, as one summary line
 * (and one audit record carrying `count`) per uid: "refused 4312 connections
 * from uid 1001 in the last 10 s …". Nothing is lost but the detail, and the
 * log grows by a bounded number of lines per interval whatever the flood.
 */
import type { PeerCredentials } from "@machina/peercred";
import type { AuditLog, AuditRecord } from "./audit.js";
import type { Logger } from "./logger.js";
import { DEFAULT_REFUSAL_LOG_LIMIT } from "./limits.js";

/** The interval of the limit (`--refusal-log-limit` lines per reason). */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** uids counted separately per reason and interval; further ones are summed up as "other uids". */
const MAX_UIDS_PER_REASON = 64;

export interface Refusal {
  /** The budget and summary this refusal counts against (e.g. `connect: not in [clients]`). */
  readonly reason: string;
  readonly peer: Pick<PeerCredentials, "pid" | "uid" | "gid">;
  /** Its diagnostic log line, if it has one. */
  readonly log?: { readonly level: "info" | "warn"; readonly message: string };
  /** Its audit record, if it has one. */
  readonly audit?: AuditRecord;
  /**
   * The summary of `count` such refusals from `uid` not written one by one,
   * e.g. `refused ${count} connections from uid ${uid} in the last ${seconds} s: …`.
   */
  summary(count: number, uid: number | "other uids", seconds: number): string;
}

interface Suppressed {
  count: number;
  /** The last one, whose log level and audit record the summary reuses. */
  last: Refusal;
}

interface Window {
  start: number;
  written: number;
  suppressed: Map<number | "other uids", Suppressed>;
  timer: NodeJS.Timeout | undefined;
}

export class RefusalLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly out: { logger: Logger; audit: AuditLog },
    readonly limit = DEFAULT_REFUSAL_LOG_LIMIT,
    readonly intervalMs = REFUSAL_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes the refusal's lines, or counts it for its reason's summary once the reason's budget is spent. */
  record(refusal: Refusal): void {
    const now = this.now();
    let w = this.windows.get(refusal.reason);
    if (w && now - w.start >= this.intervalMs) {
      this.summarise(refusal.reason, w);
      w = undefined;
    }
    if (!w) {
      w = { start: now, written: 0, suppressed: new Map(), timer: undefined };
      this.windows.set(refusal.reason, w);
    }
    if (w.written < this.limit) {
      w.written++;
      this.write(refusal);
      return;
    }
    const uid = w.suppressed.has(refusal.peer.uid) || w.suppressed.size < MAX_UIDS_PER_REASON ? refusal.peer.uid : "other uids";
    const s = w.suppressed.get(uid);
    if (s) {
      s.count++;
      s.last = refusal;
    } else {
      w.suppressed.set(uid, { count: 1, last: refusal });
    }
    if (!w.timer) {
      // The summary is due when the interval ends, even if nothing else comes.
      const window = w;
      const reason = refusal.reason;
      w.timer = setTimeout(() => {
        if (this.windows.get(reason) === window) this.summarise(reason, window);
      }, Math.max(0, window.start + this.intervalMs - now));
      w.timer.unref();
    }
  }

  /** Writes every pending summary now (at shutdown). */
  flush(): void {
    for (const [reason, w] of [...this.windows]) this.summarise(reason, w);
  }

  private summarise(reason: string, w: Window): void {
    clearTimeout(w.timer);
    w.timer = undefined;
    if (this.windows.get(reason) === w) this.windows.delete(reason);
    const seconds = Math.max(1, Math.round((this.now() - w.start) / 1000));
    for (const [uid, s] of w.suppressed) {
      const text = `${s.last.summary(s.count, uid, seconds)} (the first ${this.limit} of this kind in that time were logged one by one)`;
      if (s.last.log) this.out.logger[s.last.log.level](text);
      if (s.last.audit) {
        const peer = uid === "other uids" ? { pid: 0, uid: -1, gid: -1 } : s.last.audit.peer;
        this.out.audit.write({ ...s.last.audit, session: 0, peer, targets: [], durationMs: 0, reason: text, count: s.count });
      }
    }
  }

  private write(refusal: Refusal): void {
    if (refusal.log) this.out.logger[refusal.log.level](refusal.log.message);
    if (refusal.audit) this.out.audit.write(refusal.audit);
  }
}
