/**
 * Error kinds and JSON-RPC error codes.
 *
 * Every error the daemon sends carries `error.data.kind`, one of {@link ERROR_KINDS}.
 * Clients should branch on `data.kind`, never on `error.message` (messages are for
 * humans and may be reworded). Codes follow JSON-RPC 2.0: its reserved codes for
 * parse errors, invalid requests, unknown methods, invalid params and internal
 * errors; machina's own kinds use codes in -32000..-32099.
 */
import type { ServiceLogLine } from "./methods/service.js";

/** Every error kind machina reports. */
export const ERROR_KINDS = [
  /** The request or its params are malformed (schema violation, parse error, bad framing). */
  "invalid-params",
  /** A method other than `session.*` / `rpc.discover` was called before authentication. */
  "unauthenticated",
  /** The client's proof was wrong; the connection is closed after this error. */
  "auth-failed",
  /** Another client already holds the one session; the connection is closed. */
  "busy",
  /** The policy does not allow this method, file, node, service, package, command or zone. */
  "policy-denied",
  /** libaugeas refused or failed the operation (see {@link AugeasErrorData}). */
  "augeas",
  /** A file changed on disk since it was loaded (`augeas.rollback`: since the save it rolls back wrote it); nothing was written. */
  "conflict",
  /** The method, node or resource does not exist. */
  "not-found",
  /** An external backend (init script, systemd, apt, a command) failed. */
  "backend-failed",
  /** The call did not finish within its time limit. */
  "timeout",
  /**
   * The call would take the session beyond one of the daemon's resource
   * limits (pending edits, the size of a file's tree, the cost of a path, the
   * size of a batch); `data.limit` names it (see {@link LimitExceededErrorData}).
   * Nothing was changed: the session's pending edits are as they were.
   */
  "limit-exceeded",
  /**
   * A check the policy requires before a change failed, so the change was not
   * made: a service's configuration test (`[[service]] test`, e.g. `nginx -t`)
   * before a reload or restart — the running service is untouched; or a
   * configuration file's validator (`[[augeas.file]] validate`, e.g.
   * `visudo -cf %s`) on its new version before a save — nothing is written.
   * `data.output` holds the program's output where the client may see it
   * (see {@link ValidationFailedErrorData}).
   */
  "validation-failed",
  /** Something went wrong inside the daemon; details are in the daemon's log only. */
  "internal",
] as const;

/** One of {@link ERROR_KINDS}. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** JSON-RPC 2.0's reserved codes, used where they fit. */
export const JSONRPC_CODES = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
} as const;

/**
 * The code sent for each kind. `invalid-params` and `internal` use the JSON-RPC
 * reserved codes; parse errors (-32700), invalid requests (-32600) and unknown
 * methods (-32601) keep their reserved codes too and carry the kinds
 * `invalid-params`, `invalid-params` and `not-found` respectively.
 */
export const ERROR_CODES: Readonly<Record<ErrorKind, number>> = {
  "invalid-params": JSONRPC_CODES.invalidParams,
  internal: JSONRPC_CODES.internalError,
  unauthenticated: -32001,
  "auth-failed": -32002,
  busy: -32003,
  "policy-denied": -32004,
  augeas: -32005,
  conflict: -32006,
  "not-found": -32007,
  "backend-failed": -32008,
  timeout: -32009,
  "limit-exceeded": -32010,
  "validation-failed": -32011,
};

/** Fields every error's `data` has. */
export interface BaseErrorData {
  kind: ErrorKind;
  /**
   * In `augeas.apply`: the 0-based index of the change that failed or was
   * refused (the message then starts `change N:`, counting from 1).
   */
  change?: number;
}

/** `policy-denied`: what was refused and which rule was missing. */
export interface PolicyDeniedErrorData extends BaseErrorData {
  kind: "policy-denied";
  /** Why, in words: e.g. "no write pattern of /etc/hosts matches 1/ipaddr". */
  reason: string;
  /** The path, node, method or resource that was refused. */
  target?: string;
  /** The policy file rule consulted, when there was one (its path, e.g. `/etc/hosts`). */
  file?: string;
}

/** One per-file problem libaugeas reported (read from `/augeas//error`). */
export interface AugeasFileProblem {
  /** The file, as the policy names it (e.g. `/etc/hosts`). */
  file: string;
  /** libaugeas' error kind, e.g. `put_failed`, `parse_failed`. */
  error: string;
  /** What the problem means, in machina's words. */
  message?: string;
}

/**
 * `augeas`: libaugeas refused or failed. The code is libaugeas' own; the texts
 * are machina's: libaugeas' messages can hold a file's tree with values the
 * client may not read, so they go to the daemon's log only.
 */
export interface AugeasErrorData extends BaseErrorData {
  kind: "augeas";
  /** libaugeas' code name without `AUG_`: `EPATHX`, `EMMATCH`, …; `ESAVE`/`ELOAD` when it gave none. */
  code: string;
  /** What the code means. */
  message: string;
  /** The first file concerned, when there is one. */
  file?: string;
  /** Every per-file problem reported. */
  files?: AugeasFileProblem[];
}

/** `conflict`: the file changed on disk since it was loaded. */
export interface ConflictErrorData extends BaseErrorData {
  kind: "conflict";
  file: string;
}

/** `not-found`: what was missing. */
export interface NotFoundErrorData extends BaseErrorData {
  kind: "not-found";
  target?: string;
}

/** `timeout`: the limit that was exceeded. */
export interface TimeoutErrorData extends BaseErrorData {
  kind: "timeout";
  /** The limit, in milliseconds. */
  timeoutMs: number;
}

/**
 * The names `limit-exceeded` reports in `data.limit`: one per bound the daemon
 * keeps on a session (each is set by the `machinad run` flag `--max-NAME`):
 *
 * - `pending-edits`: edits pending (made but not saved or discarded); each
 *   change of an `augeas.apply` counts as one.
 * - `pending-bytes`: bytes the pending edits hold — their values (a `setm`
 *   value once per node it sets), paths and labels, and the node paths they
 *   resolved to.
 * - `file-nodes`: nodes in the tree of one policy file; an edit that could take
 *   a file beyond it (counting the nodes it may create) is refused. Files
 *   larger on disk still load and may be read and shrunk.
 * - `file-bytes`: the size of one policy file as on disk at its last load or
 *   save, plus the bytes (values and labels) pending edits add to it.
 * - `path-predicates`: predicates in one path (`setm`: base and sub together).
 * - `path-cost`: the work evaluating and authorising one path takes:
 *   (1 + predicates) × (steps + the steps of every predicate, each predicate
 *   counting one more).
 * - `apply-changes`: changes in one `augeas.apply`.
 */
export const LIMIT_NAMES = ["pending-edits", "pending-bytes", "file-nodes", "file-bytes", "path-predicates", "path-cost", "apply-changes"] as const;

/** One of {@link LIMIT_NAMES}. */
export type LimitName = (typeof LIMIT_NAMES)[number];

/**
 * `limit-exceeded`: the call would go beyond one of the daemon's per-session
 * resource limits, and was not run (or, for `augeas.apply`, none of its
 * changes stays). The message says what was counted and which `machinad`
 * flag raises the limit.
 */
export interface LimitExceededErrorData extends BaseErrorData {
  kind: "limit-exceeded";
  /** Which limit: one of {@link LIMIT_NAMES}; a newer daemon may name others. */
  limit: LimitName;
  /** The limit's value in this daemon (a count, or bytes for `pending-bytes` and `file-bytes`). */
  max: number;
  /** The policy file concerned, for `file-nodes` and `file-bytes` (e.g. `/etc/hosts`). */
  file?: string;
}

/** `backend-failed`: which backend, and whether trying again may help. */
export interface BackendFailedErrorData extends BaseErrorData {
  kind: "backend-failed";
  backend?: string;
  retryable?: boolean;
  detail?: string;
  /** An init script's or command's exit status, when it ran and failed. */
  exitCode?: number;
  /**
   * A failed `service.start`, `service.restart` or `service.reload` of a
   * service the policy also allows `log` on: the last lines of its log
   * (at most 25, oldest first), read right after
   * the failure as `service.log` reads them.
   */
  log?: ServiceLogLine[];
}

/**
 * `validation-failed`: a check program the policy names ran and did not pass
 * (a non-zero exit, a signal, its timeout, or more output than is kept), so
 * the change was not made:
 *
 * - a `[[service]]` entry's configuration test, before a reload or restart:
 *   the reload or restart was not done;
 * - an `[[augeas.file]]`'s validator, on the new version of `file` before a
 *   save (`augeas.save`, `augeas.apply`): no file of the save was written
 *   (a save's edits stay pending; an `augeas.apply`'s are undone).
 */
export interface ValidationFailedErrorData extends BaseErrorData {
  kind: "validation-failed";
  /** A validator's: the file whose new version it refused, as the policy names it (e.g. `/etc/sudoers`). */
  file?: string;
  /**
   * The program's stdout and stderr as they arrived (UTF-8, invalid bytes
   * replaced), at most 64 KiB. Always there for a configuration test. For a
   * validator only when the client may read the whole file (its read patterns
   * cover `**`): validators quote the lines they reject. There, the new
   * version's temporary path reads as `file`.
   */
  output?: string;
  /** True when the program wrote more than is kept (it was then ended). */
  truncated: boolean;
  /** The program's exit status; absent when a signal ended it. */
  exitCode?: number;
  /** The signal that ended it (e.g. `SIGKILL` after its timeout). */
  signal?: string;
  /** True when it did not finish within its timeout. */
  timedOut?: boolean;
}

/** `invalid-params`: which param, and what was wrong with it. */
export interface InvalidParamsErrorData extends BaseErrorData {
  kind: "invalid-params";
  /** JSON pointer of the offending param, e.g. `/path`. */
  param?: string;
  problems?: string[];
}

/** The `data` of any machina error. Unknown extra fields may appear; ignore them. */
export type ErrorData =
  | PolicyDeniedErrorData
  | AugeasErrorData
  | ConflictErrorData
  | NotFoundErrorData
  | TimeoutErrorData
  | BackendFailedErrorData
  | InvalidParamsErrorData
  | LimitExceededErrorData
  | ValidationFailedErrorData
  | (BaseErrorData & { kind: "unauthenticated" })
  | (BaseErrorData & { kind: "auth-failed" })
  | (BaseErrorData & { kind: "busy" })
  | (BaseErrorData & { kind: "internal" });

/** The `data` of errors of kind `K`. */
export type ErrorDataOf<K extends ErrorKind> = Extract<ErrorData, { kind: K }>;

/** The fields an error of kind `K` carries besides its kind (what a server puts in `data`). */
export type ErrorFields<K extends ErrorKind> = K extends ErrorKind ? Omit<ErrorDataOf<K>, "kind"> : never;

/** True when `value` names an error kind. */
export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === "string" && (ERROR_KINDS as readonly string[]).includes(value);
}

/** A JSON-RPC error object as machina sends it. */
export interface WireError {
  code: number;
  message: string;
  data: ErrorData;
}
