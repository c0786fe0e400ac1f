/**
 * The daemon's default limits, defined once: `machinad run`'s option defaults
 * and `startDaemon`'s fall-backs both read them.
 */
export { DEFAULT_MAX_LINE_BYTES } from "@machina/protocol";

/** Time a connection has to authenticate (`--auth-timeout`). */
export const DEFAULT_AUTH_TIMEOUT_MS = 5000;

/** Time limit of each call (`--call-timeout`); apt and commands have their own, longer ones. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;

/**
 * Connections that may wait to authenticate at once (`--max-pending`), and
 * of one peer uid (`--max-pending-per-uid`); see transport/pending.ts. The
 * session slot is taken only by a connection that proved the key.
 */
export const DEFAULT_MAX_PENDING = 16;
export const DEFAULT_MAX_PENDING_PER_UID = 8;

/**
 * Log and audit lines written one by one per refusal reason and 10 s
 * (`--refusal-log-limit`); the rest are summed up (refusal-log.ts).
 */
export const DEFAULT_REFUSAL_LOG_LIMIT = 20;

/**
 * The listening socket's backlog: connections the kernel queues before
 * machinad accepts them (capped by net.core.somaxconn). Refusals are cheap,
 * so a deep queue lets a flood of connections wait its turn instead of making
 * the panel's connect fail with EAGAIN. Under socket activation, systemd's
 * Backlog= sets it (machina.socket).
 */
export const LISTEN_BACKLOG = 4096;

/**
 * What one session may make the daemon hold or compute (issue 13): plain data,
 * handed to where each bound is enforced. Every one has a `machinad run` flag
 * `--max-NAME`, and going beyond one is a `limit-exceeded` error naming it
 * (@machina/protocol's LIMIT_NAMES), with nothing changed. The defaults are
 * far above what a panel does (a few edits, a few predicates, between saves)
 * and far below what hurts the daemon.
 */
export interface SessionLimits {
  /** Edits pending between saves (`--max-pending-edits`; augeas/edit-budget.ts). */
  readonly maxPendingEdits: number;
  /** Bytes pending edits hold: values, paths, labels, resolved nodes (`--max-pending-bytes`). */
  readonly maxPendingBytes: number;
  /** Nodes in one policy file's tree an edit may grow it to (`--max-file-nodes`). */
  readonly maxFileNodes: number;
  /** One policy file's size on disk plus what pending edits add to it (`--max-file-bytes`). */
  readonly maxFileBytes: number;
  /** Predicates in one client path (`--max-path-predicates`; augeas/path-cost.ts). */
  readonly maxPathPredicates: number;
  /** (1 + predicates) × node tests of one client path (`--max-path-cost`). */
  readonly maxPathCost: number;
  /** Changes in one `augeas.apply` (`--max-apply-changes`; the protocol's schema allows 1000). */
  readonly maxApplyChanges: number;
}

/**
 * 10 000 pending edits and 16 MiB: a panel saves after a handful. Without a
 * bound, 49 000 unsaved 64 KiB sets of one node held 3.1 GB and V8 aborted.
 */
export const DEFAULT_MAX_PENDING_EDITS = 10_000;
export const DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024;
/**
 * 10 000 nodes per file (a 3 000-line /etc/hosts): libaugeas builds the path
 * of every node a match answers by counting its siblings, so listing n
 * siblings costs O(n²) — 10 000 of them ~0.6 s on the test VM, 30 000 ~5 s.
 * 16 MiB per file: /etc files are kilobytes.
 */
export const DEFAULT_MAX_FILE_NODES = 10_000;
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;
/**
 * 16 predicates and a cost of 1024 per path: a panel's paths have one or two
 * predicates and cost under 50 (`/files/etc/hosts/*[canonical = "x"]/alias`
 * costs 14). libaugeas evaluates a predicate per candidate node, so cost
 * grows with predicates × their length; 300 predicates over 10 000 nodes held
 * the daemon 38–51 s.
 */
export const DEFAULT_MAX_PATH_PREDICATES = 16;
export const DEFAULT_MAX_PATH_COST = 1024;
/** The protocol's own maximum (`augeas.apply`'s schema: maxItems 1000); a daemon may set less. */
export const MAX_APPLY_CHANGES = 1000;

export const DEFAULT_SESSION_LIMITS: SessionLimits = Object.freeze({
  maxPendingEdits: DEFAULT_MAX_PENDING_EDITS,
  maxPendingBytes: DEFAULT_MAX_PENDING_BYTES,
  maxFileNodes: DEFAULT_MAX_FILE_NODES,
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  maxPathPredicates: DEFAULT_MAX_PATH_PREDICATES,
  maxPathCost: DEFAULT_MAX_PATH_COST,
  maxApplyChanges: MAX_APPLY_CHANGES,
});

/**
 * Requests of one authenticated connection read but not yet answered
 * (`--max-in-flight`): beyond it the daemon stops reading the socket until
 * half have been answered (back-pressure, not an error: the client's calls
 * all run, in order, and queued lines hold at most this many × the line limit).
 * Reading also stops while more than MAX_UNSENT_BYTES of answers wait for the
 * client to read them.
 */
export const DEFAULT_MAX_IN_FLIGHT = 64;
export const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

/** Requests in one JSON-RPC batch (`--max-batch`); more is an invalid request, none run. */
export const DEFAULT_MAX_BATCH = 256;
