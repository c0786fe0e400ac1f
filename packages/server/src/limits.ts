/**
 * The daemon's default limits, defined once: `machinad run`'s option defaults
 * and `startDaemon`'s fall-backs both read them.
 */
export { DEFAULT_MAX_LINE_BYTES } from "@machina/protocol";

/** Time a connection has to authenticate (`--auth-timeout`). */
export const DEFAULT_AUTH_TIMEOUT_MS = 5000;

/** Time limit of each call (`--call-timeout`); apt and commands have their own, longer ones. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
