/**
 * One client connection: framing, the handshake state, and a FIFO of calls.
 * Lines are handled strictly one after another, so a pipelining client still
 * gets `set` … `save` in the order it sent them. A framing or JSON error is
 * answered and then the connection is closed — never the daemon.
 *
 * A connection becomes the daemon's session only when it proves the key
 * (`claim`); until then it is one of the connections waiting to authenticate,
 * with the pre-authentication deadline and at most MAX_REQUESTS_BEFORE_AUTH
 * requests.
 */
import type net from "node:net";
import type { JSONRPCRequest, JSONRPCResponse } from "json-rpc-2.0";
import { FramingError, LineDecoder, encodeLine, type ErrorFields, type ErrorKind } from "@machina/protocol";
import type { PeerCredentials } from "@machina/peercred";
import type { Dispatcher, DispatchCaller } from "../rpc/dispatcher.js";
import { Handshake } from "../session/handshake.js";
import { invalidRequestResponse, parseErrorResponse, wireError } from "../rpc/wire-errors.js";
import type { Logger } from "../logger.js";
import { DEFAULT_MAX_BATCH, DEFAULT_MAX_IN_FLIGHT, MAX_UNSENT_BYTES } from "../limits.js";

/**
 * Most requests a connection may send before it has authenticated (the
 * handshake takes two; a client may also ask rpc.discover): a line that would
 * go beyond them — one request, or a whole batch, counted in full — is not
 * run; the connection is answered `unauthenticated` and closed. So a peer
 * without the key cannot keep the daemon busy answering refusals on one
 * connection.
 */
export const MAX_REQUESTS_BEFORE_AUTH = 64;
/** Longest time answers are held back to leave in one write (see send()). */
const MAX_CORK_MS = 1;
/** The reason every session's hungUp signal gives: made once, since abort() without one builds a DOMException (a stack trace) per session. */
const PEER_GONE = new Error("the client closed the connection");

export interface SessionOptions {
  id: number;
  socket: net.Socket;
  peer: PeerCredentials;
  dispatcher: Dispatcher;
  logger: Logger;
  maxLineBytes: number;
  authTimeoutMs: number;
  /** Most requests one JSON-RPC batch may hold (`--max-batch`). */
  maxBatch?: number;
  /**
   * Lines read but not yet answered before the daemon stops reading the
   * socket (`--max-in-flight`): back-pressure, so a pipelining client's
   * queued lines hold at most this many × the line limit.
   */
  maxInFlight?: number;
  /**
   * The peer proved the key: takes the daemon's one session slot for this
   * connection. False when another session holds it (the peer is told `busy`).
   */
  claim(session: Session): boolean;
  /** Called before answers leave (the daemon writes the audit lines of their calls). */
  beforeAnswers?(): void;
  /** Called once, when the peer has authenticated and holds the session slot. */
  onAuthenticated(session: Session): void;
  /** A wrong proof: the connection closes after its answer; its place stays taken for `penaltyMs`. */
  onFailedProof(session: Session, penaltyMs: number): void;
  /** Called once, when the connection is gone (after its pending calls). */
  onClose(session: Session): void;
}

export class Session implements DispatchCaller {
  readonly id: number;
  readonly peer: PeerCredentials;
  readonly handshake: Handshake;
  private closed = false;
  private readonly socket: net.Socket;
  private readonly decoder: LineDecoder;
  /** Resolves when every line so far has been answered. */
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Resolves when the next line may start (see enqueue), and whether the last line lets the next one start early. */
  private startTail: Promise<void> = Promise.resolve();
  private tailPipelined = false;
  private closeAfterReply = false;
  private readonly peerGone = new AbortController();
  private authTimer: NodeJS.Timeout | undefined;
  private requestsBeforeAuth = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  /** Set while stopping: queued calls then run without waiting for the client to read its answers. */
  private draining = false;
  /** Ends roomForAnswers' wait (when stopping). */
  private stopWaitingForReader: (() => void) | undefined;
  /** True while answers are being collected into one write (see send()), and since when. */
  private corked = false;
  private corkedAt = 0;

  constructor(private readonly options: SessionOptions) {
    this.id = options.id;
    this.peer = options.peer;
    this.socket = options.socket;
    this.decoder = new LineDecoder(options.maxLineBytes);
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.handshake = new Handshake({
      claim: () => options.claim(this),
      authenticated: () => {
        clearTimeout(this.authTimer);
        options.onAuthenticated(this);
      },
    });
    this.authTimer = setTimeout(() => {
      if (!this.handshake.authenticated) {
        this.fail("timeout", `not authenticated within ${options.authTimeoutMs} ms`, { timeoutMs: options.authTimeoutMs });
      }
    }, options.authTimeoutMs);
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("error", () => undefined);
    this.socket.on("close", () => this.onSocketClose());
    // The listener accepts paused (refused peers are never read from).
    this.socket.resume();
  }

  get hungUp(): AbortSignal {
    return this.peerGone.signal;
  }

  /** Closes the connection once the current reply has been sent. */
  closeAfterThisReply(): void {
    this.closeAfterReply = true;
  }

  /** A wrong proof: closes the connection after this reply; the daemon holds its place for the penalty. */
  failedProof(penaltyMs: number): void {
    this.closeAfterReply = true;
    this.options.onFailedProof(this, penaltyMs);
  }

  /** Sends a JSON-RPC notification (e.g. `progress`) on this connection; dropped once it is closed. */
  notify(method: string, params: unknown): void {
    if (this.closed) return;
    this.send({ jsonrpc: "2.0", method, params });
  }

  /** Ends the connection with an unsolicited error (id null), e.g. on framing errors or shutdown. */
  fail<K extends ErrorKind>(kind: K, message: string, fields: ErrorFields<K>, code?: number): void {
    if (this.closed) return;
    this.send({ jsonrpc: "2.0", id: null, error: wireError(kind, message, fields, code) });
    this.end();
  }

  /** Stops reading, lets queued calls finish, then closes. Resolves when closed. */
  async drainAndClose(): Promise<void> {
    this.draining = true;
    this.stopWaitingForReader?.();
    this.socket.pause();
    await this.queue;
    this.end();
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authTimer);
    this.socket.end();
    // Do not wait for a peer that never reads.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let lines: string[];
    try {
      lines = this.decoder.push(chunk);
    } catch (e) {
      if (e instanceof FramingError) {
        // Only the session's own framing errors are worth a line; a peer without the key could write one per connection.
        this.options.logger[this.handshake.authenticated ? "info" : "debug"](`session ${this.id}: ${e.message}; closing`);
        this.send(e.reason === "line-too-long" ? invalidRequestResponse(null, e.message) : parseErrorResponse(e.message));
        this.end();
        return;
      }
      throw e;
    }
    for (const line of lines) this.enqueue(line);
  }

  /**
   * Lines run in order, one at a time: each starts once every line before it
   * has been answered. The exception: a call of a pipelined module (the
   * Augeas host's, which answers in order) that follows another such call
   * starts as soon as that one has started, so a pipelining client's calls
   * reach the host together; its answer is still sent in order, and the next
   * call of any other kind waits for every answer before it.
   */
  private enqueue(line: string): void {
    this.queued++;
    if (this.queued >= this.maxInFlight) this.socket.pause();
    const parsed = parseLine(line);
    const request = this.pipelinedRequest(parsed);
    let started: Promise<{ answer: Promise<JSONRPCResponse | null> }> | undefined;
    if (request) {
      started = (this.tailPipelined ? this.startTail : this.queue).then(() => ({
        answer: this.closed ? Promise.resolve(null) : this.options.dispatcher.dispatch(request, this),
      }));
      this.startTail = started.then(() => undefined);
    }
    this.tailPipelined = request !== undefined;
    this.queue = this.queue.then(async () => {
      try {
        await this.roomForAnswers();
        if (started) {
          const r = await (await started).answer;
          if (r && !this.closed) this.send(r);
          if (this.closeAfterReply) this.end();
        } else if (!this.closed) await this.handleLine(parsed);
      } catch (e) {
        this.options.logger.error(`session ${this.id}: unexpected failure handling a message`, e);
        this.fail("internal", "internal error; the daemon's log has the details", {});
      } finally {
        this.queued--;
        if (this.queued === 0 || performance.now() - this.corkedAt > MAX_CORK_MS) this.flush();
        if (this.queued <= this.maxInFlight / 2 && !this.closed && !this.draining) this.socket.resume();
      }
    });
  }

  /** The line's request when it is one call of a pipelined module on an authenticated session, else undefined. */
  private pipelinedRequest(parsed: ParsedLine): JSONRPCRequest | undefined {
    if (!this.handshake.authenticated || !parsed.ok || requestProblem(parsed.message)) return undefined;
    const request = parsed.message as JSONRPCRequest;
    return this.options.dispatcher.pipelined(request.method) ? request : undefined;
  }

  private async handleLine(parsed: ParsedLine): Promise<void> {
    if (!parsed.ok) {
      this.send(parseErrorResponse("message is not valid JSON"));
      this.end();
      return;
    }
    const message = parsed.message;
    if (!this.withinPreAuthLimit(Array.isArray(message) ? message.length : 1)) return;
    if (Array.isArray(message)) {
      if (message.length === 0) return this.send(invalidRequestResponse(null, "empty batch"));
      if (message.length > this.maxBatch) {
        return this.send(invalidRequestResponse(null, `batch of more than ${this.maxBatch} requests (machinad --max-batch)`));
      }
      const responses: JSONRPCResponse[] = [];
      for (const item of message) {
        if (this.closed) return;
        // A wrong proof ends the connection: the rest of its batch is not run
        // (else one connection could try many proofs, and go on after one failed).
        if (this.closeAfterReply) break;
        const r = await this.handleRequest(item);
        if (r) responses.push(r);
      }
      if (responses.length > 0) this.send(responses);
    } else {
      const r = await this.handleRequest(message);
      if (r) this.send(r);
    }
    if (this.closeAfterReply) this.end();
  }

  /**
   * Counts `n` requests (a line: one, or a whole batch) made before
   * authenticating; past the limit the connection is answered
   * `unauthenticated` and ended, and false is answered: none of them is run.
   */
  private withinPreAuthLimit(n: number): boolean {
    if (this.handshake.authenticated) return true;
    this.requestsBeforeAuth += Math.max(1, n);
    if (this.requestsBeforeAuth <= MAX_REQUESTS_BEFORE_AUTH) return true;
    this.fail("unauthenticated", `more than ${MAX_REQUESTS_BEFORE_AUTH} requests before authenticating; closing`, {});
    return false;
  }

  private async handleRequest(message: unknown): Promise<JSONRPCResponse | null> {
    const problem = requestProblem(message);
    if (problem) {
      const id = (message as { id?: unknown } | null)?.id;
      return invalidRequestResponse(typeof id === "string" || typeof id === "number" ? id : null, problem);
    }
    return this.options.dispatcher.dispatch(message as JSONRPCRequest, this);
  }

  /**
   * Waits while more than MAX_UNSENT_BYTES of answers wait for the client to
   * read them: a client that sends and never reads would otherwise make the
   * daemon buffer every answer (a 64 KiB value per 60-byte get). The FIFO
   * stops, so reading stops too (maxInFlight). Not while stopping.
   */
  private async roomForAnswers(): Promise<void> {
    if (this.socket.writableLength <= MAX_UNSENT_BYTES || this.closed || this.draining) return;
    this.flush();
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        this.stopWaitingForReader = undefined;
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
      this.stopWaitingForReader = done;
    });
  }

  private send(message: unknown): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    // A pipelining client's answers leave in one write instead of one syscall
    // each: the socket stays corked while more lines wait in the FIFO, and is
    // flushed when the FIFO empties, when a call ends more than MAX_CORK_MS
    // after the first held answer, and on the next turn of the event loop (for
    // progress notifications of a call that awaits). So an answer waits at
    // most for the one call after it, never for a whole pipeline.
    if (!this.corked) {
      this.corked = true;
      this.corkedAt = performance.now();
      this.socket.cork();
      setImmediate(this.flush);
    }
    this.socket.write(encodeLine(message));
  }

  private readonly flush = (): void => {
    if (!this.corked) return;
    this.corked = false;
    // The audit lines of these answers' calls reach the log before the answers leave.
    this.options.beforeAnswers?.();
    this.socket.uncork();
  };

  private onSocketClose(): void {
    const wasOpen = !this.closed;
    this.closed = true;
    clearTimeout(this.authTimer);
    if (wasOpen) this.options.logger.debug(`session ${this.id}: peer closed the connection`);
    this.peerGone.abort(PEER_GONE);
    // Pending calls finish first; then the session's edits are dropped.
    void this.queue.then(() => this.options.onClose(this));
  }
}

type ParsedLine = { ok: true; message: unknown } | { ok: false };

function parseLine(line: string): ParsedLine {
  try {
    return { ok: true, message: JSON.parse(line) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Why a parsed message is not a JSON-RPC 2.0 request object, or undefined when it is one. */
function requestProblem(m: unknown): string | undefined {
  if (typeof m !== "object" || m === null || Array.isArray(m)) return "a request must be a JSON object";
  const r = m as Record<string, unknown>;
  if (r.jsonrpc !== "2.0") return 'jsonrpc must be "2.0"';
  if (typeof r.method !== "string") return "method must be a string";
  if ("id" in r && !(typeof r.id === "string" || (typeof r.id === "number" && Number.isFinite(r.id)) || r.id === null)) {
    return "id must be a string, a number or null";
  }
  if ("params" in r && (typeof r.params !== "object" || r.params === null)) return "params must be an object";
  if ("result" in r || "error" in r) return "a response is not a request";
  return undefined;
}
