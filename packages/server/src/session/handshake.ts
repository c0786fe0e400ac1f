/**
 * The handshake state of one connection: `hello` → `authenticating` → `ready`.
 * It owns the nonces; the transport only asks whether the peer has
 * authenticated, and hears about it once (to stop the pre-authentication
 * deadline). The daemon's one session slot is taken here, at successful
 * authentication (`claimSession`), never at connect: a connection that has not
 * proved the key holds nothing but its place among those waiting.
 */
export type HandshakePhase = "hello" | "authenticating" | "ready";

export interface HandshakeHooks {
  /** Takes the daemon's one session slot for this connection; false when another session holds it. */
  claim(): boolean;
  /** The connection is authenticated and holds the slot. */
  authenticated(): void;
}

export class Handshake {
  private current: HandshakePhase = "hello";
  private nonces: { client: Uint8Array; server: Uint8Array } | undefined;
  private claimed = false;

  constructor(private readonly hooks: HandshakeHooks = { claim: () => true, authenticated: () => undefined }) {}

  get phase(): HandshakePhase {
    return this.current;
  }

  get authenticated(): boolean {
    return this.current === "ready";
  }

  /** The nonces of a hello answered with a challenge; undefined before it. */
  get challenge(): { client: Uint8Array; server: Uint8Array } | undefined {
    return this.current === "authenticating" ? this.nonces : undefined;
  }

  /** `session.hello` was answered with a challenge: the proof comes next. */
  challenged(client: Uint8Array, server: Uint8Array): void {
    this.nonces = { client, server };
    this.current = "authenticating";
  }

  /**
   * The peer proved the key (or the daemon runs without one): takes the
   * daemon's one session slot. False when another session holds it — the
   * caller answers `busy` and the connection ends.
   */
  claimSession(): boolean {
    if (!this.claimed) this.claimed = this.hooks.claim();
    return this.claimed;
  }

  /** Completes the handshake of a connection that claimed the session slot. */
  complete(): void {
    if (!this.claimed) throw new Error("Handshake.complete() before the session slot was claimed");
    this.current = "ready";
    this.nonces = undefined;
    this.hooks.authenticated();
  }
}
