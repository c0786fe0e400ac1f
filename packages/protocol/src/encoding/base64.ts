/**
 * Standard base64 (RFC 4648 §4, with padding), decoded strictly: Node's own
 * decoder skips characters it does not know and accepts missing padding, so
 * `"aGk!!"` and `"aGk"` would both decode; here they are refused, so a client
 * cannot smuggle bytes past a check made on the text.
 */

/** Standard base64 with padding, as JSON Schema `pattern` text (schemas check the shape; decoding also checks spare bits). */
export const BASE64_PATTERN = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$";

const BASE64_TEXT = new RegExp(BASE64_PATTERN);

/** Encodes bytes as standard base64 with padding. */
export function encodeBase64Bytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Why a base64 text was refused. */
export class Base64Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Base64Error";
  }
}

/** Decodes canonical standard base64; throws {@link Base64Error} otherwise (bad characters, missing padding, non-zero spare bits). */
export function decodeBase64Bytes(text: string): Uint8Array {
  if (!BASE64_TEXT.test(text)) throw new Base64Error("not standard base64 (A-Z a-z 0-9 + / with = padding)");
  const bytes = new Uint8Array(Buffer.from(text, "base64"));
  // Spare bits in the last group must be zero, or two texts would mean the same bytes.
  if (encodeBase64Bytes(bytes) !== text) throw new Base64Error("not canonical base64 (non-zero spare bits)");
  return bytes;
}
