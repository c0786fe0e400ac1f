/**
 * Augeas values on the wire, byte for byte.
 *
 * libaugeas keeps a node's value as a NUL-terminated byte string and never
 * checks that it is UTF-8: a Latin-1 file gives values such as `caf` 0xE9. A
 * JSON string carries only text — decoding those bytes as UTF-8 turns 0xE9
 * into U+FFFD, and writing that back stores `EF BF BD` — so a value travels
 * in one of two forms:
 *
 * - a JSON **string** when its bytes are valid UTF-8 (every ordinary file:
 *   nothing changes for them);
 * - `{ "base64": "…" }` (standard base64 with padding, RFC 4648 §4, decoded
 *   strictly) when they are not: exactly its bytes.
 *
 * (null is a node without a value.) The daemon answers with the string form
 * whenever the bytes allow it, so a client sees the byte form only for values
 * that are not UTF-8; a client may send either form, and both mean the bytes
 * they hold. `valueFromBytes(bytesOfValue(v))` is `v` in that canonical form,
 * and `bytesOfValue(valueFromBytes(b))` is `b`, for every value and every
 * byte string.
 */
import { isUtf8 } from "node:buffer";
import { decodeBase64Bytes, encodeBase64Bytes } from "./base64.js";
import { decodeBytes } from "./byte-encoding.js";

/** The byte form of an Augeas value: its exact bytes, base64 (standard, padded). */
export interface AugeasBytes {
  base64: string;
}

/** An Augeas value in either wire form, or null (no value); the protocol's `AugeasValue`. */
export type AugeasValueForm = string | AugeasBytes | null;

/** The most bytes a value may hold (the string form's limit, 65536 characters, in bytes). */
export const AUGEAS_VALUE_MAX_BYTES = 65536;

/** The longest base64 text of a value of AUGEAS_VALUE_MAX_BYTES bytes. */
export const AUGEAS_VALUE_MAX_BASE64 = 4 * Math.ceil(AUGEAS_VALUE_MAX_BYTES / 3);

/** True for the byte form (`{ base64 }`), false for a string or null. */
export function isAugeasBytes(value: unknown): value is AugeasBytes {
  return typeof value === "object" && value !== null && typeof (value as { base64?: unknown }).base64 === "string";
}

/**
 * A value's wire form from its bytes: the string when they are valid UTF-8,
 * `{ base64 }` otherwise (null stays null).
 */
export function valueFromBytes(bytes: Uint8Array): string | AugeasBytes;
export function valueFromBytes(bytes: Uint8Array | null): AugeasValueForm;
export function valueFromBytes(bytes: Uint8Array | null): AugeasValueForm {
  if (bytes === null) return null;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isUtf8(buf) ? buf.toString("utf8") : { base64: encodeBase64Bytes(buf) };
}

/**
 * The exact bytes a value stands for (null stays null): a string's UTF-8, or
 * the byte form's decoded base64. Throws `Base64Error` for base64 that is not
 * canonical standard base64, and a `TypeError` for a string holding a lone
 * UTF-16 surrogate (it has no UTF-8 form). A NUL is returned like any other
 * byte: the daemon refuses a value holding one.
 */
export function bytesOfValue(value: string | AugeasBytes): Buffer;
export function bytesOfValue(value: AugeasValueForm): Buffer | null;
export function bytesOfValue(value: AugeasValueForm): Buffer | null {
  if (value === null) return null;
  const bytes = typeof value === "string" ? decodeBytes(value, "text") : decodeBase64Bytes(value.base64);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A value as text for people (null stays null): a string as it is, the byte
 * form decoded as UTF-8 with each invalid sequence shown as U+FFFD. Lossy for
 * the byte form — for display only; write back the value itself.
 */
export function valueText(value: string | AugeasBytes): string;
export function valueText(value: AugeasValueForm): string | null;
export function valueText(value: AugeasValueForm): string | null {
  if (value === null || typeof value === "string") return value;
  return bytesOfValue(value).toString("utf8");
}
