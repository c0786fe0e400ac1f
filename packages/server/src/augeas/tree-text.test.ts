import assert from "node:assert/strict";
import { test } from "node:test";
import { randomBytes } from "node:crypto";
import { augeasArg, treeBytes, treeText } from "#src/augeas/tree-text.js";

const latin1 = (s: string) => Buffer.from(s, "latin1");

test("UTF-8 bytes are the ordinary string; other bytes are kept as U+DC80..U+DCFF", () => {
  assert.equal(treeText(Buffer.from("café ✓ 😀")), "café ✓ 😀");
  assert.equal(treeText(latin1("caf\xe9")), "caf\udce9");
  // Each byte that is not part of a valid sequence is escaped alone; valid sequences around it decode.
  assert.equal(treeText(Buffer.from("c3a9e9c3a9", "hex")), "é\udce9é");
  // Overlong forms, encoded surrogates and code points beyond U+10FFFF are not valid UTF-8.
  assert.equal(treeText(Buffer.from("c0af", "hex")), "\udcc0\udcaf");
  assert.equal(treeText(Buffer.from("eda080", "hex")), "\udced\udca0\udc80");
  assert.equal(treeText(Buffer.from("f4908080", "hex")), "\udcf4\udc90\udc80\udc80");
  assert.equal(treeText(Buffer.from("e282", "hex")), "\udce2\udc82", "a truncated sequence");
  assert.equal(treeText(Buffer.from("efbfbd", "hex")), "\ufffd", "U+FFFD as bytes is text, not an escape");
});

test("tree text round-trips every byte string exactly, and distinct bytes never give the same text", () => {
  const seen = new Map<string, string>();
  for (let n = 0; n < 2000; n++) {
    const bytes = randomBytes(n % 12);
    const text = treeText(bytes);
    assert.deepEqual(treeBytes(text), bytes);
    const hex = bytes.toString("hex");
    const before = seen.get(text);
    assert.ok(before === undefined || before === hex, `${before} and ${hex} both read as ${JSON.stringify(text)}`);
    seen.set(text, hex);
  }
  for (let b = 0; b < 256; b++) assert.deepEqual(treeBytes(treeText(Buffer.of(0x61, b, 0x62))), Buffer.of(0x61, b, 0x62));
});

test("a lone surrogate that stands for no byte has no bytes", () => {
  for (const bad of ["\ud800", "a\udc00", "\udd00", "x\udbff"]) assert.throws(() => treeBytes(bad), TypeError, JSON.stringify(bad));
});

test("augeasArg hands libaugeas a plain string unless the text holds an escaped byte", () => {
  assert.equal(augeasArg("/files/etc/hosts/1"), "/files/etc/hosts/1");
  assert.equal(augeasArg("/files/café"), "/files/café");
  assert.deepEqual(augeasArg("/files/caf\udce9"), latin1("/files/caf\xe9"));
});
