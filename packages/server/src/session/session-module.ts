/**
 * The `session` capability module: the handshake (`session.hello`,
 * `session.authenticate`) and discovery (`rpc.discover`), the only methods
 * answered before authentication. It has no policy section: `[clients]`,
 * which decides who may connect at all, is checked by the daemon before a
 * session exists. The construction is specified in @machina/protocol's README.
 */
import {
  AUTH_SCHEME,
  PROTOCOL_VERSION,
  clientProof,
  decodeBase64,
  encodeBase64,
  newNonce,
  NONCE_BYTES,
  PROOF_BYTES,
  proofsEqual,
  serverProof,
  type ResultOf,
} from "@machina/protocol";
import { allow, defineModule, methodsOf, type Caller, type ModuleStartContext } from "../capability/capability-module.js";
import { Fault, InvalidParamsFault } from "../faults.js";
import type { Logger } from "../logger.js";
import { AuthThrottle } from "./auth-throttle.js";

/** The session module has no policy section. */
export type SessionSection = Record<string, never>;

export class SessionRuntime {
  readonly throttle = new AuthThrottle();
  constructor(
    readonly serverName: string,
    /** The shared key, or null when the daemon runs without one (insecure, loudly warned). */
    readonly key: Uint8Array | null,
    readonly logger: Logger,
    readonly discover: (detail: "full" | "names") => Promise<unknown>,
  ) {}
}

const on = methodsOf<SessionSection, SessionRuntime>();

/** A connection that proved the key while another session holds the slot: `busy`, and it ends. */
function busy(caller: Caller): never {
  caller.closeAfterThisReply();
  throw new Fault("busy", "another client is connected; machinad serves one session at a time", {});
}
const always = { granted: () => true, resources: () => undefined };

export const sessionModule = defineModule({
  name: "session",
  tomlKeys: [],
  parse: (): SessionSection => ({}),
  explain: () => [],
  capabilities: { session: always, discover: always },
  start: (ctx: ModuleStartContext) => new SessionRuntime(ctx.options.serverName, ctx.options.key, ctx.logger, (detail) => ctx.discover(detail)),
  methods: [
    on({
      method: "session.hello",
      targets: () => [],
      // Anyone [clients] admitted may start the handshake; the handshake itself is the check.
      authorise: (params) => allow(params),
      run: ({ value: { protocol, nonce } }, { caller, runtime }) => {
        const handshake = caller.handshake;
        if (handshake.phase !== "hello") throw new InvalidParamsFault("session.hello was already called on this connection");
        if (protocol !== PROTOCOL_VERSION) {
          throw new InvalidParamsFault(`protocol version ${protocol} is not supported; this server speaks ${PROTOCOL_VERSION}`, { param: "/protocol" });
        }
        const clientNonce = decodeBase64(nonce, NONCE_BYTES);
        if (!clientNonce) throw new InvalidParamsFault(`nonce must be ${NONCE_BYTES} bytes in base64`, { param: "/nonce" });
        const serverNonce = newNonce();
        if (runtime.key === null) {
          if (!handshake.claimSession()) busy(caller);
          runtime.logger.warn(`session ${caller.id}: accepted WITHOUT authentication (--insecure-no-secret)`);
          handshake.complete();
          return { protocol: PROTOCOL_VERSION, server: runtime.serverName, nonce: encodeBase64(serverNonce), auth: "none" as const };
        }
        handshake.challenged(clientNonce, serverNonce);
        return { protocol: PROTOCOL_VERSION, server: runtime.serverName, nonce: encodeBase64(serverNonce), auth: AUTH_SCHEME };
      },
    }),
    on({
      method: "session.authenticate",
      targets: () => [],
      // The proof is the authorisation: a wrong one is refused (auth-failed) and ends the connection,
      // whose place among those waiting to authenticate stays taken for its uid's penalty (see
      // auth-throttle.ts). Nothing delays a proof: the right one is answered at once, whatever
      // wrong ones other connections sent. A right proof takes the one session slot, or is told busy.
      authorise: ({ proof }, { caller, runtime }) => {
        const handshake = caller.handshake;
        if (handshake.authenticated) throw new InvalidParamsFault("this session is already authenticated");
        const challenge = handshake.challenge;
        if (!challenge || !runtime.key) throw new InvalidParamsFault("call session.hello first");
        const given = decodeBase64(proof, PROOF_BYTES);
        if (!given || !proofsEqual(given, clientProof(runtime.key, challenge.client, challenge.server))) {
          caller.failedProof(runtime.throttle.failure(caller.peer.uid));
          throw new Fault("auth-failed", "authentication failed", {});
        }
        if (!handshake.claimSession()) busy(caller);
        return allow({ key: runtime.key, challenge });
      },
      run: ({ value: { key, challenge } }, { caller }) => {
        caller.handshake.complete();
        return { proof: encodeBase64(serverProof(key, challenge.client, challenge.server)) };
      },
    }),
    on({
      method: "rpc.discover",
      targets: () => [],
      authorise: () => allow(null),
      // Before authentication, the names only: [clients] admits peers by uid, key or not, and the
      // policy's files, node patterns and command rules are for the holder of the key.
      run: async (_grant, { runtime, caller }) => (await runtime.discover(caller.handshake.authenticated ? "full" : "names")) as ResultOf<"rpc.discover">,
    }),
  ],
});
