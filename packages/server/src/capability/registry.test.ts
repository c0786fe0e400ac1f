/**
 * The registry's own checks: every method of the vocabulary is handled by
 * exactly one module that owns the capability the vocabulary gives it, no
 * capability or TOML key is owned twice, and a module that forgets a part is
 * refused at start-up (moduleIndex runs in the daemon's constructor).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { METHOD_NAMES, METHODS } from "@machina/protocol";
import { allow, defineModule, methodsOf, type AnyCapabilityModule } from "#src/capability/capability-module.js";
import { MODULES, moduleIndex } from "#src/capability/registry.js";
import { parsePolicy } from "#src/policy/load-policy.js";

const modules = MODULES as readonly AnyCapabilityModule[];

test("every method of the vocabulary has exactly one module, which owns its capability", () => {
  const index = moduleIndex();
  assert.deepEqual([...index.keys()].sort(), [...METHOD_NAMES].sort());
  for (const [method, b] of index) assert.ok(b.module.capabilities[METHODS[method].capability], method);
});

test("no TOML key and no capability belongs to two modules", () => {
  const keys = modules.flatMap((m) => m.tomlKeys);
  assert.equal(new Set(keys).size, keys.length, `TOML keys: ${keys.join(", ")}`);
  const caps = modules.flatMap((m) => Object.keys(m.capabilities));
  assert.equal(new Set(caps).size, caps.length, `capabilities: ${caps.join(", ")}`);
  assert.equal(new Set(modules.map((m) => m.name)).size, modules.length);
});

test("a module that forgets a method, handles one twice or lacks its capability is refused", () => {
  const on = methodsOf<Record<string, never>, object>();
  const stray = defineModule({
    name: "stray",
    tomlKeys: [],
    parse: () => ({}),
    explain: () => [],
    capabilities: {},
    start: () => ({}),
    methods: [on({ method: "augeas.get", targets: () => [], authorise: () => allow(null), run: () => ({ value: null }) })],
  }) as AnyCapabilityModule;
  const withoutAugeas = modules.filter((m) => m.name !== "augeas");
  assert.throws(() => moduleIndex(withoutAugeas), /no module handles augeas\./);
  assert.throws(() => moduleIndex([...modules, stray]), /augeas\.get is handled by both/);
  assert.throws(() => moduleIndex([...withoutAugeas, stray]), /augeas\.get needs the capability augeas\.read, which its module stray does not own/);
});

test("each module parses its absent section into one that grants nothing", () => {
  const policy = parsePolicy(`version = 1\n[clients]\nusers = ["root"]\n`, "empty.toml") as unknown as Record<string, unknown>;
  for (const [method, b] of moduleIndex()) {
    const expected = METHODS[method].preAuth === true;
    assert.equal(b.capability.granted(policy[b.module.name]), expected, `${method} under an empty policy`);
  }
});

test("unknown top-level keys are refused: the allowed ones are exactly the modules' own", () => {
  const allowed = ["version", "clients", ...modules.flatMap((m) => m.tomlKeys)].join(", ");
  assert.throws(
    () => parsePolicy(`version = 1\n[clients]\nusers = ["root"]\n[services]\n`, "typo.toml"),
    (e: unknown) => e instanceof Error && e.message.includes(`unknown key "services" (allowed here: ${allowed})`),
  );
});
