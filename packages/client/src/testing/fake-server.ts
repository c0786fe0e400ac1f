/**
 * A tiny stand-in for machinad, for this package's unit tests only: a
 * net.Server on a Unix socket in a temporary directory that speaks the real
 * framing and the real handshake (from @machina/protocol) and answers calls
 * through a test-supplied function. The real daemon is exercised by the
 * integration tests in the repository's test/ directory.
 */
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { mkdtemp, rm } from "node:fs/promises";
import {
  AUTH_SCHEME,
  ERROR_CODES,
  LineDecoder,
  NONCE_BYTES,
  PROOF_BYTES,
  PROTOCOL_VERSION,
  clientProof,
  decodeBase64,
  encodeBase64,
  encodeLine,
  generateKey,
  newNonce,
  proofsEqual,
  serverProof,
  type ErrorKind,
} from "@machina/protocol";

export interface FakeRequest {
  id: number | string | null;
  method: string;
  params: unknown;
}

/** What a call handler answers; `undefined` means "I will answer (or not) myself via the connection". */
export type FakeAnswer = { result: unknown } | { error: { code: number; message: string; data: Record<string, unknown> } } | undefined;

export interface FakeConnection {
  /** Every request received on this connection, handshake included. */
  readonly received: FakeRequest[];
  send(message: unknown): void;
  /** Writes bytes as they are (to send malformed lines). */
  raw(data: string | Buffer): void;
  /** Sends `message` (if any) and half-closes, as the daemon does after a refusal. */
  end(message?: unknown): void;
  destroy(): void;
  readonly closed: Promise<void>;
}

export interface FakeServerOptions {
  /** The shared key; a fresh one by default. */
  key?: Uint8Array;
  /** Answers each call after the handshake. */
  onCall?: (request: FakeRequest, connection: FakeConnection) => FakeAnswer | Promise<FakeAnswer>;
  /** Runs when a client connects, before anything is read (e.g. to refuse it with `busy`). Return false to stop handling it. */
  onConnection?: (connection: FakeConnection) => boolean | void;
  /** Replaces the server's proof (to play an impostor). */
  forgeProof?: (genuine: Uint8Array) => Uint8Array;
  /** Server name announced in hello. */
  serverName?: string;
}

/** A wire error of `kind`, with extra data fields. */
export function wireError(kind: ErrorKind, message: string, data: Record<string, unknown> = {}): FakeAnswer {
  return { error: { code: ERROR_CODES[kind], message, data: { ...data, kind } } };
}

export class FakeServer {
  readonly connections: FakeConnection[] = [];
  readonly key: Uint8Array;

  private constructor(
    private readonly server: net.Server,
    readonly dir: string,
    readonly socketPath: string,
    key: Uint8Array,
  ) {
    this.key = key;
  }

  /** The key as a secret file's text. */
  get secret(): string {
    return encodeBase64(this.key);
  }

  static async start(options: FakeServerOptions = {}): Promise<FakeServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "machina-client-"));
    const socketPath = path.join(dir, "machina.sock");
    const key = options.key ?? generateKey();
    let fake: FakeServer | undefined;
    const server = net.createServer((socket) => fake?.accept(socket, options));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => resolve());
    });
    fake = new FakeServer(server, dir, socketPath, key);
    return fake;
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private accept(socket: net.Socket, options: FakeServerOptions): void {
    const received: FakeRequest[] = [];
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    const connection: FakeConnection = {
      received,
      closed,
      send: (message) => {
        if (!socket.destroyed && socket.writable) socket.write(encodeLine(message));
      },
      raw: (data) => {
        if (!socket.destroyed && socket.writable) socket.write(data);
      },
      end: (message) => {
        if (socket.destroyed || !socket.writable) return;
        if (message === undefined) socket.end();
        else socket.end(encodeLine(message));
      },
      destroy: () => socket.destroy(),
    };
    this.connections.push(connection);
    if (options.onConnection?.(connection) === false) return;

    const decoder = new LineDecoder();
    let clientNonce: Uint8Array | undefined;
    let serverNonce: Uint8Array | undefined;
    let authenticated = false;
    const answer = (id: FakeRequest["id"], a: FakeAnswer): void => {
      if (a === undefined) return;
      connection.send({ jsonrpc: "2.0", id, ...a });
    };
    const handle = async (request: FakeRequest): Promise<void> => {
      const { id, method, params } = request;
      const p = (params ?? {}) as Record<string, unknown>;
      if (method === "session.hello") {
        clientNonce = decodeBase64(String(p["nonce"]), NONCE_BYTES);
        serverNonce = newNonce();
        answer(id, {
          result: {
            protocol: PROTOCOL_VERSION,
            server: options.serverName ?? "fake-machinad/0.0.0",
            nonce: encodeBase64(serverNonce),
            auth: AUTH_SCHEME,
          },
        });
        return;
      }
      if (method === "session.authenticate") {
        const proof = decodeBase64(String(p["proof"]), PROOF_BYTES);
        if (!clientNonce || !serverNonce || !proof || !proofsEqual(clientProof(this.key, clientNonce, serverNonce), proof)) {
          connection.send({ jsonrpc: "2.0", id, ...wireError("auth-failed", "authentication failed") });
          connection.end();
          return;
        }
        authenticated = true;
        const genuine = serverProof(this.key, clientNonce, serverNonce);
        answer(id, { result: { proof: encodeBase64(options.forgeProof ? options.forgeProof(genuine) : genuine) } });
        return;
      }
      if (!authenticated) {
        answer(id, wireError("unauthenticated", "authenticate first"));
        return;
      }
      const result = options.onCall ? await options.onCall(request, connection) : wireError("not-found", `no method ${method}`);
      answer(id, result);
    };
    socket.on("data", (chunk: Buffer) => {
      for (const line of decoder.push(chunk)) {
        const message = JSON.parse(line) as FakeRequest;
        received.push(message);
        void handle(message);
      }
    });
  }
}
