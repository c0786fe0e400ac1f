/**
 * Every write result says whether something changed, and a save that would
 * not change a file's bytes does not write it: its inode and mtime stay (a
 * file watcher, a backup tool or a config-reload trigger sees nothing). The
 * exception is invariant 2's: in a file where an edit touched a node whose
 * value the client may not see, "unchanged" would answer whether the hidden
 * value was what the client wrote — an oracle to guess it with — so such a
 * file is always written (a fresh rename) and reported, and a preview always
 * lists it, the same whether its bytes changed or not.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { fixtureText } from "./harness/sandbox.js";

/**
 * /etc/hostname and /etc/hosts as in the standard policy; in sshd_config only
 * Port is readable, while PasswordAuthentication is writable too — a node
 * the client may set but not read back (the policy check warns, and allows it).
 */
const POLICY = `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]

[[augeas.file]]
path = "/etc/hosts"
lens = "Hosts.lns"
write = ["*", "*/ipaddr", "*/canonical", "*/alias"]

[[augeas.file]]
path = "/etc/ssh/sshd_config"
read = ["Port"]
write = ["Port", "PasswordAuthentication"]
`;

const suite = daemonSuite({ policy: POLICY });
const SSHD = fixtureText("ssh/sshd_config");
const HOSTS = fixtureText("hosts");

/** Inode and mtime (ns) of a file below the root. */
function identity(file: string): [bigint, bigint] {
  const st = fs.statSync(suite.sandbox.path(file), { bigint: true });
  return [st.ino, st.mtimeNs];
}

test("a save that changes no byte writes nothing: one file", async () => {
  const before = suite.sandbox.snapshot();
  const was = identity("/etc/hostname");
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "other" });
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "panel" });
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
    const r = await m.augeas.save();
    assert.deepEqual([r.files, r.changed, Object.keys(r.tags)], [[], false, ["/etc/hostname"]]);
    // The same through apply, which says it saved (nothing failed) and that nothing changed.
    const a = await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/hostname/hostname", value: "panel" }] });
    assert.deepEqual([a.applied, a.saved, a.changed, a.files, a.changes], [true, true, false, [], []]);
    assert.equal(a.tags["/etc/hostname"], r.tags["/etc/hostname"], "the version left in place keeps its tag");
  });
  assert.deepEqual(identity("/etc/hostname"), was);
  suite.sandbox.assertUnchanged(before);
});

test("a save that changes no byte writes nothing: several files, and only the changed one of a mixed save", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    const same = await m.augeas.apply({
      changes: [
        { op: "set", path: "/files/etc/hostname/hostname", value: "panel" },
        { op: "set", path: "/files/etc/hosts/2/alias", value: "panel" },
        { op: "set", path: "/files/etc/ssh/sshd_config/Port", value: "22" },
      ],
    });
    assert.deepEqual([same.saved, same.changed, same.files], [true, false, []]);
    assert.deepEqual(Object.keys(same.tags).sort(), ["/etc/hostname", "/etc/hosts", "/etc/ssh/sshd_config"]);
  });
  suite.sandbox.assertUnchanged(before);

  const hostname = identity("/etc/hostname");
  const sshd = identity("/etc/ssh/sshd_config");
  await withClient(suite.sandbox, async (m) => {
    const mixed = await m.augeas.apply({
      changes: [
        { op: "set", path: "/files/etc/hostname/hostname", value: "panel" },
        { op: "set", path: "/files/etc/hosts/2/alias", value: "box" },
        { op: "set", path: "/files/etc/ssh/sshd_config/Port", value: "22" },
      ],
    });
    assert.deepEqual([mixed.changed, mixed.files, mixed.changes.map((c) => c.file)], [true, ["/etc/hosts"], ["/etc/hosts"]]);
  });
  assert.deepEqual(identity("/etc/hostname"), hostname);
  assert.deepEqual(identity("/etc/ssh/sshd_config"), sshd);
  assert.equal(suite.sandbox.read("/etc/hosts"), HOSTS.replace("panel.example.org\tpanel\n", "panel.example.org\tbox\n"));
});

test("a file where an edit touched a hidden value is written and reported whether or not its bytes change", async () => {
  /** Sets the unreadable PasswordAuthentication to `value` and answers what the client is told. */
  const setHidden = async (value: string) => {
    const was = identity("/etc/ssh/sshd_config");
    const told = await withClient(suite.sandbox, async (m) => {
      const preview = await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/ssh/sshd_config/PasswordAuthentication", value }], preview: true });
      await m.augeas.set({ path: "/files/etc/ssh/sshd_config/PasswordAuthentication", value });
      const pending = await m.augeas.preview();
      const saved = await m.augeas.save();
      return { preview, pending, saved };
    });
    assert.notDeepEqual(identity("/etc/ssh/sshd_config"), was, `${value}: written (a fresh rename)`);
    // What differs between two versions of the file is only what any write changes: the tags.
    const strip = (o: unknown) => JSON.parse(JSON.stringify(o, (k, v: unknown) => (k === "tag" || k === "tags" ? undefined : v))) as unknown;
    return strip(told);
  };
  // The value on disk is "yes": writing "yes" again and writing "no" look the same.
  const same = await setHidden("yes");
  assert.equal(suite.sandbox.read("/etc/ssh/sshd_config"), SSHD, "the bytes are as they were");
  suite.sandbox.restoreFixtures();
  const different = await setHidden("no");
  assert.equal(suite.sandbox.read("/etc/ssh/sshd_config"), SSHD.replace("PasswordAuthentication yes", "PasswordAuthentication no"));
  assert.deepEqual(same, different);
  assert.deepEqual(same, {
    preview: {
      applied: true,
      changes: [
        {
          file: "/etc/ssh/sshd_config",
          scope: "nodes",
          diff: "--- a/etc/ssh/sshd_config (readable nodes)\n+++ b/etc/ssh/sshd_config (readable nodes)\n",
          nodes: [],
        },
      ],
      saved: false,
      files: [],
      changed: false,
    },
    pending: {
      changes: [
        {
          file: "/etc/ssh/sshd_config",
          scope: "nodes",
          diff: "--- a/etc/ssh/sshd_config (readable nodes)\n+++ b/etc/ssh/sshd_config (readable nodes)\n",
          nodes: [],
        },
      ],
    },
    saved: { files: ["/etc/ssh/sshd_config"], changed: true },
  });
});

test("the hidden-value exception holds in a save of several files, and keeps the file's owner and mode", async () => {
  const file = suite.sandbox.path("/etc/ssh/sshd_config");
  fs.chownSync(file, 0, 4);
  fs.chmodSync(file, 0o640);
  const hostname = identity("/etc/hostname");
  const sshd = identity("/etc/ssh/sshd_config");
  await withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({
      changes: [
        { op: "set", path: "/files/etc/hostname/hostname", value: "panel" },
        { op: "set", path: "/files/etc/ssh/sshd_config/PasswordAuthentication", value: "yes" },
      ],
    });
    assert.deepEqual([r.changed, r.files], [true, ["/etc/ssh/sshd_config"]]);
  });
  assert.deepEqual(identity("/etc/hostname"), hostname);
  assert.notDeepEqual(identity("/etc/ssh/sshd_config"), sshd);
  assert.equal(suite.sandbox.read("/etc/ssh/sshd_config"), SSHD);
  const st = fs.statSync(file);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [0, 4, 0o640]);
  assert.deepEqual(fs.readdirSync(suite.sandbox.path("/etc/ssh")), ["sshd_config"], "nothing left behind");
});
