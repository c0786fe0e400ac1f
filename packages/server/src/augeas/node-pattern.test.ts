import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalNodePath, nodePathLabels, parseNodePath } from "#src/augeas/augeas-label.js";
import { compileNodePattern, matchRelativeNodePath, NodePatternError } from "#src/augeas/node-pattern.js";
import { shapeCovered, shapeIntersects } from "#src/augeas/pattern-coverage.js";

const m = (pattern: string, rel: string): boolean => matchRelativeNodePath(compileNodePattern(pattern), rel);
const segs = (pattern: string) => compileNodePattern(pattern).segments;

describe("node patterns", () => {
  it("literal labels", () => {
    assert.equal(m("ipaddr", "ipaddr"), true);
    assert.equal(m("ipaddr", "canonical"), false);
    assert.equal(m("1/ipaddr", "1/ipaddr"), true);
    assert.equal(m("1/ipaddr", "2/ipaddr"), false);
  });
  it("* is exactly one segment", () => {
    assert.equal(m("*", "1"), true);
    assert.equal(m("*", ""), false);
    assert.equal(m("*", "1/ipaddr"), false);
    assert.equal(m("*/alias", "2/alias"), true);
    assert.equal(m("*/alias", "alias"), false);
  });
  it("** is zero or more segments", () => {
    assert.equal(m("**", ""), true);
    assert.equal(m("**", "1/ipaddr"), true);
    assert.equal(m("**/alias", "alias"), true);
    assert.equal(m("**/alias", "a/b/c/alias"), true);
    assert.equal(m("**/alias", "a/b/c/alias/x"), false);
    assert.equal(m("a/**/b", "a/b"), true);
    assert.equal(m("a/**/b", "a/x/y/b"), true);
    assert.equal(m("a/**", "a"), true);
    assert.equal(m("a/**", "b"), false);
    assert.equal(m("**/**", "x/y"), true);
  });
  it("ignores positional suffixes", () => {
    assert.equal(m("*/alias", "2/alias[1]"), true);
    assert.equal(m("*/alias", "2[3]/alias[17]"), true);
    assert.equal(m("#comment", "#comment[2]"), true);
  });
  it("#comment labels are ordinary labels", () => {
    assert.equal(m("#comment", "#comment"), true);
    assert.equal(m("*", "#comment"), true);
    assert.equal(m("*/ipaddr", "#comment"), false);
  });
  it("matches escaped labels by their decoded form", () => {
    assert.equal(m("a\\/b", "a\\/b"), true);
    assert.equal(m("a\\/b", "a/b"), false);
    assert.equal(m("*", "a\\/b"), true);
    assert.equal(m("a\\ b", "a\\ b[2]"), true);
    assert.equal(m("x", "x\\[1\\]"), false);
    assert.equal(m("x\\[1\\]", "x\\[1\\]"), true);
  });
  it("rejects malformed patterns", () => {
    for (const bad of ["", "/x", "a//b", "a/", "a*", "**x", "alias[2]", "a b", "..", "a/./b", "x\\", "a::b", "é"]) {
      assert.throws(() => compileNodePattern(bad), NodePatternError, JSON.stringify(bad));
    }
  });
});

describe("resolved node paths", () => {
  it("splits on unescaped slashes only and strips positions", () => {
    assert.deepEqual(parseNodePath("/files/etc/hosts/2/alias[1]"), [
      { label: "files" },
      { label: "etc" },
      { label: "hosts" },
      { label: "2" },
      { label: "alias", position: 1 },
    ]);
    assert.deepEqual(nodePathLabels("/files/x/a\\/b/c\\ d[3]"), ["files", "x", "a/b", "c d"]);
    assert.deepEqual(nodePathLabels("/files/x/a\\[1\\]"), ["files", "x", "a[1]"]);
    assert.deepEqual(parseNodePath("/files/x/a\\\\[2]"), [{ label: "files" }, { label: "x" }, { label: "a\\", position: 2 }]);
    // a label-less node: not addressable, so never authorised
    assert.deepEqual(nodePathLabels("/files/x/[2]"), ["files", "x", ""]);
    assert.equal(canonicalNodePath("/files/x/[2]"), undefined);
  });
  it("re-serialises what aug_match leaves unescaped", () => {
    assert.equal(canonicalNodePath("/files/x/*"), "/files/x/\\*");
    assert.equal(canonicalNodePath("/files/x/a$b[2]"), "/files/x/a\\$b[2]");
    assert.equal(canonicalNodePath("/files/x/a\\/b"), "/files/x/a\\/b");
    assert.equal(canonicalNodePath("/files/x/.."), undefined);
  });
});

describe("pattern coverage (static analysis)", () => {
  it("intersection", () => {
    assert.equal(shapeIntersects(segs("*/ipaddr"), [segs("**")]), true);
    assert.equal(shapeIntersects(segs("1/ipaddr"), [segs("*/alias")]), false);
    assert.equal(shapeIntersects(segs("*"), [segs("1")]), true);
    assert.equal(shapeIntersects(segs("*/*"), [segs("a")]), false);
    assert.equal(shapeIntersects(segs("x"), []), false);
  });
  it("coverage", () => {
    assert.equal(shapeCovered(segs("*/ipaddr"), [segs("**")]), true);
    assert.equal(shapeCovered(segs("*/ipaddr"), [segs("*/ipaddr")]), true);
    assert.equal(shapeCovered(segs("*/ipaddr"), [segs("1/ipaddr")]), false);
    assert.equal(shapeCovered(segs("*"), [segs("a"), segs("b")]), false);
    assert.equal(shapeCovered(segs("a/b"), [segs("a/**")]), true);
    assert.equal(shapeCovered(segs("**"), [segs("*"), segs("*/*")]), false);
    assert.equal(shapeCovered(segs("**"), [segs("**/x"), segs("**")]), true);
    assert.equal(shapeCovered(segs("**/alias"), [segs("*/alias"), segs("alias")]), false);
    assert.equal(shapeCovered(segs("*/alias"), [segs("**/alias")]), true);
    // union needed: neither pattern alone covers `*`
    assert.equal(shapeCovered(segs("*"), [segs("a"), segs("*")]), true);
  });
});
