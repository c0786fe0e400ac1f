/**
 * Paths and labels of the tree as JS strings, without loss.
 *
 * libaugeas keeps labels as byte strings and never checks that they are
 * UTF-8: a Latin-1 php.ini section `[café]` is the label `caf` 0xE9. Read as a
 * UTF-8 string, its path says U+FFFD — a path that names another label (or
 * nothing). Inside the daemon a node path or label is therefore "tree text":
 * its bytes decoded as UTF-8 where they are valid, and every byte that is not
 * part of a valid sequence kept as the lone surrogate U+DC80 + (byte − 0x80)
 * (Python's "surrogateescape"). So:
 *
 * - for bytes that are valid UTF-8 (every ordinary file) tree text is the
 *   ordinary string, and all code that handles labels as strings (patterns,
 *   policy file paths, the path grammar) works unchanged;
 * - the mapping is one-to-one (a valid sequence never decodes to a lone
 *   surrogate), so labels compare exactly as their bytes do;
 * - tree text that holds an escaped byte cannot be passed to libaugeas by
 *   mistake as a string: the binding refuses a string with a lone surrogate
 *   (TypeError, an internal error), it never sends U+FFFD. `augeasArg` turns
 *   tree text into what libaugeas must get.
 *
 * Tree text never leaves the daemon: paths sent to clients spell such bytes
 * `%HH` (client-path.ts).
 */
import { isUtf8 } from "node:buffer";

import type { BufferEncodingOptions } from "augeas-node-bindings";

/** The options that make the binding answer Buffers (its exact bytes). */
export const BYTES: BufferEncodingOptions = { encoding: "buffer" };

const LONE_ESCAPE = /[\udc80-\udcff]/;

/** Bytes from libaugeas (a path, label or value) as tree text. */
export function treeText(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buf)) return buf.toString("utf8");
  let out = "";
  let i = 0;
  while (i < buf.length) {
    const n = validSequenceLength(buf, i);
    if (n > 0) {
      out += buf.toString("utf8", i, i + n);
      i += n;
    } else {
      out += String.fromCharCode(0xdc00 + buf[i]!);
      i++;
    }
  }
  return out;
}

/**
 * The bytes tree text stands for. Throws a TypeError for a lone surrogate
 * that is not an escaped byte (U+D800..U+DC7F, U+DD00..U+DFFF): no bytes stand
 * for it.
 */
export function treeBytes(text: string): Buffer {
  if (!LONE_ESCAPE.test(text)) return utf8Strict(text);
  const parts: Buffer[] = [];
  let run = "";
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && code >= 0xdc80 && code <= 0xdcff) {
      if (run) parts.push(utf8Strict(run));
      run = "";
      parts.push(Buffer.of(code - 0xdc00));
    } else {
      run += ch;
    }
  }
  if (run) parts.push(utf8Strict(run));
  return Buffer.concat(parts);
}

/**
 * Tree text as a libaugeas argument: the string itself when it holds no
 * escaped byte (the binding sends it as UTF-8), its exact bytes otherwise.
 */
export function augeasArg(text: string): string | Buffer {
  return LONE_ESCAPE.test(text) ? treeBytes(text) : text;
}

function utf8Strict(text: string): Buffer {
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) {
    throw new TypeError("tree text holds a lone surrogate that stands for no byte");
  }
  return Buffer.from(text, "utf8");
}

/** The length of the valid UTF-8 sequence starting at `i` (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF), or 0. */
function validSequenceLength(b: Buffer, i: number): number {
  const b0 = b[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}
