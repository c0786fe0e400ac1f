/**
 * The handshake (`session.hello`, `session.authenticate`) and `rpc.discover`.
 * The construction is specified in @machina/protocol's README.
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
  type MethodName,
  type OpenRpcDocument,
} from "@machina/protocol";
import { Fault, InvalidParamsFault } from "../faults.js";
import type { AuthThrottle } from "../auth-throttle.js";
import type { Handler } from "../rpc/handler-types.js";
import type { Logger } from "../logger.js";

export interface SessionHandlerDeps {
  serverName: string;
  /** The shared key, or null when the daemon runs without one (insecure, loudly warned). */
  key: Uint8Array | null;
  throttle: AuthThrottle;
  logger: Logger;
  /** Called once a session has authenticated (it starts from a fresh tree). */
  onAuthenticated(sessionId: number): void;
  discover(): OpenRpcDocument;
}

export function sessionHandlers(deps: SessionHandlerDeps): {
  "session.hello": Handler<"session.hello">;
  "session.authenticate": Handler<"session.authenticate">;
  "rpc.discover": Handler<"rpc.discover">;
} {
  return {
    "session.hello": ({ protocol, nonce }, { session }) => {
      if (session.state !== "hello") throw new InvalidParamsFault("session.hello was already called on this connection");
      if (protocol !== PROTOCOL_VERSION) {
        throw new InvalidParamsFault(`protocol version ${protocol} is not supported; this server speaks ${PROTOCOL_VERSION}`, { param: "/protocol" });
      }
      const clientNonce = decodeBase64(nonce, NONCE_BYTES);
      if (!clientNonce) throw new InvalidParamsFault(`nonce must be ${NONCE_BYTES} bytes in base64`, { param: "/nonce" });
      session.clientNonce = clientNonce;
      session.serverNonce = newNonce();
      if (deps.key === null) {
        deps.logger.warn(`session ${session.id}: accepted WITHOUT authentication (--insecure-no-secret)`);
        session.markAuthenticated();
        deps.onAuthenticated(session.id);
        return { protocol: PROTOCOL_VERSION, server: deps.serverName, nonce: encodeBase64(session.serverNonce), auth: "none" as const };
      }
      session.state = "authenticating";
      return { protocol: PROTOCOL_VERSION, server: deps.serverName, nonce: encodeBase64(session.serverNonce), auth: AUTH_SCHEME };
    },

    "session.authenticate": async ({ proof }, { session }) => {
      if (session.state === "ready") throw new InvalidParamsFault("this session is already authenticated");
      if (session.state !== "authenticating" || !session.clientNonce || !session.serverNonce || !deps.key) {
        throw new InvalidParamsFault("call session.hello first");
      }
      await deps.throttle.wait();
      const given = decodeBase64(proof, PROOF_BYTES);
      const expected = clientProof(deps.key, session.clientNonce, session.serverNonce);
      if (!given || !proofsEqual(given, expected)) {
        deps.throttle.failure();
        deps.logger.warn(`session ${session.id}: authentication failed (pid ${session.peer.pid}, uid ${session.peer.uid}, gid ${session.peer.gid})`);
        session.closeAfterThisReply();
        throw new Fault("auth-failed", "authentication failed");
      }
      deps.throttle.success();
      session.markAuthenticated();
      deps.onAuthenticated(session.id);
      return { proof: encodeBase64(serverProof(deps.key, session.clientNonce, session.serverNonce)) };
    },

    "rpc.discover": () => deps.discover() as unknown as ReturnType<Handler<"rpc.discover">> & object,
  };
}

export type { MethodName };
