/**
 * Errors a client call can fail with: one class per error kind of the protocol,
 * plus {@link ConnectionError} for failures that never reached (or came back
 * from) a genuine daemon.
 */
import {
  ERROR_CODES,
  ERROR_KINDS,
  JSONRPC_CODES,
  isErrorKind,
  type AugeasErrorData,
  type BackendFailedErrorData,
  type ConflictErrorData,
  type ErrorKind,
  type InvalidParamsErrorData,
  type LimitExceededErrorData,
  type NotFoundErrorData,
  type PolicyDeniedErrorData,
  type TimeoutErrorData,
  type ValidationFailedErrorData,
} from "@machina/protocol";

/** The kind of a client-side connection failure; not a wire kind. */
export const CONNECTION_KIND = "connection";

/** What `MachinaError.data` holds: the wire error's `data` (always with `kind`), possibly with extra fields. */
export type MachinaErrorData = { kind: string } & Record<string, unknown>;

/**
 * The base of every error this library throws for a call or a connection.
 * Branch on `kind` (or `instanceof` a subclass), never on `message`.
 */
export class MachinaError extends Error {
  /** An {@link ErrorKind}, `"connection"`, or a kind from a newer daemon this client does not know. */
  readonly kind: string;
  /** The JSON-RPC error code; undefined for errors raised by the client itself. */
  readonly code: number | undefined;
  /** The error's structured `data` as the daemon sent it (kind-specific fields included). */
  readonly data: MachinaErrorData;

  constructor(message: string, options: { kind: string; code?: number | undefined; data?: MachinaErrorData; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = options.kind;
    this.code = options.code;
    this.data = options.data ?? { kind: options.kind };
  }

  /**
   * The message followed by the key details of `data` that the message does not
   * already state (reason, target, file, libaugeas code, param, …): one line,
   * suitable for a log or a CLI.
   */
  describe(): string {
    const details: string[] = [];
    const add = (label: string, value: unknown): void => {
      if (value === undefined || value === null || value === "") return;
      const text = Array.isArray(value) ? value.map(String).join("; ") : String(value);
      if (text === "" || this.message.includes(text)) return;
      details.push(`${label}: ${text}`);
    };
    const d = this.data as Record<string, unknown>;
    add("reason", d["reason"]);
    add("target", d["target"]);
    add("code", this.kind === "augeas" ? d["code"] : undefined);
    add("detail", d["minorMessage"]);
    add("details", d["details"]);
    add("file", d["file"]);
    add("param", d["param"]);
    add("problems", d["problems"]);
    add("backend", d["backend"]);
    add("detail", d["detail"]);
    add("limit", this.kind === "limit-exceeded" && d["limit"] !== undefined ? `${String(d["limit"])} (max ${String(d["max"])})` : undefined);
    add("exit status", this.kind === "validation-failed" ? d["exitCode"] : undefined);
    add("output", this.kind === "validation-failed" ? d["output"] : undefined);
    add("change", typeof d["change"] === "number" ? `#${d["change"] + 1}` : undefined);
    const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, " ").trim();
    return oneLine(details.length ? `${this.message} (${details.join(", ")})` : this.message);
  }
}

/** `invalid-params`: the request or its params were malformed. */
export class InvalidParamsError extends MachinaError {
  declare readonly kind: "invalid-params";
  declare readonly data: InvalidParamsErrorData & Record<string, unknown>;
}
/** `unauthenticated`: a method was called before the handshake completed. */
export class UnauthenticatedError extends MachinaError {
  declare readonly kind: "unauthenticated";
}
/** `auth-failed`: the daemon did not accept this client's proof (the secrets differ). */
export class AuthFailedError extends MachinaError {
  declare readonly kind: "auth-failed";
}
/** `busy`: another client holds the daemon's one session. */
export class BusyError extends MachinaError {
  declare readonly kind: "busy";
}
/** `policy-denied`: the policy does not allow this method, file, node or resource. */
export class PolicyDeniedError extends MachinaError {
  declare readonly kind: "policy-denied";
  declare readonly data: PolicyDeniedErrorData & Record<string, unknown>;
}
/** `augeas`: libaugeas refused or failed the operation. */
export class AugeasError extends MachinaError {
  declare readonly kind: "augeas";
  declare readonly data: AugeasErrorData & Record<string, unknown>;
}
/** `conflict`: a file changed on disk since it was loaded; nothing was written. */
export class ConflictError extends MachinaError {
  declare readonly kind: "conflict";
  declare readonly data: ConflictErrorData & Record<string, unknown>;
}
/** `not-found`: the method, node or resource does not exist. */
export class NotFoundError extends MachinaError {
  declare readonly kind: "not-found";
  declare readonly data: NotFoundErrorData & Record<string, unknown>;
}
/** `backend-failed`: an init script, systemd, apt or a command failed. */
export class BackendFailedError extends MachinaError {
  declare readonly kind: "backend-failed";
  declare readonly data: BackendFailedErrorData & Record<string, unknown>;
}
/** `timeout`: the call did not finish in time (on the daemon, or within the client's `timeoutMs`). */
export class TimeoutError extends MachinaError {
  declare readonly kind: "timeout";
  declare readonly data: TimeoutErrorData & Record<string, unknown>;
}
/**
 * `limit-exceeded`: the call would take the session beyond one of the daemon's
 * resource limits (`data.limit` names it, `data.max` is its value); nothing was
 * changed. Save or discard pending edits, or ask for less at once.
 */
export class LimitExceededError extends MachinaError {
  declare readonly kind: "limit-exceeded";
  declare readonly data: LimitExceededErrorData & Record<string, unknown>;
}
/**
 * `validation-failed`: a check the policy requires before a change failed, and
 * the change was not made — a service's configuration test (`nginx -t`) before
 * a reload or restart, or a file's validator (`visudo -cf %s`) before a save
 * (`data.file` names the file; nothing was written). `data.output` holds the
 * program's output (a validator's only when the client may read the whole file).
 */
export class ValidationFailedError extends MachinaError {
  declare readonly kind: "validation-failed";
  declare readonly data: ValidationFailedErrorData & Record<string, unknown>;
}
/** `internal`: something went wrong inside the daemon (details are in its log only). */
export class InternalError extends MachinaError {
  declare readonly kind: "internal";
}

/**
 * The connection could not be made or was lost: no socket, an untrusted socket,
 * an unreadable or malformed secret, a daemon that could not prove it knows the
 * secret (an impostor), a handshake that did not finish in time, or a dropped
 * connection. Its kind is `"connection"`, which never appears on the wire.
 */
export class ConnectionError extends MachinaError {
  declare readonly kind: "connection";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { kind: CONNECTION_KIND, cause: options.cause });
  }
}

type WireErrorClass = new (message: string, options: { kind: string; code?: number; data?: MachinaErrorData }) => MachinaError;

/** The class for each wire kind; `satisfies` makes adding a kind to the protocol a compile error here. */
const CLASS_OF_KIND = {
  "invalid-params": InvalidParamsError,
  unauthenticated: UnauthenticatedError,
  "auth-failed": AuthFailedError,
  busy: BusyError,
  "policy-denied": PolicyDeniedError,
  augeas: AugeasError,
  conflict: ConflictError,
  "not-found": NotFoundError,
  "backend-failed": BackendFailedError,
  timeout: TimeoutError,
  "limit-exceeded": LimitExceededError,
  "validation-failed": ValidationFailedError,
  internal: InternalError,
} as const satisfies Record<ErrorKind, WireErrorClass>;

/** The error class for a kind: the kind's subclass, or {@link MachinaError} for a kind this client does not know. */
export function errorClassFor(kind: string): WireErrorClass {
  return isErrorKind(kind) ? CLASS_OF_KIND[kind] : MachinaError;
}

/** Reserved JSON-RPC codes sent without `data.kind` (by a non-machina peer, or a daemon bug). */
function kindOfCode(code: unknown): ErrorKind | undefined {
  switch (code) {
    case JSONRPC_CODES.parseError:
    case JSONRPC_CODES.invalidRequest:
    case JSONRPC_CODES.invalidParams:
      return "invalid-params";
    case JSONRPC_CODES.methodNotFound:
      return "not-found";
    case JSONRPC_CODES.internalError:
      return "internal";
  }
  return ERROR_KINDS.find((kind) => ERROR_CODES[kind] === code);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Turns a JSON-RPC error object, as the daemon sends it, into the matching
 * {@link MachinaError} subclass, keeping `code` and `data` as they are. A kind
 * this client does not know (from a newer daemon) gives a plain
 * {@link MachinaError} with that kind.
 */
export function errorFromWire(error: unknown): MachinaError {
  const e = isRecord(error) ? error : {};
  const code = typeof e["code"] === "number" ? e["code"] : undefined;
  const message = typeof e["message"] === "string" && e["message"] !== "" ? e["message"] : "the daemon reported an error";
  const rawData = isRecord(e["data"]) ? e["data"] : {};
  const kind = typeof rawData["kind"] === "string" ? rawData["kind"] : (kindOfCode(code) ?? "internal");
  const data: MachinaErrorData = { ...rawData, kind };
  const cls = errorClassFor(kind);
  return new cls(message, { kind, ...(code === undefined ? {} : { code }), data });
}

/** A client-side call timeout, shaped like the daemon's own `timeout` error. */
export function callTimeoutError(method: string, timeoutMs: number): TimeoutError {
  const data: TimeoutErrorData = { kind: "timeout", timeoutMs };
  return new TimeoutError(`${method} did not answer within ${timeoutMs} ms`, { kind: "timeout", code: ERROR_CODES.timeout, data: { ...data } });
}
