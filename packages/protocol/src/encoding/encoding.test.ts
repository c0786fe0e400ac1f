import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { BASE85_ALPHABET, Base85Error, decodeBase85, encodeBase85 } from "#src/encoding/base85.js";
import { Base64Error, decodeBase64Bytes, encodeBase64Bytes } from "#src/encoding/base64.js";
import { BYTE_ENCODINGS, decodeBytes, encodeBytes } from "#src/encoding/byte-encoding.js";

// Generated with Python 3: [b.hex(), base64.b85encode(b).decode()]
const B85_VECTORS: [string, string][] = [
  ["", ""],
  ["00", "00"],
  ["00000000", "00000"],
  ["68656c6c6f", "Xk~0{Zv"],
  ["48656c6c6f2c20576f726c6421", "NM&qnZ!92JZ*pv8Ap"],
  [
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("hex"),
    "009C61O)~M2nh-c3=Iws5D^j+6crX17#SKH9337XAR!_nBqb&%C@Cr{EG;fCFflSSG&MFiI5|2yJUu=?KtV!7L`6nNNJ&adOifNtP*GA-R8>}2SXo+ITwPvYU}0ioWMyV&XlZI|Y;A6DaB*^Tbai%jczJqze0_d@fPsR8goTEOh>41ejE#<ukdcy;l$Dm3n3<ZJoSmMZprN9pq@|{(sHv)}tgWuEu(7hUw6(UkxVgH!yuH4^z`?@9#Kp$P$jQpf%+1cv(9zP<)YaD4*xB0K+}+;a;Njxq<mKk)=;`X~?CtLF@bU8V^!4`l`1$(#{Qds_",
  ],
  ["ffffffff", "|NsC0"],
  ["ff", "{{"],
  ["00ff807f01", "0RMo00R"],
  ["68c3a96c6c6f20e29c93", "Xv3*&Y;PdqoRa"],
];

test("base85 matches Python's base64.b85encode on its vectors, both ways", () => {
  for (const [hex, text] of B85_VECTORS) {
    assert.equal(encodeBase85(Buffer.from(hex, "hex")), text, hex);
    assert.equal(Buffer.from(decodeBase85(text)).toString("hex"), hex, text);
  }
});

test("base85 uses the RFC 1924 digits and round-trips random bytes of every length", () => {
  assert.equal(BASE85_ALPHABET.length, 85);
  assert.equal(new Set(BASE85_ALPHABET).size, 85);
  for (let n = 0; n < 64; n++) {
    const bytes = randomBytes(n);
    const text = encodeBase85(bytes);
    assert.equal(text.length, Math.ceil((5 * n) / 4));
    assert.ok([...text].every((c) => BASE85_ALPHABET.includes(c)));
    assert.deepEqual(Buffer.from(decodeBase85(text)), bytes);
  }
});

test("base85 refuses bad digits, overflowing groups and a dangling digit", () => {
  assert.throws(() => decodeBase85("~~~~~"), Base85Error, "over 2^32-1 (Python refuses it too)");
  assert.throws(() => decodeBase85("Xk~0 Zv"), Base85Error, "space is not a digit");
  assert.throws(() => decodeBase85("Xk\"0Zv"), Base85Error);
  assert.throws(() => decodeBase85("é"), Base85Error);
  assert.throws(() => decodeBase85("000000"), Base85Error, "a single digit cannot encode a byte");
});

test("base64 decoding is strict: no junk, no missing padding, no spare bits", () => {
  assert.equal(encodeBase64Bytes(Buffer.from("hi")), "aGk=");
  assert.deepEqual(Buffer.from(decodeBase64Bytes("aGk=")), Buffer.from("hi"));
  assert.deepEqual(decodeBase64Bytes(""), new Uint8Array());
  for (const bad of ["aGk", "aGk!", "aG k=", "aGl=", "aGk=aGk=", "-_8=", "a"]) assert.throws(() => decodeBase64Bytes(bad), Base64Error, bad);
});

test("every byte encoding round-trips binary data, and text is lossy only for invalid UTF-8", () => {
  const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 13]);
  for (const e of BYTE_ENCODINGS.filter((x) => x !== "text")) assert.deepEqual(Buffer.from(decodeBytes(encodeBytes(binary, e), e)), binary, e);
  assert.equal(encodeBytes(Buffer.from("héllo ✓\n"), "text"), "héllo ✓\n");
  assert.deepEqual(Buffer.from(decodeBytes("héllo", "text")), Buffer.from("héllo"));
  assert.equal(encodeBytes(Buffer.from([0x61, 0xff, 0x62]), "text"), "a\ufffdb");
});

test("text with a lone surrogate has no UTF-8 form: decoding refuses it instead of sending U+FFFD", () => {
  for (const bad of ["a\ud800b", "\udc00", "x\ud83d"]) assert.throws(() => decodeBytes(bad, "text"), /lone UTF-16 surrogate/, JSON.stringify(bad));
  assert.deepEqual(Buffer.from(decodeBytes("a\u0000\ud83d\ude00", "text")), Buffer.from([0x61, 0, 0xf0, 0x9f, 0x98, 0x80]));
});
