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
