/**
 * The handshake methods (`session.*`) and discovery (`rpc.discover`): the only
 * methods answered before authentication.
 */
import { Type } from "@sinclair/typebox";
import { defineMethod } from "../method-spec.js";

const Base64Nonce = Type.String({
  description: "32 random bytes, standard base64 with padding (44 characters).",
  minLength: 44,
  maxLength: 44,
});

export const sessionHello = defineMethod({
  name: "session.hello",
  summary: "Start the handshake: exchange protocol versions and nonces.",
  description:
    "The first call of every connection. The client sends the protocol version it speaks and a fresh " +
    "32-byte nonce; the server answers with its version, its name and version, its own fresh nonce and " +
    "the authentication scheme. A version the server does not speak is refused with `invalid-params`. " +
    "Calling it twice on one connection is refused.",
  params: Type.Object(
    {
      protocol: Type.Integer({ minimum: 1, description: "Protocol version the client speaks (1)." }),
      nonce: Base64Nonce,
    },
    { additionalProperties: false },
  ),
  result: Type.Object({
    protocol: Type.Integer({ description: "Protocol version the session will use." }),
    server: Type.String({ description: "Server name and version, e.g. `machinad/0.1.0`." }),
    nonce: Base64Nonce,
    auth: Type.Union([Type.Literal("hmac-sha512"), Type.Literal("none")], {
      description:
        "Authentication scheme: `hmac-sha512` (see the handshake section). `none` only when the daemon was " +
        "started with `--insecure-no-secret`; the session is then authenticated at once, and a client that " +
        "holds a key must refuse it (an impostor would say `none` to avoid proving anything).",
    }),
  }),
  capability: "session",
  preAuth: true,
});

export const sessionAuthenticate = defineMethod({
  name: "session.authenticate",
  summary: "Prove knowledge of the shared key, and receive the server's proof.",
  description:
    "Sends HMAC-SHA-512(key, \"machina/1 client proof\" ‖ 0x00 ‖ clientNonce ‖ serverNonce). On success the " +
    "server answers with its own proof under \"machina/1 server proof\", which the client must verify before " +
    "trusting anything else the server says. A wrong proof is answered with `auth-failed` and the connection " +
    "is closed; failures are rate-limited. Must follow `session.hello`.",
  params: Type.Object(
    { proof: Type.String({ description: "64-byte HMAC, standard base64.", minLength: 1, maxLength: 128 }) },
    { additionalProperties: false },
  ),
  result: Type.Object({ proof: Type.String({ description: "The server's 64-byte HMAC, standard base64." }) }),
  capability: "session",
  preAuth: true,
});

export const rpcDiscover = defineMethod({
  name: "rpc.discover",
  summary: "Describe exactly what this daemon's policy allows, as an OpenRPC document.",
  description:
    "After authentication: an OpenRPC 1.2 document listing only the methods the current policy grants, each " +
    "with its params and result schemas and, under `x-policy`, the resources it may touch (files and node " +
    "patterns, services, packages, commands). Before authentication it is answered too, but with the names " +
    "of the granted methods only (no schemas, no `x-policy`): any local user the policy's [clients] admit " +
    "may ask, key or not, and the files, node patterns and command rules the policy names are for the " +
    "holder of the key alone.",
  params: Type.Object({}, { additionalProperties: false }),
  result: Type.Object(
    {
      openrpc: Type.String(),
      info: Type.Object({ title: Type.String(), version: Type.String() }, { additionalProperties: true }),
      methods: Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: true })),
    },
    { additionalProperties: true },
  ),
  capability: "discover",
  preAuth: true,
});
