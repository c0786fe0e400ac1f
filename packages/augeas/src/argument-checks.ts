// Checks made before crossing into C++, so callers get a precise TypeError.
// The addon checks types again; these exist for the messages, for NUL bytes,
// which libaugeas would silently treat as the end of the string, and for lone
// surrogates, which have no UTF-8 form (node would send U+FFFD instead).
import { hasLoneSurrogate, type StringOrBytes } from "./text.js";

/** A string or a Uint8Array (a Buffer) without NUL; a string must also be well-formed UTF-16. */
export function checkString(value: unknown, name: string): asserts value is StringOrBytes {
  if (typeof value === "string") {
    if (value.includes("\0")) throw new TypeError(`${name} must not contain NUL characters`);
    if (hasLoneSurrogate(value)) {
      throw new TypeError(`${name} must not contain a lone UTF-16 surrogate (it has no UTF-8 form; pass a Buffer for bytes that are not UTF-8)`);
    }
    return;
  }
  if (value instanceof Uint8Array) {
    if (value.includes(0)) throw new TypeError(`${name} must not contain NUL characters`);
    return;
  }
  throw new TypeError(`${name} must be a string or a Uint8Array, got ${describe(value)}`);
}

export function checkNullableString(value: unknown, name: string): asserts value is StringOrBytes | null {
  if (value === null) return;
  if (typeof value !== "string" && !(value instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a string, a Uint8Array or null, got ${describe(value)}`);
  }
  checkString(value, name);
}

export function checkBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
}

/** A 0-based index into a variable's node set (the aug_ns_* calls). */
export function checkIndex(value: unknown, name: string): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new TypeError(`${name} must be a non-negative integer, got ${typeof value === "number" ? value : describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
