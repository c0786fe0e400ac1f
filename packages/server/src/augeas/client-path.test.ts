import assert from "node:assert/strict";
import { test } from "node:test";
import { clientMessageText, clientNodePath, clientPathText } from "#src/augeas/client-path.js";
import { escapeLabel, canonicalNodePath } from "#src/augeas/augeas-label.js";
import { parseAugeasPath } from "#src/augeas/augeas-path.js";
import { treeText } from "#src/augeas/tree-text.js";

const latin1 = (s: string) => Buffer.from(s, "latin1");

test("client paths spell a label's bytes beyond ASCII as %HH, ASCII paths unchanged", () => {
  assert.equal(clientPathText("/files/etc/hosts/1/alias[2]"), "/files/etc/hosts/1/alias[2]");
  assert.equal(clientPathText(`/files/etc/php.ini/${escapeLabel(treeText(latin1("caf\xe9")))}`), "/files/etc/php.ini/caf%E9");
  assert.equal(clientPathText(`/files/x/${escapeLabel("café")}/key`), "/files/x/caf%C3%A9/key");
  assert.equal(clientPathText(`/files/x/${escapeLabel("a😀")}`), "/files/x/a%F0%9F%98%80");
  // Raw (as libaugeas answers) and escaped spellings give the same client path.
  assert.equal(clientPathText("/files/x/caf\udce9"), "/files/x/caf%E9");
  // A literal backslash before such a character stays an escaped backslash.
  assert.equal(clientPathText(`/files/x/${escapeLabel("a\\é")}`), "/files/x/a\\\\%C3%A9");
  assert.equal(clientPathText(`/files/x/${escapeLabel("50%")}`), "/files/x/50\\%");
});

test("every client path of a node parses back to the same labels", () => {
  const labels = ["caf\udce9", "café", "a b", "50%", "x\udcff\udc80y", "ü\udcfc", "a😀", "[1]", "a/b", "*"];
  for (const label of labels) {
    const canonical = canonicalNodePath(`/files/etc/x/${escapeLabel(label)}`)!;
    const shown = clientNodePath(canonical)!;
    assert.match(shown, /^[\x20-\x7e]+$/, `${JSON.stringify(label)} is shown in ASCII`);
    const parsed = parseAugeasPath(shown);
    const last = parsed.steps[parsed.steps.length - 1]!.test;
    assert.deepEqual(last, { kind: "label", label }, `${shown} names ${JSON.stringify(label)}`);
    assert.equal(parsed.canonical, canonical, `${shown} canonicalises as the daemon's own path`);
  }
});

test("a label no client path can spell has no client path", () => {
  assert.equal(clientNodePath("/files/x/a\\\tb"), undefined, "a control character");
  assert.equal(clientNodePath("/files/x/ok"), "/files/x/ok");
});

test("messages keep their own text and show label bytes as %HH", () => {
  assert.equal(clientMessageText("x — y"), "x — y");
  assert.equal(clientMessageText('"/files/x/caf\\é" is not writable'), '"/files/x/caf%C3%A9" is not writable');
  assert.equal(clientMessageText("/files/x/caf\udce9: denied"), "/files/x/caf%E9: denied");
});
