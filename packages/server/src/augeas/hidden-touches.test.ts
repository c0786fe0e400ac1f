// The touch rules a preview lists hidden values by: decided from the edits'
// paths alone, covering every node an edit named or may have shifted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hiddenTouches, isTouched, type TouchingEdit } from "#src/augeas/hidden-touches.js";
import { parsePolicy } from "#src/policy/load-policy.js";

const [rule] = parsePolicy(`version = 1\n[clients]\nusers = ["root"]\n[[augeas.file]]\npath = "/etc/x"\nlens = "MySQL"\nwrite = ["**"]\nsecret = ["*/password"]\n`, "p").augeas.files;
const F = "/files/etc/x";
const hidden = (node: string): boolean => node.endsWith("/password") || node.includes("/password[");
const touches = (...edits: TouchingEdit[]) => hiddenTouches(edits, rule!, (n) => !hidden(n));
const set = (...targets: string[]): TouchingEdit => ({ files: ["/etc/x"], targets, reshapes: false });
const reshape = (...targets: string[]): TouchingEdit => ({ files: ["/etc/x"], targets, reshapes: true });

test("a named node is touched at its position, a lone node's missing position being 1", () => {
  const t = touches(set(`${F}/target/password`));
  assert.equal(t.any, true);
  assert.equal(isTouched(t, `${F}/target[1]/password`), true);
  assert.equal(isTouched(t, `${F}/target/password`), true);
  assert.equal(isTouched(t, `${F}/target[2]/password`), false);
});

test("visible targets and other files' edits touch nothing hidden", () => {
  assert.equal(touches(set(`${F}/target[1]/user`)).any, false);
  assert.equal(hiddenTouches([{ files: ["/etc/y"], targets: ["/files/etc/y/a/password"], reshapes: false }], rule!, (n) => !hidden(n)).any, false);
  assert.equal(touches({ files: ["/etc/x", "/etc/y"], targets: ["/files/etc/y/a/password"], reshapes: false }).any, false);
});

test("an edit that reshapes touches the same-labelled siblings of what it named, and everything below them", () => {
  const t = touches(reshape(`${F}/target[1]`, `${F}/target[1]/user`));
  assert.equal(t.any, false, "it named no hidden node");
  for (const n of [`${F}/target[1]/password`, `${F}/target[2]/password`, `${F}/target/password`]) assert.equal(isTouched(t, n), true, n);
  assert.equal(isTouched(t, `${F}/other/password`), false, "another label's nodes keep their positions");
  // Removing one password shifts only the passwords beside it.
  const leaf = touches(reshape(`${F}/target[2]/password[1]`));
  assert.equal(isTouched(leaf, `${F}/target[2]/password[2]`), true);
  assert.equal(isTouched(leaf, `${F}/target[1]/password`), false);
});

test("values set without reshaping shift nothing", () => {
  const t = touches(set(`${F}/target[1]/user`), set(`${F}/target[2]/password`));
  assert.equal(isTouched(t, `${F}/target[1]/password`), false);
  assert.equal(isTouched(t, `${F}/target[2]/password`), true);
});
