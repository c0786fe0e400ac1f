/**
 * The mutual challenge–response handshake.
 *
 * Both ends share a 32-byte key. The secret never crosses the socket: each side
 * proves it knows the key by a MAC over fresh nonces from both sides, under a
 * distinct domain-separation string per direction, so neither proof can be
 * replayed in another session (the other side's nonce differs) nor reflected
 * back as the other direction's proof (the domain string differs).
 *
 *   client → server  session.hello        { protocol: 1, nonce: Nc }
 *   server → client                       { protocol: 1, server, nonce: Ns, auth: "hmac-sha512" }
 *   client → server  session.authenticate { proof: HMAC(K, "machina/1 client proof" ‖ 0x00 ‖ Nc ‖ Ns) }
 *   server → client                       { proof: HMAC(K, "machina/1 server proof" ‖ 0x00 ‖ Nc ‖ Ns) }
 *
 * HMAC is HMAC-SHA-512 (RFC 2104) from `node:crypto` (OpenSSL); nonces are
 * 32 bytes from its CSPRNG; proofs are compared in constant time with
 * `timingSafeEqual`. Nonces, keys and proofs travel as standard base64 with
 * padding. See README.md for test vectors.
 */
import { createRequire } from "node:module";

// node:crypto is loaded when the first handshake needs it, not when the
// package is imported: loading it is ~5 ms of every program that imports
// @machina/client (a panel's start, each `machina` run), most of which only
// connect later, if at all.
let crypto: typeof import("node:crypto") | undefined;
const nodeCrypto = (): typeof import("node:crypto") => (crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto"));

/** The protocol version this package speaks. */
export const PROTOCOL_VERSION = 1;
/** The authentication scheme announced in `session.hello`'s result. */
export const AUTH_SCHEME = "hmac-sha512";
/** Length of the shared key, in bytes. */
export const KEY_BYTES = 32;
/** Length of each nonce, in bytes. */
export const NONCE_BYTES = 32;
/** Length of each proof, in bytes (a full HMAC-SHA-512). */
export const PROOF_BYTES = 64;

/** Domain-separation string of the client's proof. */
export const CLIENT_PROOF_DOMAIN = "machina/1 client proof";
/** Domain-separation string of the server's proof. */
export const SERVER_PROOF_DOMAIN = "machina/1 server proof";

/** HMAC-SHA-512 (RFC 2104). */
export function hmacSha512(key: Uint8Array, message: Uint8Array): Uint8Array {
  const mac = nodeCrypto().createHmac("sha512", key).update(message).digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, mac.byteLength);
}

// The domain strings are fixed: encode them once, not per proof.
const DOMAIN_BYTES = new Map([CLIENT_PROOF_DOMAIN, SERVER_PROOF_DOMAIN].map((d) => [d, Buffer.from(d, "utf8")]));

function proofMessage(domain: string, clientNonce: Uint8Array, serverNonce: Uint8Array): Uint8Array {
  const d = DOMAIN_BYTES.get(domain) ?? Buffer.from(domain, "utf8");
  return Buffer.concat([d, ZERO, clientNonce, serverNonce]);
}
const ZERO = new Uint8Array(1);

/** The proof the client sends in `session.authenticate`. */
export function clientProof(key: Uint8Array, clientNonce: Uint8Array, serverNonce: Uint8Array): Uint8Array {
  return hmacSha512(key, proofMessage(CLIENT_PROOF_DOMAIN, clientNonce, serverNonce));
}

/** The proof the server answers with, which the client must check. */
export function serverProof(key: Uint8Array, clientNonce: Uint8Array, serverNonce: Uint8Array): Uint8Array {
  return hmacSha512(key, proofMessage(SERVER_PROOF_DOMAIN, clientNonce, serverNonce));
}

/** Constant-time comparison of two proofs; false when their lengths differ. */
export function proofsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.length > 0 && nodeCrypto().timingSafeEqual(a, b);
}

/** A fresh nonce from the system's CSPRNG. */
export function newNonce(): Uint8Array {
  return new Uint8Array(nodeCrypto().randomBytes(NONCE_BYTES));
}

/** A fresh random key. */
export function generateKey(): Uint8Array {
  return new Uint8Array(nodeCrypto().randomBytes(KEY_BYTES));
}

/** Standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes strict base64 of exactly `length` bytes; undefined when the text is not
 * canonical base64 or has the wrong length (Node's decoder silently skips junk,
 * so the pattern is checked first).
 */
export function decodeBase64(text: string, length: number): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== length) return undefined;
  return new Uint8Array(bytes);
}

/** Why a key could not be read. */
export class KeyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyFormatError";
  }
}

/**
 * Parses a key file's text: one line holding base64 of {@link KEY_BYTES} bytes,
 * surrounding whitespace ignored. The message never includes the text itself.
 */
export function parseKey(text: string): Uint8Array {
  const key = decodeBase64(text.trim(), KEY_BYTES);
  if (!key) throw new KeyFormatError(`the secret must be one line of base64 encoding exactly ${KEY_BYTES} bytes`);
  return key;
}

/** The key as a key file's one line (with its newline). */
export function formatKey(key: Uint8Array): string {
  return encodeBase64(key) + "\n";
}
