/**
 * `augeas.apply`: a change list is all-or-nothing. A refused change leaves
 * the tree and the disk as they were and says which change failed; `preview:
 * true` answers the diffs and writes nothing; a good list is saved at once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AugeasChange } from "@machina/client";
import { assertServesNextClient, rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { fixtureText } from "./harness/sandbox.js";

const suite = daemonSuite();
const HOSTS = fixtureText("hosts");
const SSHD = fixtureText("ssh/sshd_config");

const GOOD: AugeasChange[] = [
  { op: "set", path: "/files/etc/hostname/hostname", value: "box" },
  { op: "set", path: "/files/etc/hosts/01/ipaddr", value: "192.0.2.20" },
  { op: "set", path: "/files/etc/hosts/01/canonical", value: "backup.example.org" },
  { op: "set", path: "/files/etc/ssh/sshd_config/PasswordAuthentication", value: "no" },
];

test("apply saves a whole change list at once", async () => {
  await withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({ changes: GOOD });
    assert.equal(r.saved, true);
    assert.deepEqual([...r.files].sort(), ["/etc/hostname", "/etc/hosts", "/etc/ssh/sshd_config"]);
    assert.deepEqual(
      r.changes.map((c) => c.file),
      ["/etc/hostname", "/etc/hosts", "/etc/ssh/sshd_config"],
    );
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
  });
  assert.equal(suite.sandbox.read("/etc/hostname"), "box\n");
  assert.equal(suite.sandbox.read("/etc/hosts"), HOSTS + "192.0.2.20\tbackup.example.org\n");
  assert.equal(suite.sandbox.read("/etc/ssh/sshd_config"), SSHD.replace("PasswordAuthentication yes", "PasswordAuthentication no"));
});

test("apply whose third change is refused changes neither the tree nor the disk", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    const changes: AugeasChange[] = [
      { op: "set", path: "/files/etc/hostname/hostname", value: "box" },
      { op: "remove", path: "/files/etc/hosts/2" },
      { op: "set", path: "/files/etc/ssh/sshd_config/UsePAM", value: "no" },
      { op: "set", path: "/files/etc/ssh/sshd_config/Port", value: "2222" },
    ];
    const e = await rejectsWithKind(m.augeas.apply({ changes }), "policy-denied");
    assert.equal(e.data.change, 2, "data.change is the 0-based index of the refused change");
    assert.match(e.message, /change 3/);
    // The tree is as loaded: the first two changes were rolled back.
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/2/canonical" }), { value: "panel.example.org" });
    assert.deepEqual((await m.augeas.save()).files, []);
  });
  suite.sandbox.assertUnchanged(before);
  await assertServesNextClient(suite.sandbox);
});

test("a failed apply keeps the edits that were pending before it, and only those", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/X11Forwarding", value: "no" });
    const pending = await m.augeas.preview();
    assert.equal(pending.changes.length, 1);
    const e = await rejectsWithKind(
      m.augeas.apply({
        changes: [
          { op: "set", path: "/files/etc/hostname/hostname", value: "box" },
          { op: "set", path: "/files/etc/hosts/1/ipaddr", value: "127.0.0.2" },
          { op: "set", path: "/files/etc/default/locale/LANG", value: "C" },
        ],
      }),
      "policy-denied",
    );
    assert.equal(e.data.change, 2);
    assert.deepEqual(await m.augeas.preview(), pending);
    await m.augeas.discard();
  });
  suite.sandbox.assertUnchanged(before);
});

test("apply reports an augeas failure by change index too", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(
      m.augeas.apply({
        changes: [
          { op: "set", path: "/files/etc/hostname/hostname", value: "box" },
          { op: "set", path: "/files/etc/hosts/1/ipaddr", value: "127.0.0.2" },
          // Several nodes match: libaugeas refuses the set.
          { op: "set", path: "/files/etc/hosts/3/alias", value: "x" },
        ],
      }),
      "augeas",
    );
    assert.equal(e.data.change, 2);
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
  });
  suite.sandbox.assertUnchanged(before);
});

test("apply with preview answers the diffs and writes nothing", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({ changes: GOOD, preview: true });
    assert.equal(r.saved, false);
    assert.deepEqual(r.files, []);
    assert.deepEqual(
      r.changes.map((c) => c.file),
      ["/etc/hostname", "/etc/hosts", "/etc/ssh/sshd_config"],
    );
    assert.equal(r.changes[0]!.diff, "--- a/etc/hostname\n+++ b/etc/hostname\n@@ -1,1 +1,1 @@\n-panel\n+box\n");
    assert.ok(r.changes[1]!.diff.endsWith(" ff02::2 ip6-allrouters\n+192.0.2.20\tbackup.example.org\n"), r.changes[1]!.diff);
    // Nothing stays pending either.
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
    assert.deepEqual((await m.augeas.save()).files, []);
  });
  suite.sandbox.assertUnchanged(before);
});
