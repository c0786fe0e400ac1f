// Text in and out of libaugeas. libaugeas keeps paths, labels and values as NUL-terminated byte
// strings and never checks that they are UTF-8, so a Latin-1 file holds bytes (0xE9) that a JS
// string cannot carry: decoding them as UTF-8 turns each bad sequence into U+FFFD, and writing
// that back stores EF BF BD. Every text argument therefore also accepts a Uint8Array (a Buffer),
// passed byte for byte, and every call that returns text can return Buffers instead
// (`{ encoding: "buffer" }`), so bytes go round unchanged. README.md ("Text and bytes") has why.

/** Text for libaugeas: a string (sent as UTF-8) or the exact bytes (a Buffer or Uint8Array). */
export type StringOrBytes = string | Uint8Array;

/**
 * How a call returns text: `"utf8"` (the default) as strings, decoding as UTF-8 and replacing
 * every invalid sequence with U+FFFD (lossy for bytes that are not UTF-8), or `"buffer"` as
 * Buffers holding exactly the bytes libaugeas has.
 */
export type TextEncoding = "utf8" | "buffer";

/** The options argument of the calls that return text. */
export interface EncodingOptions {
  encoding?: TextEncoding;
}

/** Options that select Buffers, for the overloads that return them. */
export interface BufferEncodingOptions {
  encoding: "buffer";
}

/** Whether `options` asks for Buffers; TypeError for anything but the documented shapes. */
export function wantsBuffer(options: EncodingOptions | undefined): boolean {
  if (options === undefined) return false;
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const encoding: unknown = options.encoding;
  if (encoding === undefined || encoding === "utf8") return false;
  if (encoding === "buffer") return true;
  throw new TypeError(`options.encoding must be "utf8" or "buffer", got ${String(encoding)}`);
}

type WellFormed = (this: string) => boolean;
const isWellFormed = (String.prototype as { isWellFormed?: WellFormed }).isWellFormed;
// Node 18's V8 has no String.prototype.isWellFormed.
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Whether `text` holds a UTF-16 surrogate without its pair. Such a string has no UTF-8 form:
 * node would send U+FFFD (EF BF BD) in its place, bytes nobody asked for.
 */
export function hasLoneSurrogate(text: string): boolean {
  return isWellFormed === undefined ? loneSurrogate.test(text) : !isWellFormed.call(text);
}

const slash = 0x2f;

/** `bytes` as a Buffer (a view, not a copy, when it is a plain Uint8Array). */
export function asBuffer(bytes: StringOrBytes): Buffer {
  if (typeof bytes === "string") return Buffer.from(bytes, "utf8");
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Byte strings joined (text as UTF-8), for building paths out of paths libaugeas returned. */
export function joinBytes(...parts: StringOrBytes[]): Buffer {
  return Buffer.concat(parts.map(asBuffer));
}

/** Whether `path` is `ancestor` or lies below it (a `/` inside a label is escaped, so never counts). */
export function isAtOrBelow(path: Buffer, ancestor: Buffer): boolean {
  return path.equals(ancestor) || isBelow(path, ancestor);
}

/** Whether `path` lies strictly below `ancestor`. */
export function isBelow(path: Buffer, ancestor: Buffer): boolean {
  return path.length > ancestor.length && path[ancestor.length] === slash && path.subarray(0, ancestor.length).equals(ancestor);
}

/** `bytes` in the encoding the caller asked for. */
export function encodeAs(bytes: Buffer, buffer: boolean): string | Buffer {
  return buffer ? bytes : bytes.toString("utf8");
}
