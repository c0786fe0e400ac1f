/**
 * Invariant 8 (and 7): a string libaugeas or execve cannot take as sent — a
 * NUL, which would end it early, or a lone UTF-16 surrogate, which has no
 * UTF-8 form and would be stored as U+FFFD — is refused with
 * `invalid-params` by every method that would pass it on, and by `augeas.apply`
 * whatever else the batch holds; nothing is changed or left pending, and the
 * daemon never answers `internal`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { MachinaClient } from "@machina/client";
import { assertServesNextClient, rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { STANDARD_POLICY } from "./harness/policies.js";

const suite = daemonSuite({
  policy: `${STANDARD_POLICY}
[[command]]
name = "echo-any"
path = "/bin/echo"
args = ["^.*$"]
env = ["LANG"]

[[command]]
name = "cat"
path = "/bin/cat"
stdin = true
`,
});

/** Strings that cannot reach C unchanged. */
const UNSTORABLE: [what: string, text: string][] = [
  ["a NUL", "a\u0000b"],
  ["a trailing NUL", "pwned\u0000"],
  ["a lone high surrogate", "a\ud800b"],
  ["a lone low surrogate", "\udc00"],
];

const calls: [method: string, call: (m: MachinaClient, s: string) => Promise<unknown>][] = [
  ["augeas.set value", (m, s) => m.augeas.set({ path: "/files/etc/hostname/hostname", value: s })],
  ["augeas.set path", (m, s) => m.augeas.set({ path: `/files/etc/hostname/${s}`, value: "x" })],
  ["augeas.get path", (m, s) => m.augeas.get({ path: `/files/etc/hostname/hostname${s}` })],
  ["augeas.match path", (m, s) => m.augeas.match({ path: `/files/etc/hosts/*[canonical = "${s}"]` })],
  ["augeas.setm value", (m, s) => m.augeas.setm({ base: "/files/etc/hosts/*", sub: "canonical", value: s })],
  ["augeas.setm sub", (m, s) => m.augeas.setm({ base: "/files/etc/hosts/*", sub: `canonical${s}`, value: "x" })],
  ["augeas.insert label", (m, s) => m.augeas.insert({ path: "/files/etc/hosts/1/alias", label: `alias${s}` })],
  ["augeas.rename label", (m, s) => m.augeas.rename({ path: "/files/etc/hosts/1/alias", label: s })],
  [
    "augeas.apply, one bad change after good ones",
    (m, s) =>
      m.augeas.apply({
        changes: [
          { op: "set", path: "/files/etc/hostname/hostname", value: "good" },
          { op: "set", path: "/files/etc/hosts/1/canonical", value: "fine" },
          { op: "set", path: "/files/etc/hosts/1/alias", value: s },
        ],
      }),
  ],
  ["command.run argument", (m, s) => m.command.run({ name: "echo-any", args: [s] })],
  ["command.run environment value", (m, s) => m.command.run({ name: "echo-any", args: ["x"], env: { LANG: s } })],
];

for (const [method, call] of calls) {
  test(`${method}: a string with a NUL or a lone surrogate is invalid-params, and nothing changes`, async () => {
    const before = suite.sandbox.snapshot();
    await withClient(suite.sandbox, async (m) => {
      for (const [what, text] of UNSTORABLE) {
        const e = await rejectsWithKind(call(m, text), "invalid-params");
        assert.match(String(e.data.param), /^\/[a-z]/, `${what}: the error names the param`);
      }
      assert.deepEqual(await m.augeas.preview(), { changes: [] }, "nothing is pending");
      assert.deepEqual((await m.augeas.save()).files, []);
    });
    suite.sandbox.assertUnchanged(before);
  });
}

test("command.run stdin as text with a lone surrogate is invalid-params; NUL in text stdin is data and passes", async () => {
  await withClient(suite.sandbox, async (m) => {
    await rejectsWithKind(m.command.run({ name: "cat", stdin: { data: "a\ud800b" } }), "invalid-params");
    const r = await m.command.run({ name: "cat", stdin: { data: "a\u0000b\ud83d\ude00" }, stdout: "base64" });
    assert.deepEqual(Buffer.from(r.stdout, "base64"), Buffer.from("a\u0000b\ud83d\ude00"));
  });
});

test("values that are storable still round-trip exactly: control characters, astral characters, an empty string", async () => {
  await withClient(suite.sandbox, async (m) => {
    for (const value of ["tab\there", "bell\u0007", "emoji \ud83d\ude00", "é", ""]) {
      await m.augeas.set({ path: "/files/etc/hosts/1/canonical", value });
      assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/1/canonical" }), { value });
    }
    await m.augeas.discard();
  });
  await assertServesNextClient(suite.sandbox);
});
