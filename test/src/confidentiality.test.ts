/**
 * Unreadable means unreadable through every channel (invariant 2), against the
 * real daemon: with only `Port` of sshd_config readable and writable, nothing
 * else of that file — values, labels, comments — reaches the client through a
 * preview, an apply, the CLI's printed diff, a lens failure on save, an error
 * target, or the audit log; and inserting next to a hidden node answers the
 * same as next to a missing one.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { PORT_ONLY_POLICY } from "./harness/policies.js";
import { MACHINA, cleanEnv, run } from "./harness/daemon.js";


const suite = daemonSuite({ policy: PORT_ONLY_POLICY });

/** Values and comments of the fixture's sshd_config that the policy hides. */
const HIDDEN_VALUES = ["prohibit-password", "sftp-server", "sshd_config.d", "LC_*", "system-wide"];
/** ... and labels of hidden nodes (which a client may still type in a path of its own). */
const HIDDEN = [...HIDDEN_VALUES, "PermitRootLogin", "Subsystem", "UsePAM", "AcceptEnv", "KbdInteractive"];

function assertNothingHidden(what: string, value: unknown, hidden = HIDDEN): void {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  for (const h of hidden) assert.ok(!text.includes(h), `${what} reveals ${JSON.stringify(h)}: ${text.slice(0, 2000)}`);
}

function auditText(): string {
  return fs.existsSync(suite.sandbox.auditLog) ? fs.readFileSync(suite.sandbox.auditLog, "utf8") : "";
}

test("a preview of a file with unreadable nodes lists the readable node changes only", async () => {
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/Port", value: "2222" });
    const { changes } = await m.augeas.preview();
    assertNothingHidden("preview", changes);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.scope, "nodes");
    assert.deepEqual(changes[0]!.nodes, [{ node: "/files/etc/ssh/sshd_config/Port", before: "22", after: "2222", change: "changed" }]);
    assert.match(changes[0]!.diff, /^-\/files\/etc\/ssh\/sshd_config\/Port = "22"$/m);
    assert.match(changes[0]!.diff, /^\+\/files\/etc\/ssh\/sshd_config\/Port = "2222"$/m);
    const applied = await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/ssh/sshd_config/Port", value: "2200" }], preview: true });
    assertNothingHidden("apply preview", applied);
  });
});

test("a file the policy lets the client read whole still shows its text diff", async () => {
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "newname" });
    const { changes } = await m.augeas.preview();
    assert.equal(changes[0]!.scope, "text");
    assert.match(changes[0]!.diff, /^\+newname$/m);
  });
});

test("the CLI prints no hidden value when it sets a readable node", async () => {
  const r = await run(MACHINA, ["--socket", suite.sandbox.socket, "--secret-file", suite.sandbox.secretFile, "set", "/files/etc/ssh/sshd_config/Port", "2022"], { env: cleanEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Port = "2022"/);
  assertNothingHidden("machina set", r.stdout + r.stderr);
  assert.match(suite.sandbox.read("/etc/ssh/sshd_config"), /^Port 2022$/m);
});

test("a lens failure on save names the file and its problem in our words, never libaugeas' tree dump", async () => {
  const before = suite.sandbox.read("/etc/ssh/sshd_config");
  await withClient(suite.sandbox, async (m) => {
    // A value the lens cannot write (an empty Port): the put fails, and libaugeas' error dumps the whole tree.
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/Port", value: "" });
    const e = await rejectsWithKind(m.augeas.save(), "augeas");
    assertNothingHidden("the save error", { message: e.message, data: e.data });
    assert.equal(e.data.file, "/etc/ssh/sshd_config");
  });
  assert.equal(suite.sandbox.read("/etc/ssh/sshd_config"), before, "nothing was written");
  assertNothingHidden("the audit log", auditText(), HIDDEN_VALUES);
});

test("a wildcard get sees readable nodes only and never names a hidden one", async () => {
  await withClient(suite.sandbox, async (m) => {
    // Before: refused, naming the first unreadable node (…/sshd_config/#comment[1]).
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/ssh/sshd_config/*" }), { value: "22" });
    const e = await rejectsWithKind(m.augeas.get({ path: "/files/etc/ssh/sshd_config/Subsystem" }), "policy-denied");
    assert.equal(e.data.target, "/files/etc/ssh/sshd_config/Subsystem", "the target is the client's own path");
    assertNothingHidden("match", await m.augeas.match({ path: "/files/etc/ssh/sshd_config/*" }));
  });
  assertNothingHidden("the audit log", auditText(), HIDDEN_VALUES);
});

test("inserting next to a hidden node answers as next to a missing one", async () => {
  await withClient(suite.sandbox, async (m) => {
    const hidden = await m.augeas.insert({ path: "/files/etc/ssh/sshd_config/PermitRootLogin", label: "Port" }).then(
      () => "ok",
      (e: { data: { kind: string } }) => e.data.kind,
    );
    const missing = await m.augeas.insert({ path: "/files/etc/ssh/sshd_config/NoSuchSetting", label: "Port" }).then(
      () => "ok",
      (e: { data: { kind: string } }) => e.data.kind,
    );
    assert.equal(hidden, "policy-denied");
    assert.equal(missing, hidden, "an existing hidden anchor and a missing one must look the same");
    const { changes } = await m.augeas.preview();
    assert.deepEqual(changes, [], "nothing was inserted");
  });
});
