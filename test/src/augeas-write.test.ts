/**
 * Writes through the typed client land byte-exact on disk: set, a new hosts
 * entry, remove, rename, insert, move, setm — each compared to the whole
 * expected file text. preview answers a unified diff and writes nothing;
 * discard drops pending edits. Refused writes (read-only file, non-writable
 * node) leave every file byte-identical.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertServesNextClient, rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { fixtureText } from "./harness/sandbox.js";

const suite = daemonSuite();
const HOSTS = fixtureText("hosts");
const SSHD = fixtureText("ssh/sshd_config");

/** The fixture text with exactly one occurrence of `from` replaced (fails if absent or repeated). */
function replaceOnce(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length, 2, `fixture should contain ${JSON.stringify(from)} exactly once`);
  return text.replace(from, to);
}

test("set + save writes exactly the new value", async () => {
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "box" }), {});
    assert.deepEqual(await m.augeas.set({ path: "/files/etc/ssh/sshd_config/Port", value: "2222" }), {});
    assert.deepEqual(await m.augeas.set({ path: "/files/etc/ssh/sshd_config/PermitRootLogin", value: "no" }), {});
    // Pending only: nothing on disk yet.
    assert.equal(suite.sandbox.read("/etc/hostname"), "panel\n");
    const { files } = await m.augeas.save();
    assert.deepEqual([...files].sort(), ["/etc/hostname", "/etc/ssh/sshd_config"]);
    // The session sees its own saved values.
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/ssh/sshd_config/Port" }), { value: "2222" });
  });
  assert.equal(suite.sandbox.read("/etc/hostname"), "box\n");
  assert.equal(
    suite.sandbox.read("/etc/ssh/sshd_config"),
    replaceOnce(replaceOnce(SSHD, "\nPort 22\n", "\nPort 2222\n"), "PermitRootLogin prohibit-password", "PermitRootLogin no"),
  );
  assert.equal(suite.sandbox.read("/etc/hosts"), HOSTS, "an untouched file stays as it was");
});

test("a new hosts entry is appended as a well-formed line", async () => {
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/01/ipaddr", value: "192.0.2.10" });
    await m.augeas.set({ path: "/files/etc/hosts/01/canonical", value: "nas.example.org" });
    await m.augeas.set({ path: "/files/etc/hosts/01/alias", value: "nas" });
    assert.deepEqual((await m.augeas.save()).files, ["/etc/hosts"]);
  });
  assert.equal(suite.sandbox.read("/etc/hosts"), HOSTS + "192.0.2.10\tnas.example.org nas\n");
});

test("remove deletes an entry and everything below it", async () => {
  await withClient(suite.sandbox, async (m) => {
    // 2 = the entry node, its ipaddr, canonical and alias.
    assert.deepEqual(await m.augeas.remove({ path: '/files/etc/hosts/*[canonical = "panel.example.org"]' }), { count: 4 });
    assert.deepEqual(await m.augeas.remove({ path: "/files/etc/hosts/3/alias[1]" }), { count: 1 });
    await m.augeas.save();
  });
  const expected = replaceOnce(replaceOnce(HOSTS, "127.0.1.1\tpanel.example.org\tpanel\n", ""), "localhost ip6-localhost ip6-loopback", "localhost ip6-loopback");
  assert.equal(suite.sandbox.read("/etc/hosts"), expected);
});

test("rename changes a setting's name in place", async () => {
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.rename({ path: "/files/etc/ssh/sshd_config/X11Forwarding", label: "MaxAuthTries" }), { count: 1 });
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/MaxAuthTries", value: "3" });
    await m.augeas.save();
  });
  assert.equal(suite.sandbox.read("/etc/ssh/sshd_config"), replaceOnce(SSHD, "X11Forwarding yes\n", "MaxAuthTries 3\n"));
});

test("insert places a new entry next to an existing one", async () => {
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.insert({ path: "/files/etc/hosts/2", label: "01" }), {});
    await m.augeas.set({ path: "/files/etc/hosts/01/ipaddr", value: "10.0.0.7" });
    await m.augeas.set({ path: "/files/etc/hosts/01/canonical", value: "db.example.org" });
    await m.augeas.insert({ path: "/files/etc/ssh/sshd_config/Port", label: "ListenAddress", before: true });
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/ListenAddress", value: "192.0.2.1" });
    await m.augeas.save();
  });
  assert.equal(
    suite.sandbox.read("/etc/hosts"),
    replaceOnce(HOSTS, "127.0.1.1\tpanel.example.org\tpanel\n", "127.0.1.1\tpanel.example.org\tpanel\n10.0.0.7\tdb.example.org\n"),
  );
  assert.equal(suite.sandbox.read("/etc/ssh/sshd_config"), replaceOnce(SSHD, "\nPort 22\n", "\nListenAddress 192.0.2.1\nPort 22\n"));
});

test("move takes a node and its children to a new place", async () => {
  await withClient(suite.sandbox, async (m) => {
    // A missing destination is created at the end of its parent.
    assert.deepEqual(await m.augeas.move({ source: "/files/etc/hosts/1", destination: "/files/etc/hosts/9" }), {});
    await m.augeas.save();
  });
  assert.equal(suite.sandbox.read("/etc/hosts"), replaceOnce(HOSTS, "127.0.0.1\tlocalhost\n", "") + "127.0.0.1\tlocalhost\n");
});

test("setm sets a node below every base the path matches", async () => {
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.setm({ base: '/files/etc/hosts/*[canonical = "localhost"]', sub: "canonical", value: "localhost.localdomain" }), { count: 2 });
    await m.augeas.save();
  });
  const expected = replaceOnce(
    replaceOnce(HOSTS, "127.0.0.1\tlocalhost\n", "127.0.0.1\tlocalhost.localdomain\n"),
    "::1     localhost ip6-localhost",
    "::1     localhost.localdomain ip6-localhost",
  );
  assert.equal(suite.sandbox.read("/etc/hosts"), expected);
});

test("preview answers a unified diff and writes nothing", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "box" });
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/PasswordAuthentication", value: "no" });
    const { changes } = await m.augeas.preview();
    assert.deepEqual(
      changes.map((c) => c.file),
      ["/etc/hostname", "/etc/ssh/sshd_config"],
    );
    // /etc/hostname is wholly readable: its text diff.
    assert.equal(changes[0]!.scope, "text");
    assert.equal(changes[0]!.diff, "--- a/etc/hostname\n+++ b/etc/hostname\n@@ -1,1 +1,1 @@\n-panel\n+box\n");
    // sshd_config has unreadable nodes (Subsystem): only its readable node changes, never its text.
    assert.equal(changes[1]!.scope, "nodes");
    assert.deepEqual(changes[1]!.nodes, [{ node: "/files/etc/ssh/sshd_config/PasswordAuthentication", before: "yes", after: "no", change: "changed" }]);
    const sshd = changes[1]!.diff;
    assert.equal(
      sshd,
      '--- a/etc/ssh/sshd_config (readable nodes)\n+++ b/etc/ssh/sshd_config (readable nodes)\n@@ readable nodes @@\n' +
        '-/files/etc/ssh/sshd_config/PasswordAuthentication = "yes"\n+/files/etc/ssh/sshd_config/PasswordAuthentication = "no"\n',
    );
    // Previewing twice changes nothing either.
    assert.deepEqual(await m.augeas.preview(), { changes });
  });
  // The session ended without saving: bytes, inodes and mtimes are as before.
  suite.sandbox.assertUnchanged(before);
});

test("discard drops every pending change", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "box" });
    await m.augeas.remove({ path: "/files/etc/hosts/5" });
    assert.equal((await m.augeas.preview()).changes.length, 2);
    assert.deepEqual(await m.augeas.discard(), {});
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
    assert.deepEqual((await m.augeas.save()).files, []);
  });
  suite.sandbox.assertUnchanged(before);
});

test("writes to a read-only file are policy-denied and write nothing", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.augeas.set({ path: "/files/etc/default/locale/LANG", value: '"C.UTF-8"' }), "policy-denied");
    assert.equal(e.data.file, "/etc/default/locale");
    await rejectsWithKind(m.augeas.remove({ path: "/files/etc/default/locale/LANGUAGE" }), "policy-denied");
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/default/locale/LC_ALL", value: "C" }), "policy-denied");
    // Nothing became pending.
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
    assert.deepEqual((await m.augeas.save()).files, []);
  });
  suite.sandbox.assertUnchanged(before);
  await assertServesNextClient(suite.sandbox);
});

test("writes to a non-writable node of a writable file are policy-denied", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/ssh/sshd_config/UsePAM", value: "no" }), "policy-denied");
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/ssh/sshd_config/PermitEmptyPasswords", value: "yes" }), "policy-denied");
    await rejectsWithKind(m.augeas.remove({ path: "/files/etc/ssh/sshd_config/#comment[1]" }), "policy-denied");
    await rejectsWithKind(m.augeas.rename({ path: "/files/etc/ssh/sshd_config/Port", label: "UsePAM" }), "policy-denied");
    await rejectsWithKind(m.augeas.insert({ path: "/files/etc/ssh/sshd_config/Port", label: "Subsystem" }), "policy-denied");
    // hosts: an entry's fields other than ipaddr/canonical/alias are not writable.
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/hosts/1/#comment", value: "owned" }), "policy-denied");
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/hosts/1/alias/x", value: "y" }), "policy-denied");
    // Removing the file node itself would delete the file.
    await rejectsWithKind(m.augeas.remove({ path: "/files/etc/hosts" }), "policy-denied");
    // A file outside the policy cannot be created either.
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/cron.d/evil/x", value: "y" }), "policy-denied");
    await rejectsWithKind(m.augeas.set({ path: "/augeas/save", value: "noop" }), "policy-denied");
    // A later, allowed write still works in the same session, and saves only what it should.
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/Port", value: "2200" });
    await m.augeas.discard();
    assert.deepEqual((await m.augeas.save()).files, []);
  });
  suite.sandbox.assertUnchanged(before);
  await assertServesNextClient(suite.sandbox);
});
