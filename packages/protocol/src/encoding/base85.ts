/**
 * Base85 with the RFC 1924 character set, byte-compatible with Python's
 * `base64.b85encode` / `b85decode` (and git's binary patches): each 4-byte
 * big-endian group becomes 5 digits, most significant first; a short last
 * group is zero-padded before encoding and the padding digits are dropped
 * (so n bytes encode to ceil(5n/4) characters, with no padding marker).
 * Decoding pads a short last group with the highest digit (`~`) and drops
 * the extra bytes, as Python does.
 */

/** The 85 digits in value order: 0-9, A-Z, a-z, then !#$%&()*+-;<=>?@^_`{|}~ */
export const BASE85_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

const DIGIT_VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < BASE85_ALPHABET.length; i++) DIGIT_VALUE[BASE85_ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as base85 text. */
export function encodeBase85(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4) {
    const n = Math.min(4, bytes.length - i);
    // >>> 0 keeps the 32-bit group unsigned.
    const word = (((bytes[i] ?? 0) << 24) | ((bytes[i + 1] ?? 0) << 16) | ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0)) >>> 0;
    let group = "";
    let rest = word;
    for (let d = 0; d < 5; d++) {
      group = BASE85_ALPHABET[rest % 85] + group;
      rest = Math.floor(rest / 85);
    }
    out += group.slice(0, n + 1);
  }
  return out;
}

/** Why a base85 text was refused. */
export class Base85Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Base85Error";
  }
}

/** Decodes base85 text; throws {@link Base85Error} on a bad character, a group over 2^32-1, or a dangling single digit. */
export function decodeBase85(text: string): Uint8Array {
  if (text.length % 5 === 1) throw new Base85Error("base85 text cannot end with a single-digit group");
  const out = new Uint8Array(Math.floor((text.length * 4) / 5));
  let o = 0;
  for (let i = 0; i < text.length; i += 5) {
    const n = Math.min(5, text.length - i);
    let word = 0;
    for (let d = 0; d < 5; d++) {
      const code = d < n ? text.charCodeAt(i + d) : 126; // '~' pads a short group
      const value = code < 128 ? DIGIT_VALUE[code]! : -1;
      if (value < 0) throw new Base85Error(`bad base85 character at position ${i + d}`);
      word = word * 85 + value;
    }
    if (word > 0xffffffff) throw new Base85Error(`base85 group at position ${i} overflows 32 bits`);
    for (let b = 0; b < n - 1; b++) out[o++] = (word >>> (24 - 8 * b)) & 0xff;
  }
  return out;
}
