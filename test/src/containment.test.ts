/**
 * Invariants 2 and 3: only policy files are loaded, and only inside --root.
 * A policy file (or a directory above it) replaced by a symlink to a file
 * outside the root is neither loaded nor written — before the session, or
 * swapped in between load and save — and the outside file stays
 * byte-identical. Client paths cannot reach other files or /augeas.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { assertServesNextClient, rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { fixtureText } from "./harness/sandbox.js";

const suite = daemonSuite();
const OUTSIDE_TEXT = "precious\n";

/** Puts a file outside the root and answers its path. */
function outsideFile(name: string, text = OUTSIDE_TEXT): string {
  const file = path.join(suite.sandbox.outside, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** Replaces a file under the root by a symlink to `target`. */
function symlinkInRoot(file: string, target: string): void {
  const p = suite.sandbox.path(file);
  fs.rmSync(p, { recursive: true, force: true });
  fs.symlinkSync(target, p);
}

async function restoreAndCheckServed(): Promise<void> {
  suite.sandbox.restoreFixtures();
  await assertServesNextClient(suite.sandbox);
}

test("a policy file that is a symlink out of the root is not loaded and not written", async () => {
  const target = outsideFile("hostname");
  symlinkInRoot("/etc/hostname", target);
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    // Its content never reaches the tree.
    await rejectsWithKind(m.augeas.get({ path: "/files/etc/hostname/hostname" }), "not-found");
    assert.deepEqual(await m.augeas.match({ path: "/files/etc/hostname/*" }), { paths: [] });
    // Writing it is refused at save time.
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "pwned" });
    await rejectsWithKind(m.augeas.save(), "policy-denied");
    await rejectsWithKind(m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/hostname/hostname", value: "pwned" }] }), "policy-denied");
  });
  suite.sandbox.assertUnchanged(before);
  assert.equal(fs.readFileSync(target, "utf8"), OUTSIDE_TEXT);
  await restoreAndCheckServed();
});

test("a policy file swapped for a symlink between load and save is not written through", async () => {
  const target = outsideFile("hosts");
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/1/alias", value: "lo" });
    symlinkInRoot("/etc/hosts", target);
    const before = suite.sandbox.snapshot();
    const e = await rejectsWithKind(m.augeas.save(), "policy-denied");
    assert.equal(e.data.target ?? e.data.file, "/etc/hosts");
    suite.sandbox.assertUnchanged(before);
  });
  assert.equal(fs.readFileSync(target, "utf8"), OUTSIDE_TEXT);
  assert.ok(fs.lstatSync(suite.sandbox.path("/etc/hosts")).isSymbolicLink());
  await restoreAndCheckServed();
});

test("a directory above a policy file replaced by a symlink out of the root is not followed", async () => {
  const target = outsideFile("ssh/sshd_config", fixtureText("ssh/sshd_config"));
  symlinkInRoot("/etc/ssh", path.dirname(target));
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.match({ path: "/files/etc/ssh/sshd_config/*" }), { paths: [] });
    // The file's node is absent, and creating it is not something this policy lets a client do.
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/ssh/sshd_config/PermitRootLogin", value: "yes" }), "policy-denied");
    assert.deepEqual((await m.augeas.save()).files, []);
  });
  suite.sandbox.assertUnchanged(before);
  assert.equal(fs.readFileSync(target, "utf8"), fixtureText("ssh/sshd_config"));
  await restoreAndCheckServed();
});

test("a policy file replaced by a hard-to-spot relative symlink inside the root is refused too", async () => {
  // Even a link to another policy file is not "the file the policy names".
  symlinkInRoot("/etc/hostname", "hosts");
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    await rejectsWithKind(m.augeas.get({ path: "/files/etc/hostname/hostname" }), "not-found");
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "x" });
    await rejectsWithKind(m.augeas.save(), "policy-denied");
  });
  suite.sandbox.assertUnchanged(before);
  assert.equal(suite.sandbox.read("/etc/hosts"), fixtureText("hosts"));
  await restoreAndCheckServed();
});

test("client paths cannot reach files outside the policy, nor the /augeas control tree", async () => {
  // A real file in the root that the policy does not name.
  fs.writeFileSync(suite.sandbox.path("/etc/fstab"), "/dev/sda1 / ext4 defaults 0 1\n");
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    for (const p of ["/files/etc/fstab/1/spec", "/augeas/root", "/augeas/load/Hosts/lens", "/augeas/files/etc/hosts/path", "/augeas/save"]) {
      await rejectsWithKind(m.augeas.get({ path: p }), "policy-denied");
    }
    await rejectsWithKind(m.augeas.match({ path: "/files/etc/*" }).then((r) => {
      // Wildcards are allowed but answer only readable nodes: never fstab.
      assert.ok(!r.paths.some((p) => p.includes("fstab")), r.paths.join("\n"));
      throw Object.assign(new Error("ok"), { kind: "policy-denied", data: { kind: "policy-denied" } });
    }), "policy-denied");
    // Making libaugeas load another file, or change how it saves, is refused.
    await rejectsWithKind(m.augeas.set({ path: "/augeas/load/Fstab/lens", value: "Fstab.lns" }), "policy-denied");
    await rejectsWithKind(m.augeas.set({ path: "/augeas/load/Fstab/incl", value: "/etc/fstab" }), "policy-denied");
    await rejectsWithKind(m.augeas.set({ path: "/augeas/save", value: "newfile" }), "policy-denied");
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/fstab/1/spec", value: "/dev/evil" }), "policy-denied");
    await rejectsWithKind(m.augeas.move({ source: "/files/etc/hosts/1", destination: "/files/etc/fstab/1" }), "policy-denied");
    await rejectsWithKind(m.augeas.move({ source: "/files/etc/hosts/1", destination: "/files/etc/default/locale/x" }), "policy-denied");
    // Path tricks are refused by the grammar.
    for (const p of ["/files/etc/hosts/../fstab", "/files/etc/hosts/./1", "/files//fstab", "/files/etc/hosts/1/ancestor::*", "/files/etc/hosts/$x", '/files/etc/hosts/*[ipaddr = "1"] | /files/etc/fstab']) {
      await rejectsWithKind(m.augeas.get({ path: p }), "policy-denied");
    }
    assert.deepEqual((await m.augeas.save()).files, []);
  });
  suite.sandbox.assertUnchanged(before);
  await restoreAndCheckServed();
});
