/**
 * The handshake state of one connection: `hello` → `authenticating` → `ready`.
 * It owns the nonces; the transport only asks whether the peer has
 * authenticated, and hears about it once (to stop the pre-authentication
 * deadline).
 */
export type HandshakePhase = "hello" | "authenticating" | "ready";

export class Handshake {
  private current: HandshakePhase = "hello";
  private nonces: { client: Uint8Array; server: Uint8Array } | undefined;

  constructor(private readonly onAuthenticated: () => void = () => undefined) {}

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

  /** The peer proved the key (or the daemon runs without one). */
  complete(): void {
    this.current = "ready";
    this.nonces = undefined;
    this.onAuthenticated();
  }
}
