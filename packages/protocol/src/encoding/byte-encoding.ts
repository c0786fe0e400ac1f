/**
 * How bytes travel inside JSON strings (command stdin, stdout and stderr):
 *
 * - `text`: UTF-8 text as it is. Decoding bytes that are not valid UTF-8
 *   replaces each bad sequence with U+FFFD, so `text` is lossy for binary
 *   data; ask for `base64` or `base85` to get the exact bytes.
 * - `base64`: standard base64 with padding (RFC 4648 §4), 4 characters per 3 bytes.
 * - `base85`: Python's `base64.b85encode` (RFC 1924 digits), 5 characters per
 *   4 bytes — denser than base64, and every digit is JSON-safe without escaping.
 */
import { decodeBase64Bytes, encodeBase64Bytes } from "./base64.js";
import { decodeBase85, encodeBase85 } from "./base85.js";

/** The encodings bytes may travel in. */
export const BYTE_ENCODINGS = ["text", "base64", "base85"] as const;

/** One of {@link BYTE_ENCODINGS}. */
export type ByteEncoding = (typeof BYTE_ENCODINGS)[number];

/** Encodes `bytes` as a string in `encoding`. */
export function encodeBytes(bytes: Uint8Array, encoding: ByteEncoding): string {
  switch (encoding) {
    case "text":
      return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
    case "base64":
      return encodeBase64Bytes(bytes);
    case "base85":
      return encodeBase85(bytes);
  }
}

/** Decodes a string in `encoding` back to bytes; throws Base64Error / Base85Error on malformed input, a TypeError on text with a lone surrogate. */
export function decodeBytes(text: string, encoding: ByteEncoding): Uint8Array {
  switch (encoding) {
    case "text":
      // TextEncoder would turn a lone surrogate (a JSON `\ud800` escape) into U+FFFD: bytes nobody sent.
      if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) throw new TypeError("it holds a lone UTF-16 surrogate, which has no UTF-8 form");
      return new TextEncoder().encode(text);
    case "base64":
      return decodeBase64Bytes(text);
    case "base85":
      return decodeBase85(text);
  }
}
