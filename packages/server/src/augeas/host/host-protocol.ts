/**
 * What machinad and its Augeas host process say to each other: one JSON
 * object per line on the host's fd 3 (a socket pair). Requests are answered
 * in order, one at a time; log lines may come between answers.
 */
import type { ErrorKind } from "@machina/protocol";
import type { SessionLimits } from "../../limits.js";
import type { AugeasSection } from "../augeas-section.js";
import type { WorkspaceFile } from "../workspace.js";
import type { HistoryOptions } from "../local-runtime.js";
import type { HistoryPeer } from "../history-store.js";

/**
 * The methods that only read the tree. After any other call, whatever it did
 * or failed to do, the tree may differ from the files: the host parses them
 * again at the next reset (workspace.ts, unchangedSinceLoad), and the daemon
 * resets when such a session ends. After these alone a session leaves
 * nothing to drop, and a reset may keep the tree of files unchanged on disk.
 * A method missing here only makes resets slower.
 */
export const TREE_READS: ReadonlySet<string> = new Set(["augeas.get", "augeas.match", "augeas.history"]);

/** Which call a `call` request is: what its audit line says of it (a save's history entry is keyed by it). */
export interface HostCallIdentity {
  /** The call's audit id (audit.ts newAuditId). */
  id: string;
  /** When the daemon received it (ISO 8601). */
  time: string;
  peer: HistoryPeer;
}

export type HostRequest =
  /**
   * Open a workspace for this section (start-up, SIGHUP; always a host's
   * first request, which is why it names the root); answered with the files
   * and their problems.
   */
  | {
      id: number;
      op: "policy";
      root: string;
      section: AugeasSection;
      limits: SessionLimits;
      history: HistoryOptions;
      /** The key of file tags (file-tag.ts), base64: drawn once by the daemon, so tags survive a host restart. */
      tagKey: string;
    }
  /**
   * Drop pending edits and reload the files (those unchanged since a load
   * that only reads followed are kept); answered with the files and their
   * problems. Sent before a session's first call and when a session that
   * did more than read ends.
   */
  | { id: number; op: "reset" }
  /** One `augeas.*` call, its params already checked against the vocabulary's schema. */
  | { id: number; op: "call"; method: string; params: unknown; call: HostCallIdentity };

/** A Fault as it crosses the pipe; `internal` stands for anything else (logged in full by the host). */
export type HostFault = { kind: Exclude<ErrorKind, "internal">; message: string; fields: Record<string, unknown> } | { kind: "internal" };

/** How a call went: refused (no grant), or granted with its targets and then a result or a fault. */
export type CallOutcome =
  | { granted: false; refusal: { target: string; reason: string; file?: string } }
  | { granted: false; fault: HostFault }
  | { granted: true; targets: readonly string[]; result: unknown }
  | { granted: true; targets: readonly string[]; fault: HostFault };

export type HostReply =
  | { id: number; files: WorkspaceFile[] }
  | { id: number; outcome: CallOutcome }
  /** The request could not be handled (a bug): the daemon logs it and restarts the host. */
  | { id: number; failed: string };

export interface HostLogLine {
  log: { level: "debug" | "info" | "warn" | "error"; message: string };
}
