/**
 * @machina/client — the typed client library for machinad.
 *
 * ```ts
 * import { connect, PolicyDeniedError } from "@machina/client";
 * const m = await connect({ secretFile: "/etc/machina/secret" });
 * const { value } = await m.augeas.get({ path: "/files/etc/hostname/hostname" });
 * await m.close();
 * ```
 */
export {
  connect,
  MachinaClient,
  defaultSocketPath,
  defaultSecretFile,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_TRUSTED_SOCKET_OWNER,
  type CallArgs,
  type CallOptions,
  type ClientNamespace,
  type ClientNamespaces,
  type ConnectOptions,
  type MethodFunction,
  type NamespaceMethods,
  type ServerInfo,
} from "./client.js";
export {
  MachinaError,
  InvalidParamsError,
  UnauthenticatedError,
  AuthFailedError,
  BusyError,
  PolicyDeniedError,
  AugeasError,
  ConflictError,
  NotFoundError,
  BackendFailedError,
  TimeoutError,
  LimitExceededError,
  ValidationFailedError,
  InternalError,
  ConnectionError,
  CONNECTION_KIND,
  errorFromWire,
  errorClassFor,
  type MachinaErrorData,
} from "./errors.js";
export { augeasValueBytes, augeasValueFromBytes, augeasValueText, type AugeasValue } from "./augeas-values.js";
export { checkSocketOwner } from "./socket-owner.js";
export { DEFAULT_SSH_READY_TIMEOUT_MS, type SshOptions } from "./ssh-tunnel.js";
export { loadKey, type SecretSource } from "./secret.js";
/** Re-exported from @machina/protocol so callers need not depend on it for types. */
export type {
  AugeasBytes,
  AugeasChange,
  ErrorKind,
  FileDiff,
  MethodName,
  ParamsOf,
  ProgressParams,
  ResultOf,
} from "@machina/protocol";
export { ERROR_KINDS, METHOD_NAMES } from "@machina/protocol";
