/**
 * The one place where thrown things become JSON-RPC error objects. Faults keep
 * their kind and fields; anything else is logged in full and reported as a
 * generic `internal` error, so no exception text ever reaches a client
 * (json-rpc-2.0's default mapping would send any thrown message with code 0).
 */
import { ERROR_CODES, JSONRPC_CODES, type ErrorFields, type ErrorKind, type WireError } from "@machina/protocol";
import { Fault } from "../faults.js";
import type { Logger } from "../logger.js";

export function wireError<K extends ErrorKind>(kind: K, message: string, fields: ErrorFields<K>, code = ERROR_CODES[kind]): WireError {
  return { code, message, data: { ...fields, kind } as WireError["data"] };
}

export function toWireError(error: unknown, logger: Logger, context: string): WireError {
  if (error instanceof Fault) return wireError(error.kind, error.message, error.fields);
  logger.error(`internal error in ${context}`, error);
  return wireError("internal", "internal error; the daemon's log has the details", {});
}

export const parseErrorResponse = (message: string) => ({
  jsonrpc: "2.0" as const,
  id: null,
  error: wireError("invalid-params", message, {}, JSONRPC_CODES.parseError),
});

export const invalidRequestResponse = (id: string | number | null, message: string) => ({
  jsonrpc: "2.0" as const,
  id,
  error: wireError("invalid-params", message, {}, JSONRPC_CODES.invalidRequest),
});
