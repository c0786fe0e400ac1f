import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Static } from "@sinclair/typebox";
import {
  AUGEAS_VALUE_MAX_BASE64,
  AUGEAS_VALUE_MAX_BYTES,
  bytesOfValue,
  isAugeasBytes,
  valueFromBytes,
  valueText,
  type AugeasValueForm,
} from "#src/encoding/augeas-bytes.js";
import { Base64Error } from "#src/encoding/base64.js";
import type { AugeasValue } from "#src/methods/augeas.js";
import { validateParams } from "#src/validation.js";

const latin1 = (s: string) => Buffer.from(s, "latin1");

test("a value is a string when its bytes are UTF-8 and { base64 } when they are not", () => {
  assert.equal(valueFromBytes(Buffer.from("café ✓")), "café ✓");
  assert.equal(valueFromBytes(Buffer.alloc(0)), "");
  assert.equal(valueFromBytes(null), null);
  assert.deepEqual(valueFromBytes(latin1("caf\xe9")), { base64: "Y2Fm6Q==" });
  // Not UTF-8 although each part looks like it: a truncated sequence, an overlong form, an encoded surrogate, beyond U+10FFFF.
  for (const hex of ["c3", "c0af", "eda080", "f4908080", "ff", "80"]) {
    const bytes = Buffer.from(hex, "hex");
    assert.deepEqual(valueFromBytes(bytes), { base64: bytes.toString("base64") }, hex);
  }
  // U+FFFD written as bytes is text like any other.
  assert.equal(valueFromBytes(Buffer.from("efbfbd", "hex")), "\ufffd");
});

test("bytesOfValue gives the exact bytes of either form, and round-trips every byte string", () => {
  assert.deepEqual(bytesOfValue("café"), Buffer.from("café"));
  assert.deepEqual(bytesOfValue({ base64: "Y2Fm6Q==" }), latin1("caf\xe9"));
  assert.deepEqual(bytesOfValue({ base64: Buffer.from("café").toString("base64") }), Buffer.from("café"), "the byte form may hold UTF-8 too");
  assert.equal(bytesOfValue(null), null);
  for (let n = 0; n < 200; n++) {
    const bytes = randomBytes(n % 40);
    const value = valueFromBytes(bytes);
    assert.deepEqual(bytesOfValue(value), bytes);
    assert.deepEqual(valueFromBytes(bytesOfValue(value)), value, "the daemon's form is canonical");
  }
});

test("bytesOfValue refuses what has no bytes: malformed base64 and lone surrogates", () => {
  for (const bad of ["Y2Fm6Q", "Y2Fm6Q=", "Y2Fm6R==", "Y2Fm 6Q==", "-_8="]) assert.throws(() => bytesOfValue({ base64: bad }), Base64Error, bad);
  assert.throws(() => bytesOfValue("caf\ud800"), /lone UTF-16 surrogate/);
});

test("valueText shows a value for people: strings as they are, bytes that are not UTF-8 as U+FFFD", () => {
  assert.equal(valueText("café"), "café");
  assert.equal(valueText(null), null);
  assert.equal(valueText({ base64: "Y2Fm6Q==" }), "caf\ufffd");
});

test("isAugeasBytes tells the byte form from a string or null", () => {
  assert.equal(isAugeasBytes({ base64: "" }), true);
  assert.equal(isAugeasBytes("x"), false);
  assert.equal(isAugeasBytes(null), false);
  assert.equal(isAugeasBytes({ base85: "x" }), false);
});

test("the schema takes either form for a value to set, and only well-formed base64", () => {
  const set = (value: unknown) => validateParams("augeas.set", { path: "/files/etc/hosts/1/alias", value });
  assert.equal(set({ base64: "Y2Fm6Q==" }).ok, true);
  assert.equal(set("café").ok, true);
  assert.equal(set(null).ok, true);
  for (const bad of [{ base64: "Y2Fm6Q" }, { base64: "Y2F!6Q==" }, { base64: "Y2Fm6Q==", extra: 1 }, { base85: "x" }, {}]) {
    const r = set(bad);
    assert.ok(!r.ok && r.problems.some((p) => p.pointer.startsWith("/value")), JSON.stringify(bad));
  }
  assert.equal(set({ base64: "A".repeat(AUGEAS_VALUE_MAX_BASE64) }).ok, true, "the largest value");
  assert.equal(set({ base64: "A".repeat(AUGEAS_VALUE_MAX_BASE64 + 4) }).ok, false);
  assert.equal(AUGEAS_VALUE_MAX_BASE64, Buffer.alloc(AUGEAS_VALUE_MAX_BYTES).toString("base64").length);
  const apply = validateParams("augeas.apply", { changes: [{ op: "setm", base: "/files/a", sub: null, value: { base64: "6Q==" } }] });
  assert.equal(apply.ok, true);
});

test("the codec's types are the protocol's AugeasValue", () => {
  const same = (v: Static<typeof AugeasValue>): AugeasValueForm => v;
  const back = (v: AugeasValueForm): Static<typeof AugeasValue> => v;
  assert.deepEqual(back(same({ base64: "6Q==" })), { base64: "6Q==" });
});
