/**
 * The policy keys of history and rollback: `history = N` (a whole number
 * from 0 to 1000) and `rollback = true` (only with history, only on a file
 * that may be written) — errors with key and line for `policy check`, the
 * lines `policy explain` prints, and what discovery says.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkPolicy, parsePolicy } from "#src/policy/load-policy.js";
import { explainAugeasSection } from "#src/augeas/augeas-section.js";
import { augeasModule } from "#src/augeas/augeas-module.js";

const head = `version = 1\n[clients]\nusers = ["root"]\n[[augeas.file]]\npath = "/etc/hosts"\nwrite = ["**"]\n`; // lines 1-6

const errors = (extra: string) => checkPolicy(head + extra, "p.toml").filter((p) => p.severity === "error");

test("history must be a whole number from 0 to 1000", () => {
  for (const bad of ["-1", "1001", "2.5", '"3"', "true", "[3]"]) {
    const found = errors(`history = ${bad}\n`);
    assert.deepEqual(found.map((p) => [p.key, p.line]), [["augeas.file[0].history", 7]], bad);
    assert.match(found[0]!.message, /whole number of previous versions from 0 to 1000/);
  }
  for (const good of [0, 1, 1000]) assert.equal(parsePolicy(`${head}history = ${good}\n`, "p").augeas.files[0]!.history, good);
  assert.equal(parsePolicy(head, "p").augeas.files[0]!.history, 0, "off by default");
});

test("rollback needs history, a boolean, and a file that may be written", () => {
  assert.deepEqual(errors("rollback = true\n").map((p) => [p.key, p.line]), [["augeas.file[0].rollback", 7]]);
  assert.match(errors("rollback = true\n")[0]!.message, /needs history = N/);
  assert.match(errors("history = 0\nrollback = true\n")[0]!.message, /needs history = N/);
  assert.deepEqual(errors('history = 2\nrollback = "yes"\n').map((p) => p.key), ["augeas.file[0].rollback"]);
  const readOnly = checkPolicy(`version = 1\n[clients]\nusers = ["root"]\n[[augeas.file]]\npath = "/etc/hosts"\nhistory = 2\nrollback = true\n`, "p");
  assert.deepEqual(readOnly.map((p) => [p.severity, p.key]), [
    ["warning", "augeas.file[0].history"],
    ["error", "augeas.file[0].rollback"],
  ]);
  assert.match(readOnly[1]!.message, /read-only/);
  const rule = parsePolicy(`${head}history = 2\nrollback = true\n`, "p").augeas.files[0]!;
  assert.deepEqual([rule.history, rule.rollback], [2, true]);
  assert.equal(parsePolicy(`${head}history = 2\n`, "p").augeas.files[0]!.rollback, false, "off by default");
});

test("policy explain says how many versions are kept and whether they may be put back", () => {
  const section = parsePolicy(`${head}history = 5\nrollback = true\n[[augeas.file]]\npath = "/etc/hostname"\nwrite = ["**"]\nhistory = 1\n[[augeas.file]]\npath = "/etc/motd"\n`, "p").augeas;
  const lines = explainAugeasSection(section, new Map([["/etc/hostname", "Hostname.lns"], ["/etc/motd", "Motd.lns"]]));
  const text = lines.join("\n");
  assert.match(text, /\/etc\/hosts[\s\S]*history: {3}the 5 newest previous versions kept by machinad[\s\S]*rollback: {2}augeas\.rollback may put a previous version back/);
  assert.match(text, /\/etc\/hostname[\s\S]*history: {3}the 1 newest previous version kept[\s\S]*rollback: {2}no \(rollback = false\)/);
  assert.equal(lines.filter((l) => l.includes("history:")).length, 2, "nothing about history for /etc/motd");
});

test("discovery: augeas.rollback is granted only by rollback = true, and lists those files; augeas.read shows history", () => {
  const off = parsePolicy(`${head}history = 5\n`, "p").augeas;
  const on = parsePolicy(`${head}history = 5\nrollback = true\n`, "p").augeas;
  const rollback = augeasModule.capabilities["augeas.rollback"];
  assert.equal(rollback.granted(off), false);
  assert.equal(rollback.granted(on), true);
  assert.deepEqual(rollback.resources(on), { files: [{ path: "/etc/hosts", history: 5 }] });
  const read = augeasModule.capabilities["augeas.read"].resources(on, undefined) as { files: { history?: number }[] };
  assert.equal(read.files[0]!.history, 5);
  const plain = augeasModule.capabilities["augeas.read"].resources(parsePolicy(head, "p").augeas, undefined) as { files: Record<string, unknown>[] };
  assert.equal("history" in plain.files[0]!, false);
});
