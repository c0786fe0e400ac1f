/**
 * The typed client: `connect()` and {@link MachinaClient}, whose namespaces
 * (`m.augeas.get(...)`) are derived from the protocol's vocabulary — at the type
 * level from `Namespace` / `MethodsIn` / `ParamsOf` / `ResultOf`, at run time
 * from `METHOD_NAMES` — so a method added to the protocol appears here with no
 * change to this package.
 */
import {
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_SECRET_FILE,
  DEFAULT_SOCKET,
  ENV_SECRET_FILE,
  ENV_SOCKET,
  METHOD_NAMES,
  type MethodName,
  type MethodsIn,
  type Namespace,
  type ParamsOf,
  type ProgressParams,
  type ResultOf,
} from "@machina/protocol";
import { Connection, openSocket } from "./connection.js";
import { BusyError, ConnectionError, TimeoutError } from "./errors.js";
import { authenticate, type ServerInfo } from "./handshake.js";
import { loadKey, type SecretSource } from "./secret.js";
import { checkSocketOwner } from "./socket-owner.js";
import { SshTunnel, type SshOptions } from "./ssh-tunnel.js";

export type { ServerInfo } from "./handshake.js";

/** Default time allowed to connect and complete the handshake. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Default time allowed for one call. */
export const DEFAULT_CALL_TIMEOUT_MS = 30000;
/** The uid that must own the socket's directory unless told otherwise (root). */
export const DEFAULT_TRUSTED_SOCKET_OWNER = 0;

/** Per-call options, accepted as the last argument of every method. */
export interface CallOptions {
  /** Overrides the client's `callTimeoutMs` for this call; 0 for no limit. */
  timeoutMs?: number;
  /** Aborting rejects the call with the signal's reason. The daemon may still carry the call out. */
  signal?: AbortSignal;
  /**
   * Receives the call's `progress` notifications (`package.install`, `package.remove`,
   * `package.update`, `command.run`), each `{id, phase, percent, message}`, before the
   * call resolves. Advisory: updates may be skipped; the result is what counts. A
   * throwing callback is ignored.
   */
  onProgress?: (progress: ProgressParams) => void;
}

/** The arguments of method `M`: params (optional when the method takes none), then call options. */
export type CallArgs<M extends MethodName> = {} extends ParamsOf<M>
  ? [params?: ParamsOf<M>, options?: CallOptions]
  : [params: ParamsOf<M>, options?: CallOptions];

/** The typed function for method `M`. */
export type MethodFunction<M extends MethodName> = (...args: CallArgs<M>) => Promise<ResultOf<M>>;

/** The namespaces a client exposes: every one of the vocabulary except the handshake's `session`. */
export type ClientNamespace = Exclude<Namespace, "session">;

/** The methods of namespace `NS`, by short name (`get` for `augeas.get`). */
export type NamespaceMethods<NS extends Namespace> = {
  readonly [S in MethodsIn<NS>]: MethodFunction<Extract<`${NS}.${S}`, MethodName>>;
};

/** `m.augeas`, `m.rpc`, … */
export type ClientNamespaces = { readonly [NS in ClientNamespace]: NamespaceMethods<NS> };

/** How to reach and authenticate to the daemon. */
export interface ConnectOptions {
  /**
   * The daemon's socket; default `$MACHINA_SOCKET`, else `/run/machina/machina.sock`.
   * With `ssh`, the socket on the daemon's host (default `/run/machina/machina.sock`).
   */
  socket?: string;
  /**
   * Reach a daemon on another host through OpenSSH: the system's `ssh` forwards
   * a socket in a private directory of this process to the daemon's socket
   * there, for as long as the client is open (docs/REMOTE.md). The daemon sees
   * `ssh.user` as its peer; `trustedSocketOwner` does not apply (the local end
   * is a socket in a directory only this user can enter). The tunnel's end is
   * a `ConnectionError`.
   */
  ssh?: SshOptions;
  /** The file holding the secret; default `$MACHINA_SECRET_FILE`, else `/etc/machina/secret`. Ignored when `secret` is given. */
  secretFile?: string;
  /** The secret itself: base64 text (as in the secret file) or the 32 raw bytes. */
  secret?: string | Uint8Array;
  /** Time allowed to connect and finish the handshake, in ms (default 5000). */
  connectTimeoutMs?: number;
  /** Default time allowed for each call, in ms (default 30000); 0 for no limit. */
  callTimeoutMs?: number;
  /** The longest line accepted from the daemon, in bytes (default 1 MiB). */
  maxLineBytes?: number;
  /**
   * The uid that must own the socket's directory (and the socket, unless this
   * process's own uid owns it); default 0 (root). `null` disables the check —
   * for tests and sandboxes only.
   */
  trustedSocketOwner?: number | null;
  /**
   * How long to keep trying while the daemon answers `busy` (another client holds
   * its one session), in ms; default 0: reject with `BusyError` at once. Useful
   * for short-lived clients such as the CLI, which may start while the previous
   * one's session is still closing.
   */
  waitIfBusyMs?: number;
}

function fromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The socket `connect()` uses when none is given. */
export function defaultSocketPath(): string {
  return fromEnv(ENV_SOCKET) ?? DEFAULT_SOCKET;
}

/** The secret file `connect()` uses when none is given. */
export function defaultSecretFile(): string {
  return fromEnv(ENV_SECRET_FILE) ?? DEFAULT_SECRET_FILE;
}

/** A live, authenticated session with machinad. Obtain one with {@link connect}. */
export interface MachinaClient extends ClientNamespaces {}

/** A live, authenticated session with machinad. Obtain one with {@link connect}. */
export class MachinaClient {
  readonly #server: ServerInfo;
  readonly #connection: Connection;
  readonly #callTimeoutMs: number;
  readonly #tunnel: SshTunnel | undefined;

  /** @internal Use {@link connect}. */
  constructor(connection: Connection, server: ServerInfo, callTimeoutMs: number, tunnel?: SshTunnel) {
    this.#connection = connection;
    this.#server = server;
    this.#callTimeoutMs = callTimeoutMs;
    this.#tunnel = tunnel;
    // The tunnel serves this connection only: it ends with it, whoever ends it.
    if (tunnel) void connection.whenClosed.then(() => tunnel.close());
    const namespaces = new Map<string, Record<string, unknown>>();
    for (const name of METHOD_NAMES) {
      const dot = name.indexOf(".");
      const ns = name.slice(0, dot);
      if (ns === "session") continue;
      let methods = namespaces.get(ns);
      if (!methods) {
        if (ns in this) throw new Error(`namespace ${ns} collides with a MachinaClient member`);
        methods = {};
        namespaces.set(ns, methods);
      }
      methods[name.slice(dot + 1)] = (params?: unknown, options?: CallOptions) => this.#request(name, params, options);
    }
    for (const [ns, methods] of namespaces) {
      Object.defineProperty(this, ns, { value: Object.freeze(methods), enumerable: true });
    }
  }

  /** Who answered the handshake: the daemon's name and version, and the protocol version. */
  get server(): ServerInfo {
    return this.#server;
  }

  /** True once the connection is closed (by `close()`, the daemon, or a failure). */
  get closed(): boolean {
    return this.#connection.closed;
  }

  /** Calls a method of the vocabulary, typed. */
  call<M extends MethodName>(method: M, ...args: CallArgs<M>): Promise<ResultOf<M>>;
  /** Calls any method by name (for methods newer than this client); params and result are unchecked. */
  call<S extends string>(method: S extends MethodName ? never : S, params?: unknown, options?: CallOptions): Promise<unknown>;
  call(method: string, params?: unknown, options?: CallOptions): Promise<unknown> {
    return this.#request(method, params, options);
  }

  #request(method: string, params: unknown, options: CallOptions = {}): Promise<unknown> {
    return this.#connection.request(method, params ?? {}, {
      timeoutMs: options.timeoutMs ?? this.#callTimeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress as (progress: Record<string, unknown>) => void } : {}),
    });
  }

  /** The OpenRPC document of what this daemon's policy allows (`rpc.discover`). */
  discover(options?: CallOptions): Promise<ResultOf<"rpc.discover">> {
    return this.call("rpc.discover", {}, options);
  }

  /** Ends the session. Calls still pending are rejected with `ConnectionError`; unsaved changes are dropped by the daemon. */
  async close(): Promise<void> {
    await this.#connection.close();
    await this.#tunnel?.close();
  }
}

/**
 * Connects to machinad and runs the mutual handshake. Rejects with
 * `ConnectionError` (no socket, untrusted socket, bad secret file, impostor
 * daemon, timeout), `AuthFailedError` (the daemon refused this secret),
 * `BusyError` (another client holds the session) or another `MachinaError` the
 * daemon sent (e.g. `PolicyDeniedError` for a peer it does not allow).
 */
export async function connect(options: ConnectOptions = {}): Promise<MachinaClient> {
  const source: SecretSource =
    options.secret !== undefined ? { secret: options.secret } : { secretFile: options.secretFile ?? defaultSecretFile() };
  const busyDeadline = Date.now() + Math.max(0, options.waitIfBusyMs ?? 0);

  const key = await loadKey(source);
  let tunnel: SshTunnel | undefined;
  try {
    // Opened after the key is read, so that a missing secret costs no login on the daemon's host.
    if (options.ssh) tunnel = await SshTunnel.open(options.ssh, options.socket ?? DEFAULT_SOCKET);
    const socketPath = tunnel ? tunnel.socketPath : (options.socket ?? defaultSocketPath());
    const trusted = options.trustedSocketOwner === undefined ? DEFAULT_TRUSTED_SOCKET_OWNER : options.trustedSocketOwner;
    for (let attempt = 0; ; attempt++) {
      if (tunnel) tunnel.checkLocalSocket();
      else if (trusted !== null) await checkSocketOwner(socketPath, trusted);
      try {
        return await connectOnce(socketPath, key, options, tunnel);
      } catch (error) {
        if (!(error instanceof BusyError) || Date.now() >= busyDeadline) throw error;
        await new Promise((r) => setTimeout(r, Math.min(200, 20 * 2 ** attempt)));
      }
    }
  } catch (error) {
    await tunnel?.close();
    throw error;
  } finally {
    key.fill(0);
  }
}

/** One connection attempt: open the socket and run the handshake within the connect timeout. */
async function connectOnce(socketPath: string, key: Uint8Array, options: ConnectOptions, tunnel: SshTunnel | undefined): Promise<MachinaClient> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const label = tunnel ? tunnel.label : socketPath;
  const deadline = Date.now() + connectTimeoutMs;
  const remaining = (): number => Math.max(1, deadline - Date.now());
  tunnel?.markOutput();
  const socket = await openSocket(socketPath, AbortSignal.timeout(remaining()));
  const connection = new Connection(socket, label, {
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    ...(tunnel ? { explainClose: () => tunnel.explainClose() } : {}),
  });
  try {
    const server = await authenticate(connection, key, remaining);
    return new MachinaClient(connection, server, options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, tunnel);
  } catch (error) {
    await connection.close();
    if (error instanceof TimeoutError) {
      throw new ConnectionError(`${label} did not complete the handshake within ${connectTimeoutMs} ms`);
    }
    throw error;
  }
}
