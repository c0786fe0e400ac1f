import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeChangeDiff, unifiedDiff } from "#src/augeas/unified-diff.js";

const latin1 = (s: string) => Buffer.from(s, "latin1");

test("a UTF-8 file's diff is the same from strings and from bytes, and shows its lines as they are", () => {
  const before = "127.0.0.1 localhost\n# café \\x\n";
  const after = "127.0.0.1 localhost box\n# café \\x\n";
  const expected = "--- a/etc/hosts\n+++ b/etc/hosts\n@@ -1,2 +1,2 @@\n-127.0.0.1 localhost\n+127.0.0.1 localhost box\n # café \\x\n";
  assert.equal(unifiedDiff("/etc/hosts", before, after), expected);
  assert.equal(unifiedDiff("/etc/hosts", Buffer.from(before), Buffer.from(after)), expected);
});

test("a file that is not UTF-8 is compared as bytes and shown escaped, one-to-one", () => {
  // Two Latin-1 lines that differ only in a byte a UTF-8 decoding turns into U+FFFD in both.
  const diff = unifiedDiff("/etc/hosts", latin1("a\ncaf\xe9\nb \\ c\n"), latin1("a\ncaf\xe8\nb \\ c\n"));
  assert.equal(diff, "--- a/etc/hosts\n+++ b/etc/hosts\n@@ -1,3 +1,3 @@\n a\n-caf\\xE9\n+caf\\xE8\n b \\\\ c\n");
  // The text "caf\xE9" and the bytes caf 0xE9 are different lines, and look different.
  const mixed = unifiedDiff("/etc/hosts", latin1("caf\\xE9\n"), latin1("caf\xe9\n"));
  assert.match(mixed, /^-caf\\\\xE9$/m);
  assert.match(mixed, /^\+caf\\xE9$/m);
  // Valid UTF-8 sequences in such a file stay readable.
  assert.match(unifiedDiff("/x", Buffer.from("é\n"), Buffer.concat([Buffer.from("é"), latin1("\xe9\n")])), /^\+é\\xE9$/m);
  assert.equal(unifiedDiff("/x", latin1("same \xff\n"), latin1("same \xff\n")), "--- a/x\n+++ b/x\n");
});

test("node diffs quote values as JSON strings, bytes that are not UTF-8 as \\xNN", () => {
  const diff = nodeChangeDiff("/etc/php.ini", [
    { node: "/files/etc/php.ini/caf%E9/key", before: { base64: latin1("v\xe9l").toString("base64") }, after: "v\\xe9l", change: "changed" },
  ]);
  assert.equal(
    diff,
    '--- a/etc/php.ini (readable nodes)\n+++ b/etc/php.ini (readable nodes)\n@@ readable nodes @@\n-/files/etc/php.ini/caf%E9/key = "v\\xE9l"\n+/files/etc/php.ini/caf%E9/key = "v\\\\xe9l"\n',
  );
});
