/**
 * Invariant 7, "nothing is lost":
 * - a file changed on disk between load and save → `conflict`, nothing
 *   written, the other writer's bytes kept;
 * - a session that ends unsaved leaves nothing pending for the next one, and
 *   the next session sees what changed on disk since the last one;
 * - a value libaugeas cannot write (a newline) fails the save with an
 *   `augeas` error naming the file, and the file is unchanged;
 * - regressions: a file rewritten within the same second as the daemon's last
 *   load/save is still re-read (libaugeas' mtime check has 1 s resolution),
 *   and a save with nothing to write does not re-baseline files an earlier
 *   save wrote (which would hide a later conflict).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { assertServesNextClient, rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { fixtureText } from "./harness/sandbox.js";

const suite = daemonSuite();
const HOSTS = fixtureText("hosts");

test("a file changed on disk after it was loaded is a conflict; the other writer's bytes are kept", async () => {
  const theirs = HOSTS + "203.0.113.9\tother-writer.example\n";
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/1/alias", value: "loopback" });
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "box" });
    // Another program writes /etc/hosts while the session has edits pending.
    suite.sandbox.write("/etc/hosts", theirs);
    const before = suite.sandbox.snapshot();
    const e = await rejectsWithKind(m.augeas.save(), "conflict");
    assert.equal(e.data.file, "/etc/hosts");
    // Nothing was written: not /etc/hosts, and not /etc/hostname either (all-or-nothing).
    suite.sandbox.assertUnchanged(before);
    // Also when only preview-then-apply is used.
    await rejectsWithKind(m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/hosts/2/alias", value: "x" }] }), "conflict");
    suite.sandbox.assertUnchanged(before);
  });
  assert.equal(suite.sandbox.read("/etc/hosts"), theirs);
  assert.equal(suite.sandbox.read("/etc/hostname"), "panel\n");
  // A new session loads the other writer's version and can edit it.
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/6/canonical" }), { value: "other-writer.example" });
    await m.augeas.set({ path: "/files/etc/hosts/6/alias", value: "ow" });
    await m.augeas.save();
  });
  assert.equal(suite.sandbox.read("/etc/hosts"), HOSTS + "203.0.113.9\tother-writer.example ow\n");
});

test("a file removed on disk after it was loaded is a conflict too", async () => {
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "box" });
    fs.rmSync(suite.sandbox.path("/etc/hostname"));
    const before = suite.sandbox.snapshot();
    const e = await rejectsWithKind(m.augeas.save(), "conflict");
    assert.equal(e.data.file, "/etc/hostname");
    suite.sandbox.assertUnchanged(before);
  });
  assert.equal(fs.existsSync(suite.sandbox.path("/etc/hostname")), false);
});

test("a session that ends unsaved leaves nothing pending for the next session", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "unsaved" });
    await m.augeas.set({ path: "/files/etc/hosts/01/ipaddr", value: "192.0.2.99" });
    await m.augeas.set({ path: "/files/etc/hosts/01/canonical", value: "ghost" });
    await m.augeas.remove({ path: "/files/etc/hosts/5" });
    assert.equal((await m.augeas.preview()).changes.length, 2);
    // close() without save
  });
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
    assert.deepEqual(await m.augeas.match({ path: '/files/etc/hosts/*[canonical = "ghost"]' }), { paths: [] });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/5/canonical" }), { value: "ip6-allrouters" });
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
    // Saving in the next session writes nothing of the previous one's edits.
    assert.deepEqual((await m.augeas.save()).files, []);
  });
  suite.sandbox.assertUnchanged(before);
});

test("after a session that only read, another writer's change made well after the load — in place, its mtime set back — is what the next session sees", async () => {
  const file = suite.sandbox.path("/etc/hostname");
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
  });
  // Past the window in which the daemon parses a file again whatever its change time says.
  await new Promise((r) => setTimeout(r, 300));
  const before = fs.statSync(file);
  const fd = fs.openSync(file, "r+");
  fs.writeSync(fd, "quiet\n", 0);
  fs.closeSync(fd);
  fs.utimesSync(file, before.atime, before.mtime);
  try {
    await withClient(suite.sandbox, async (m) => {
      assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "quiet" });
    });
  } finally {
    suite.sandbox.write("/etc/hostname", "panel\n");
  }
});

test("a value containing a newline fails the save with an augeas error naming the file; nothing is written", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "evil\nhost" });
    const e = await rejectsWithKind(m.augeas.save(), "augeas");
    assert.equal(e.data.file, "/etc/hostname");
    assert.match(e.message, /\/etc\/hostname/);
    suite.sandbox.assertUnchanged(before);
    // The same through apply, with a second, valid change to another file: neither is written.
    await m.augeas.discard();
    const e2 = await rejectsWithKind(
      m.augeas.apply({
        changes: [
          { op: "set", path: "/files/etc/hosts/1/alias", value: "fine" },
          { op: "set", path: "/files/etc/ssh/sshd_config/Port", value: "22\nPermitRootLogin yes" },
        ],
      }),
      "augeas",
    );
    assert.equal(e2.data.file, "/etc/ssh/sshd_config");
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
  });
  suite.sandbox.assertUnchanged(before);
  await assertServesNextClient(suite.sandbox);
});

test("regression: a file rewritten within the same second as the last save is re-read, not overwritten", async () => {
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "saved-by-daemon" });
    await m.augeas.save();
  });
  // Another writer replaces the file; its mtime is kept to the second of the
  // daemon's save, as happens whenever both land within one second.
  const st = suite.sandbox.stat("/etc/hostname");
  suite.sandbox.write("/etc/hostname", "other\n");
  fs.utimesSync(suite.sandbox.path("/etc/hostname"), st.atime, st.mtime);
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "other" });
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
    // An edit of another file must not write back the stale tree of this one.
    await m.augeas.set({ path: "/files/etc/hosts/1/alias", value: "lo" });
    await m.augeas.save();
  });
  assert.equal(suite.sandbox.read("/etc/hostname"), "other\n");
});

test("regression: a save with nothing to write does not hide a later conflict", async () => {
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/1/alias", value: "lo" });
    assert.deepEqual((await m.augeas.save()).files, ["/etc/hosts"]);
    const theirs = suite.sandbox.read("/etc/hosts") + "198.51.100.7\tlate-writer\n";
    suite.sandbox.write("/etc/hosts", theirs);
    // Nothing pending: nothing written, and nothing reported as written.
    assert.deepEqual((await m.augeas.save()).files, []);
    await m.augeas.set({ path: "/files/etc/hosts/2/alias", value: "web" });
    const e = await rejectsWithKind(m.augeas.save(), "conflict");
    assert.equal(e.data.file, "/etc/hosts");
    assert.equal(suite.sandbox.read("/etc/hosts"), theirs);
  });
});
