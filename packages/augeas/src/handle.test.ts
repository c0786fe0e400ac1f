import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Augeas, AugeasError } from "#src/index.js";
import { makeSandbox, openSandbox, type Sandbox } from "./fixture-sandbox.test-support.js";
import { native } from "#src/native.js";

let sandbox: Sandbox;

before(() => {
  sandbox = makeSandbox();
});
after(() => {
  sandbox.remove();
});

test("close is idempotent and use after close throws a clear Error", () => {
  const aug = openSandbox(sandbox);
  assert.equal(aug.closed, false);
  aug.close();
  aug.close();
  assert.equal(aug.closed, true);
  for (const call of [
    () => aug.get("/files"),
    () => aug.match("/files"),
    () => aug.save(),
    () => aug.load(),
    () => aug.errors(),
    () => aug.preview("/files/etc/hosts"),
  ]) {
    assert.throws(call, (e: unknown) => e instanceof Error && !(e instanceof AugeasError) && e.message === "Augeas handle is closed");
  }
});

test("wrong argument types throw TypeError", () => {
  const aug = openSandbox(sandbox);
  // Calls through `unknown` are what an untyped caller can do.
  const loose = aug as unknown as Record<string, (...args: unknown[]) => unknown>;
  const call = (method: string, ...args: unknown[]) => () => loose[method]?.apply(aug, args);
  for (const bad of [42, { path: "/files" }, undefined, ["/files"], Symbol("x"), 10n]) {
    assert.throws(call("get", bad), TypeError);
    assert.throws(call("match", bad), TypeError);
    assert.throws(call("set", "/files/x", bad === undefined ? 1 : bad), TypeError);
  }
  assert.throws(call("get", "/files\0/etc"), { name: "TypeError", message: /NUL/ });
  assert.throws(call("set", "/files/x", "a\0b"), { name: "TypeError", message: /NUL/ });
  assert.throws(call("set", "/files/x"), { name: "TypeError", message: /value must be a string, a Uint8Array or null/ });
  assert.throws(call("insert", "/files/etc/hosts/1", "x", "yes"), { name: "TypeError", message: /before must be a boolean/ });
  assert.throws(call("transform", "Hosts.lns", "/etc/hosts", 1), TypeError);
  assert.throws(call("setm", "/files", 5, "x"), TypeError);
  assert.throws(call("defnode", "n", null, "x"), TypeError);
  assert.throws(call("textRetrieve", "Hosts.lns", "/a", "/b"), TypeError);
  aug.close();
});

test("bad options throw TypeError", () => {
  const make = (options: unknown) => () => new Augeas(options as never);
  assert.throws(make({ root: 5 }), TypeError);
  assert.throws(make({ root: "/tmp\0x" }), TypeError);
  assert.throws(make({ saveMode: "sideways" }), { name: "TypeError", message: /saveMode/ });
  assert.throws(make({ noLoad: "yes" }), TypeError);
  assert.throws(make({ noModulAutoload: true }), { name: "TypeError", message: /unknown Augeas option: noModulAutoload/ });
  assert.throws(make({ loadPath: "/usr/share/augeas" }), TypeError);
  assert.throws(make({ loadPath: ["/a:/b"] }), TypeError);
  assert.throws(make(null), TypeError);
});

test("the addon itself rejects bad input without crashing", () => {
  const flags = native.flags.NO_MODL_AUTOLOAD | native.flags.NO_LOAD;
  const handle = new native.AugeasHandle(sandbox.root, null, flags);
  const raw = handle as unknown as Record<string, (...args: unknown[]) => unknown>;
  const call = (method: string, ...args: unknown[]) => () => raw[method]?.apply(handle, args);
  for (const bad of [1, {}, undefined, null, [], () => "/files"]) {
    assert.throws(call("get", bad), TypeError);
    assert.throws(call("match", bad), TypeError);
    assert.throws(call("transform", "Hosts.lns", bad, false), TypeError);
  }
  assert.throws(call("get", "/files\0x"), { name: "TypeError", message: /NUL/ });
  assert.throws(call("insert", "/files", "x", 1), TypeError);
  assert.throws(call("set", "/x"), TypeError);
  // aug_ns_* index an array with it unchecked: only non-negative integers get through.
  handle.defvar("v", "/augeas");
  for (const bad of [-1, 0.5, 2 ** 31, Number.NaN, "0", undefined]) assert.throws(call("nsValue", "v", bad), TypeError);
  assert.throws(call("nsPath", "v", -1), TypeError);
  assert.throws(call("nsAttr", "v", -1), TypeError);
  assert.throws(call("nsLabel", "v", -1), TypeError);
  assert.equal(handle.nsPath("v", 0), "/augeas");
  // Bytes: a Uint8Array goes through as it is; other typed arrays are refused.
  handle.set(Buffer.from("/t/b\xe9", "latin1"), new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
  assert.deepEqual(handle.get(Buffer.from("/t/b\xe9", "latin1"), true), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  assert.throws(call("get", new Uint16Array([0x2f])), TypeError);
  assert.throws(call("get", Buffer.from("/t\0x")), { name: "TypeError", message: /NUL/ });
  assert.throws(call("get", "/t", "yes"), { name: "TypeError", message: /asBuffer must be a boolean/ });
  // Paths longer than the addon's stack buffer, including multi-byte text
  // straddling its edge, take the heap path and still round-trip.
  for (const length of [500, 507, 508, 509, 510, 511, 512, 4096]) {
    const value = "é".repeat(length / 2) + "x".repeat(length % 2) + "€";
    handle.set(`/t/${"n".repeat(length)}`, value);
    assert.equal(handle.get(`/t/${"n".repeat(length)}`), value);
  }
  // Methods called on something that is not a handle.
  assert.throws(() => native.AugeasHandle.prototype.get.call({}, "/"), TypeError);
  assert.throws(() => new native.AugeasHandle(5 as never, null, 0), TypeError);
  assert.throws(() => new native.AugeasHandle(null, null, "0" as never), TypeError);
  handle.close();
  handle.close();
  assert.throws(() => handle.get("/"), { message: "Augeas handle is closed" });
});

test("handles that are never closed are freed by the finalizer", async () => {
  // Nothing to assert beyond "does not crash": the leak check covers memory.
  for (let i = 0; i < 50; i++) new native.AugeasHandle(sandbox.root, null, native.flags.NO_MODL_AUTOLOAD | native.flags.NO_LOAD);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  await new Promise((resolve) => setImmediate(resolve));
});

test("AugeasError carries code, libaugeas' messages and files", () => {
  const aug = openSandbox(sandbox);
  try {
    aug.get("/files[");
    assert.fail("expected a throw");
  } catch (e) {
    assert.ok(e instanceof AugeasError);
    assert.ok(e instanceof Error);
    assert.equal(e.name, "AugeasError");
    assert.equal(e.code, "EPATHX");
    assert.deepEqual(e.files, []);
    assert.ok(e.stack?.includes("handle.test"), "stack points at the caller");
  } finally {
    aug.close();
  }
});
