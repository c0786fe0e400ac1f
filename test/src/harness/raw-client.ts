/**
 * A minimal client that speaks the wire protocol by hand — framing with the
 * protocol package's LineDecoder, the handshake with its clientProof /
 * serverProof — so hostile and low-level tests can send anything: arbitrary
 * bytes, requests before authenticating, a chosen proof.
 */
import net from "node:net";
import {
  LineDecoder,
  NONCE_BYTES,
  PROOF_BYTES,
  PROTOCOL_VERSION,
  clientProof,
  decodeBase64,
  encodeBase64,
  encodeLine,
  newNonce,
  proofsEqual,
  serverProof,
} from "@machina/protocol";
import { WAIT_MS } from "./wait.js";

/** A JSON-RPC response as received (loosely typed: hostile tests inspect anything). */
export interface RawResponse {
  jsonrpc?: string;
  id?: string | number | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any on purpose: tests read whatever came back
  result?: any;
  error?: { code: number; message: string; data?: { kind?: string; [k: string]: unknown } };
}

export class RawConnection {
  private readonly decoder = new LineDecoder(64 * 1024 * 1024);
  private readonly inbox: unknown[] = [];
  private waiters: (() => void)[] = [];
  private nextId = 1;
  private closedFlag = false;
  /** Resolves when the daemon (or we) closed the connection. */
  readonly closed: Promise<void>;
  clientNonce?: Uint8Array;
  serverNonce?: Uint8Array;

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.closedFlag = true;
        this.wake();
        resolve();
      }),
    );
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      for (const line of this.decoder.push(chunk)) this.inbox.push(JSON.parse(line));
      this.wake();
    });
  }

  static open(socketPath: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Writes bytes as they are. Errors (the daemon hung up) are ignored. */
  send(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Writes one message as a line. */
  sendMessage(message: unknown): void {
    this.send(encodeLine(message));
  }

  /** The next message received (any id), or undefined if the connection closes first. */
  async next(timeoutMs = WAIT_MS): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.inbox.length > 0) return this.inbox.shift();
      if (this.closedFlag) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message from the daemon within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next message, which must be there (fails the test if the connection closed instead). */
  async nextResponse(timeoutMs = WAIT_MS): Promise<RawResponse> {
    const m = await this.next(timeoutMs);
    if (m === undefined) throw new Error("the daemon closed the connection without answering");
    return m as RawResponse;
  }

  /** Sends a request and answers the next message (calls are answered in order). */
  async call(method: string, params: unknown = {}, id: string | number = this.nextId++): Promise<RawResponse> {
    this.sendMessage({ jsonrpc: "2.0", id, method, params });
    return this.nextResponse();
  }

  /** Resolves once the daemon has closed the connection (fails after the deadline). */
  async waitClosed(timeoutMs = WAIT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the daemon did not close the connection within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** `session.hello` with a fresh nonce; records both nonces. */
  async hello(): Promise<RawResponse> {
    this.clientNonce = newNonce();
    const r = await this.call("session.hello", { protocol: PROTOCOL_VERSION, nonce: encodeBase64(this.clientNonce) });
    if (r.result) this.serverNonce = decodeBase64(r.result.nonce, NONCE_BYTES);
    return r;
  }

  /** `session.authenticate` with the proof `key` gives for this connection's nonces. */
  authenticateWith(key: Uint8Array): Promise<RawResponse> {
    if (!this.clientNonce || !this.serverNonce) throw new Error("call hello() first");
    return this.call("session.authenticate", { proof: encodeBase64(clientProof(key, this.clientNonce, this.serverNonce)) });
  }

  /** Checks the server's proof in an authenticate answer against `key`. */
  serverProofValid(key: Uint8Array, response: RawResponse): boolean {
    const theirs = typeof response.result?.proof === "string" ? decodeBase64(response.result.proof, PROOF_BYTES) : undefined;
    return theirs !== undefined && proofsEqual(theirs, serverProof(key, this.clientNonce!, this.serverNonce!));
  }

  /** The whole handshake with `key`; throws unless the daemon accepted it and proved the key too. */
  async handshake(key: Uint8Array): Promise<void> {
    const h = await this.hello();
    if (!h.result) throw new Error(`session.hello failed: ${JSON.stringify(h)}`);
    const a = await this.authenticateWith(key);
    if (!a.result) throw new Error(`session.authenticate failed: ${JSON.stringify(a)}`);
    if (!this.serverProofValid(key, a)) throw new Error("the daemon's proof is wrong");
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Opens a raw connection and completes the handshake with `key`. */
export async function rawSession(socketPath: string, key: Uint8Array): Promise<RawConnection> {
  const c = await RawConnection.open(socketPath);
  try {
    await c.handshake(key);
  } catch (e) {
    c.close();
    throw e;
  }
  return c;
}

/**
 * rawSession, retried while the daemon answers `busy`: it frees its one session
 * slot only once it has processed the previous connection's close, which is
 * asynchronous to that close being visible here.
 */
export async function rawSessionWhenFree(socketPath: string, key: Uint8Array): Promise<RawConnection> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      return await rawSession(socketPath, key);
    } catch (e) {
      if (!/"busy"/.test(String(e)) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * A connection that has said hello but not authenticated, retried while the
 * daemon answers `busy` (see rawSessionWhenFree).
 */
export async function helloWhenFree(socketPath: string): Promise<RawConnection> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const c = await RawConnection.open(socketPath);
    const h = await c.hello();
    if (h.error?.data?.kind !== "busy") {
      if (!h.result) throw new Error(`session.hello failed: ${JSON.stringify(h)}`);
      return c;
    }
    c.close();
    if (Date.now() > deadline) throw new Error("the daemon stayed busy");
    await new Promise((r) => setTimeout(r, 20));
  }
}
