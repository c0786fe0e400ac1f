/**
 * One connection to machinad: newline-delimited JSON-RPC over a Unix socket,
 * with many calls in flight, matched to their answers by id.
 *
 * Why a small pending map instead of json-rpc-2.0's JSONRPCClient: its
 * timeouts and `rejectAllPendingRequests` turn every local failure into a
 * generic code-0 error response carrying only a message, so a timeout, an
 * aborted call, a dropped connection and an unsolicited `busy` would all look
 * alike; it has no per-call cancellation (AbortSignal) and no way to route a
 * notification (progress) to the call it belongs to. Each of those needs access
 * to the pending entry itself, which its private map does not give. The map
 * below is the whole of that bookkeeping.
 */
import type net from "node:net";
import { nodeNet } from "./builtins.js";
import { DEFAULT_MAX_LINE_BYTES, FramingError, LineDecoder, encodeLine } from "@machina/protocol";
import { ConnectionError, MachinaError, callTimeoutError, errorFromWire } from "./errors.js";

/** Options of one request at the connection level. */
export interface RequestOptions {
  /** Reject with a `timeout` error after this many ms; 0 or Infinity for no limit. */
  timeoutMs?: number;
  /** Aborting rejects the call with the signal's reason (the daemon may still carry it out). */
  signal?: AbortSignal;
  /**
   * Called with the params of each `progress` notification the daemon sends for
   * this call (`{ id, ... }`); the client's `CallOptions.onProgress` ends here.
   */
  onProgress?: (progress: Record<string, unknown>) => void;
}

interface Pending {
  method: string;
  resolve(result: unknown): void;
  reject(error: unknown): void;
  onProgress: ((progress: Record<string, unknown>) => void) | undefined;
  cleanup(): void;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How long openSocket keeps retrying a full listen queue when it has no signal to tell it when to stop. */
const EAGAIN_RETRY_MS = 5000;

/**
 * Opens a Unix stream connection; rejects with {@link ConnectionError}.
 * `EAGAIN` means the daemon's listen queue is full — a flood of connections,
 * e.g. from a hostile local user, that the daemon refuses one by one — so
 * there is room a moment later: the connection is tried again, after a short
 * growing pause, until `signal` aborts (or for 5 s without one).
 */
export async function openSocket(socketPath: string, signal?: AbortSignal): Promise<net.Socket> {
  const giveUp = Date.now() + EAGAIN_RETRY_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await openSocketOnce(socketPath, signal);
    } catch (error) {
      const code = (error as { cause?: NodeJS.ErrnoException }).cause?.code;
      if (code !== "EAGAIN" || signal?.aborted || (!signal && Date.now() > giveUp)) throw error;
    }
    // 1, 2, 4 … up to 32 ms, jittered so that clients retrying together spread out.
    const pause = Math.min(32, 2 ** attempt) * (0.5 + Math.random());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pause);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

function openSocketOnce(socketPath: string, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = nodeNet().createConnection({ path: socketPath });
    const onAbort = (): void => {
      socket.destroy();
      reject(new ConnectionError(`could not connect to ${socketPath}: timed out`));
    };
    const done = (): void => {
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", onError);
      socket.off("connect", onConnect);
    };
    const onConnect = (): void => {
      done();
      resolve(socket);
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      done();
      const why =
        error.code === "ENOENT"
          ? "no such socket (is machinad running?)"
          : error.code === "ECONNREFUSED"
            ? "connection refused (is machinad running?)"
            : error.code === "EACCES"
              ? "permission denied"
              : error.code === "EAGAIN"
                ? "its listen queue is full (a flood of connections?)"
                : error.message;
      reject(new ConnectionError(`could not connect to ${socketPath}: ${why}`, { cause: error }));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", onConnect);
    socket.once("error", onError);
  });
}

/**
 * A JSON-RPC connection over a connected socket. Calls are multiplexed by id;
 * an unsolicited error (`id: null`, e.g. `busy`) fails every pending call with
 * that error and closes the connection.
 */
export class Connection {
  private readonly pending = new Map<number, Pending>();
  private readonly decoder: LineDecoder;
  private nextId = 1;
  /** Why the connection is closed; set once, by the first cause. */
  private closeReason: MachinaError | undefined;
  /** Set while `explainClose` finds out why the peer went away (the reason is not known yet). */
  private explaining: Promise<void> | undefined;
  private readonly explainClose: (() => Promise<string | undefined>) | undefined;
  /** Resolves once the socket is closed. */
  readonly whenClosed: Promise<void>;

  /**
   * `explainClose`, when given, is asked why the connection ended when the
   * peer closes or breaks it, and its answer (if any) becomes the error's
   * message: the socket is an ssh tunnel's, whose end may be the tunnel's
   * rather than the daemon's.
   */
  constructor(
    private readonly socket: net.Socket,
    readonly label: string,
    options: { maxLineBytes?: number; explainClose?: () => Promise<string | undefined> } = {},
  ) {
    this.decoder = new LineDecoder(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    this.explainClose = options.explainClose;
    this.whenClosed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      this.peerGone(`connection to ${label} failed: ${error.code ?? error.message}`, error);
    });
    socket.on("close", () => {
      this.peerGone(`connection to ${label} closed`);
    });
    socket.on("end", () => {
      this.peerGone(`connection to ${label} closed by the daemon`);
      socket.destroy();
    });
  }

  /** True once the connection can no longer carry calls. */
  get closed(): boolean {
    return this.closeReason !== undefined || this.explaining !== undefined;
  }

  /** Why the connection closed, when it has. */
  get reason(): MachinaError | undefined {
    return this.closeReason;
  }

  /** Number of calls awaiting an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends a request and resolves with its result, or rejects with a {@link MachinaError}. */
  request(method: string, params: unknown, options: RequestOptions = {}): Promise<unknown> {
    if (this.closeReason) return Promise.reject(this.closeReason);
    if (this.explaining) return this.explaining.then(() => Promise.reject(this.closeReason));
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        this.pending.delete(id);
        entry.cleanup();
        reject(signal?.reason);
      };
      const entry: Pending = {
        method,
        resolve,
        reject,
        onProgress: options.onProgress,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          // The answer may still come; with the id gone from the map it is ignored.
          this.pending.delete(id);
          entry.cleanup();
          reject(callTimeoutError(method, timeoutMs));
        }, timeoutMs);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, entry);
      const message = params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params };
      this.socket.write(encodeLine(message));
    });
  }

  /** Closes the connection; calls still pending are rejected with {@link ConnectionError}. */
  async close(): Promise<void> {
    this.fail(new ConnectionError(`connection to ${this.label} closed by the client`));
    this.socket.destroy();
    await this.whenClosed;
  }

  /** The socket ended, broke or closed: fails the connection, with `explainClose`'s reason when it has one. */
  private peerGone(message: string, cause?: unknown): void {
    if (this.closeReason || this.explaining) return;
    const explain = this.explainClose;
    if (!explain) return this.fail(new ConnectionError(message, { cause }));
    this.explaining = explain().then(
      (why) => this.fail(new ConnectionError(why ?? message, { cause })),
      () => this.fail(new ConnectionError(message, { cause })),
    );
  }

  /** Marks the connection closed and rejects every pending call with `reason`. Idempotent. */
  private fail(reason: MachinaError): void {
    if (this.closeReason) return;
    this.closeReason = reason;
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      entry.cleanup();
      entry.reject(reason);
    }
    if (!this.socket.destroyed) this.socket.end();
  }

  private onData(chunk: Buffer): void {
    if (this.closeReason) return;
    let lines: string[];
    try {
      lines = this.decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      this.abort(`the daemon sent a malformed message (${error.message})`);
      return;
    }
    for (const line of lines) {
      if (this.closeReason) return;
      if (line.trim() === "") continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        this.abort("the daemon sent a line that is not JSON");
        return;
      }
      for (const m of Array.isArray(message) ? message : [message]) this.onMessage(m);
    }
  }

  private abort(why: string): void {
    this.fail(new ConnectionError(`connection to ${this.label} dropped: ${why}`));
    this.socket.destroy();
  }

  private onMessage(message: unknown): void {
    if (!isRecord(message)) return;
    if (typeof message["method"] === "string") {
      if (message["id"] === undefined) this.onNotification(message["method"], message["params"]);
      // Requests from the daemon are not part of the protocol; ignore them.
      return;
    }
    const id = message["id"];
    if (id === null) {
      if (message["error"] !== undefined) {
        // Unsolicited: the daemon is refusing the whole connection (busy,
        // policy-denied peer, framing error) and is about to close it.
        this.fail(errorFromWire(message["error"]));
        this.socket.destroy();
      }
      return;
    }
    if (typeof id !== "number") return;
    const entry = this.pending.get(id);
    if (!entry) return; // timed out or aborted already: a late answer is ignored
    this.pending.delete(id);
    entry.cleanup();
    if (message["error"] !== undefined) entry.reject(errorFromWire(message["error"]));
    else entry.resolve(message["result"]);
  }

  private onNotification(method: string, params: unknown): void {
    if (method === "progress" && isRecord(params) && typeof params["id"] === "number") {
      const entry = this.pending.get(params["id"]);
      try {
        entry?.onProgress?.(params);
      } catch {
        // A throwing progress callback must not break the connection.
      }
    }
    // Other notifications are from a newer daemon; ignore them.
  }
}
