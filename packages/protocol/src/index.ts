/**
 * @machina/protocol — machina's wire protocol, shared by the daemon and clients.
 *
 * - {@link METHODS}: the method vocabulary (schemas, docs, capabilities).
 * - {@link validateParams}: runtime validation derived from those schemas.
 * - {@link buildOpenRpcDocument}: the discovery document ({@link buildOpenRpcNameList} before authentication).
 * - {@link ERROR_KINDS} / {@link ERROR_CODES}: error kinds and their codes.
 * - {@link LineDecoder} / {@link encodeLine}: newline-delimited JSON framing.
 * - the handshake: {@link clientProof}, {@link serverProof}, {@link proofsEqual}, keys and nonces.
 *
 * See README.md for the protocol in full.
 */
export * from "./errors.js";
export * from "./framing.js";
export * from "./handshake.js";
export * from "./method-spec.js";
export * from "./vocabulary.js";
export * from "./validation.js";
export * from "./openrpc.js";
export * from "./names.js";
export { AugeasChange, AugeasEdit, AugeasGuard, FileDiff, FileTag, NodeChange, AugeasPath, AugeasLabel, AugeasValue, HistoryEntry, HistoryFile, HistoryId } from "./methods/augeas.js";
export {
  SERVICE_ACTIONS,
  SERVICE_FAILURE_LOG_LINES,
  SERVICE_LOG_DEFAULT_LINES,
  SERVICE_LOG_MAX_BYTES,
  SERVICE_LOG_MAX_LINES,
  ServiceAction,
  ServiceListEntry,
  ServiceLogCursor,
  ServiceLogLine,
  ServiceName,
  ServiceState,
  ServiceStatus,
} from "./methods/service.js";
export { PackageName, PackageStatus } from "./methods/package.js";
export { ZoneName } from "./methods/system.js";
export { ByteEncodingSchema } from "./methods/command.js";
export * from "./progress.js";
export * from "./encoding/index.js";
/** Default paths and environment variables both CLIs honour. */
export * from "./defaults.js";
