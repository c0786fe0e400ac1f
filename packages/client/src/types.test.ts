/**
 * Compile-time checks of the typed surface: `tsc -b` fails if a typed method
 * accepts wrong params or answers the wrong type (each @ts-expect-error must
 * be an error). The runtime part only checks the function exists.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ResultOf } from "@machina/protocol";
import type { MachinaClient } from "#src/client.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

async function typedSurface(m: MachinaClient): Promise<void> {
  // The _-named results are only there for their types.
  const _got = await m.augeas.get({ path: "/files/etc/hostname/hostname" });
  expectType<Equal<typeof _got, { value: string | { base64: string } | null }>>(true);
  const _viaCall = await m.call("augeas.match", { path: "/files/etc/hosts/*" });
  expectType<Equal<typeof _viaCall, ResultOf<"augeas.match">>>(true);
  const _applied = await m.augeas.apply({ changes: [{ op: "set", path: "/files/a", value: "b" }], preview: true }, { timeoutMs: 10 });
  expectType<Equal<typeof _applied.saved, boolean>>(true);
  expectType<Equal<typeof _applied.applied, boolean>>(true);
  expectType<Equal<typeof _applied.changed, boolean>>(true);
  expectType<Equal<typeof _applied.guard, { change: number; reason: string } | undefined>>(true);
  expectType<Equal<typeof _applied.tags, { [file: string]: string }>>(true);
  expectType<Equal<(typeof _applied.changes)[number]["tag"], string>>(true);
  const _previewed = await m.augeas.preview();
  expectType<Equal<(typeof _previewed.changes)[number]["tag"], string>>(true);
  const _saved = await m.augeas.save({ expect: { "/etc/hosts": _previewed.changes[0]!.tag } });
  expectType<Equal<typeof _saved, { files: string[]; changed: boolean; tags: { [file: string]: string } }>>(true);
  await m.augeas.apply({
    changes: [
      { op: "guard", get: "/files/a", is: "!=", value: null },
      { op: "guard", match: "/files/a/*", size: ">=", count: 2 },
      { op: "guard", exists: "/files/a" },
      { op: "guard", missing: "/files/b" },
      { op: "touch", path: "/files/b" },
    ],
    expect: { "/etc/hosts": "absent" },
  });
  // @ts-expect-error a tag is a string
  await m.augeas.save({ expect: { "/etc/hosts": 1 } });
  // @ts-expect-error a get guard compares with == or != only
  await m.augeas.apply({ changes: [{ op: "guard", get: "/files/a", is: "<", value: "b" }] });
  // @ts-expect-error a match guard needs a count
  await m.augeas.apply({ changes: [{ op: "guard", match: "/files/a", size: ">" }] });
  await m.augeas.save();
  await m.augeas.save({}, { signal: AbortSignal.timeout(10) });
  await m.augeas.insert({ path: "/files/a", label: "b" });
  const _discovered = await m.discover();
  expectType<Equal<typeof _discovered, ResultOf<"rpc.discover">>>(true);
  const _unknown = await m.call("future.method", { anything: 1 });
  expectType<Equal<typeof _unknown, unknown>>(true);
  expectType<Equal<typeof m.server.name, string>>(true);

  // @ts-expect-error path is required
  await m.augeas.get({});
  // @ts-expect-error params are required for augeas.get
  await m.augeas.get();
  // @ts-expect-error unknown param
  await m.augeas.get({ path: "/files/a", extra: 1 });
  // @ts-expect-error wrong param type through call() on a known method
  await m.call("augeas.set", { path: "/files/a", value: 3 });
  // @ts-expect-error not an op
  await m.augeas.apply({ changes: [{ op: "chmod", path: "/files/a" }] });
  // @ts-expect-error session.* is not exposed
  void m.session;
  // @ts-expect-error no such method
  void m.augeas.load;
}

test("the typed surface compiles (see the @ts-expect-error lines)", () => {
  assert.equal(typeof typedSurface, "function");
});
