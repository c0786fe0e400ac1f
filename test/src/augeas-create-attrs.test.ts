/**
 * New files and the attributes of existing ones, through the real daemon on
 * real files:
 *
 * - a policy file that does not exist is created by a save only with
 *   `create = true`, and then with exactly the policy's mode, owner and group
 *   (defaults 0644 root root) — not an access ACL its directory's default ACL
 *   would give it; without it the save is `policy-denied` and nothing appears;
 * - a save of an existing file keeps its owner, group and mode (chown to
 *   nobody:nogroup, chmod 0600), its POSIX ACL (`setfacl -m u:nobody:r`) and
 *   every extended attribute (user.*, trusted.*, security.*, including a
 *   security.selinux value: this kernel runs no SELinux, so the context is
 *   stored as any security.* attribute is, and kept the same way a real one
 *   would be) — checked with stat, getfacl and getfattr afterwards, while the
 *   inode shows the file really was replaced;
 * - a validator sees the new version with those attributes already on it.
 *
 * Extended attributes need a file system that takes them: the sandbox goes
 * to the system's temporary directory when user.* attributes work there
 * (ext4 here; tmpfs only since Linux 6.6), else to /var/tmp (probed below).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, test } from "node:test";
import { NOBODY } from "./harness/as-user.js";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { fixtureText } from "./harness/sandbox.js";

/** Where the sandbox goes: os.tmpdir() reads TMPDIR, so pointing it elsewhere moves the sandbox. */
function chooseXattrCapableTmpdir(): void {
  for (const base of [os.tmpdir(), "/var/tmp"]) {
    const probe = path.join(fs.mkdtempSync(path.join(base, "machina-xattr-probe-")), "probe");
    try {
      fs.writeFileSync(probe, "");
      execFileSync("setfattr", ["-n", "user.probe", "-v", "1", probe], { stdio: "pipe" });
      process.env.TMPDIR = base;
      return;
    } catch {
      // try the next one
    } finally {
      fs.rmSync(path.dirname(probe), { recursive: true, force: true });
    }
  }
  throw new Error(`neither ${os.tmpdir()} nor /var/tmp takes user.* extended attributes here`);
}
chooseXattrCapableTmpdir();

const HOSTS = fixtureText("hosts");
/** A validator's script ($0: the file to check): the file's name, mode, owner, ACL and extended attributes, then a refusal. */
const SHOW = `exec 2>&1; stat -c '%n %a %U:%G' "$0"; getfacl -c -p "$0"; getfattr --absolute-names -d -m - "$0"; exit 3`;
const NOGROUP = 65534;

const POLICY = `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "/etc/hosts"
write = ["**"]

[[augeas.file]]
path = "/etc/hosts.d/extra"
lens = "Hosts"
write = ["**"]
create = true
mode = "0640"
owner = "nobody"
group = "nogroup"

[[augeas.file]]
path = "/etc/hosts.d/plain"
lens = "Hosts"
write = ["**"]
create = true

[[augeas.file]]
path = "/etc/hosts.d/nocreate"
lens = "Hosts"
write = ["**"]

[[augeas.file]]
path = "/etc/sudoers.d/panel"
lens = "Sudoers"
write = ["**"]
create = true
mode = "0440"
validate = ["/usr/sbin/visudo", "-cf", "%s"]

# Shows what it was given and refuses: what a validator sees.
[[augeas.file]]
path = "/etc/shown.hosts"
lens = "Hosts"
write = ["**"]
validate = ["/bin/sh", "-c", ${JSON.stringify(SHOW)}, "%s"]
`;

const suite = daemonSuite({ policy: POLICY });

beforeEach(() => {
  for (const dir of ["/etc/hosts.d", "/etc/sudoers.d"]) fs.mkdirSync(suite.sandbox.path(dir), { mode: 0o755 });
  // New files in /etc/hosts.d would inherit an ACL granting daemon rw: a created file must not keep it.
  run("setfacl", ["-d", "-m", "u:daemon:rw", suite.sandbox.path("/etc/hosts.d")]);
});

function run(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: "utf8" });
}

const entry = (n: string) => [
  { op: "set" as const, path: `/files/etc/hosts.d/${n}/01/ipaddr`, value: "192.0.2.7" },
  { op: "set" as const, path: `/files/etc/hosts.d/${n}/01/canonical`, value: "nas.example.org" },
];

/** Every attribute of the file, as getfattr dumps them (hex: values compare byte for byte). */
const xattrs = (file: string) => run("getfattr", ["--absolute-names", "-d", "-m", "-", "-e", "hex", suite.sandbox.path(file)]).replace(/^# file: .*\n/, "");
const acl = (file: string) => run("getfacl", ["-c", "-p", suite.sandbox.path(file)]);

test("a missing file without create = true is not created: policy-denied, nothing appears", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.augeas.apply({ changes: entry("nocreate") }), "policy-denied");
    assert.equal(e.message, "/etc/hosts.d/nocreate: it does not exist, and the policy does not let machina create it (create = true)");
    assert.equal(e.data.file, "/etc/hosts.d/nocreate");
    // The same through augeas.save, the edits then still pending.
    for (const c of entry("nocreate")) await m.augeas.set({ path: c.path, value: c.value });
    await rejectsWithKind(m.augeas.save(), "policy-denied");
  });
  suite.sandbox.assertUnchanged(before);
});

test("create = true: the new file gets exactly the policy's mode, owner and group, and no inherited ACL", async () => {
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual((await m.augeas.apply({ changes: entry("extra") })).files, ["/etc/hosts.d/extra"]);
  });
  assert.equal(suite.sandbox.read("/etc/hosts.d/extra"), "192.0.2.7\tnas.example.org\n");
  const st = suite.sandbox.stat("/etc/hosts.d/extra");
  assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o640, NOBODY.uid, NOGROUP]);
  assert.equal(acl("/etc/hosts.d/extra"), "user::rw-\ngroup::r--\nother::---\n\n", "no user:daemon entry from the directory's default ACL");
  assert.deepEqual(fs.readdirSync(suite.sandbox.path("/etc/hosts.d")), ["extra"]);
});

test("create = true alone: 0644, root, root", async () => {
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.apply({ changes: entry("plain") });
  });
  const st = suite.sandbox.stat("/etc/hosts.d/plain");
  assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o644, 0, 0]);
  assert.equal(acl("/etc/hosts.d/plain"), "user::rw-\ngroup::r--\nother::r--\n\n");
});

test("a new file is validated too: visudo refuses a broken one (nothing created) and accepts a good one (0440)", async () => {
  const spec = (command: string) => [
    { op: "set" as const, path: "/files/etc/sudoers.d/panel/spec/user", value: "www-data" },
    { op: "set" as const, path: "/files/etc/sudoers.d/panel/spec/host_group/host", value: "ALL" },
    { op: "set" as const, path: "/files/etc/sudoers.d/panel/spec/host_group/command", value: command },
    { op: "set" as const, path: "/files/etc/sudoers.d/panel/spec/host_group/command/runas_user", value: "root" },
  ];
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    // sudo wants a command by its absolute path; the lens takes any word.
    const e = await rejectsWithKind(m.augeas.apply({ changes: spec("systemctl") }), "validation-failed");
    assert.equal(e.data.file, "/etc/sudoers.d/panel");
    assert.match(String(e.data.output), /^\/etc\/sudoers\.d\/panel:1:\d+: /m);
    suite.sandbox.assertUnchanged(before);
    await m.augeas.apply({ changes: spec("/usr/bin/systemctl") });
  });
  assert.equal(suite.sandbox.read("/etc/sudoers.d/panel"), "www-data ALL = (root) /usr/bin/systemctl\n");
  const st = suite.sandbox.stat("/etc/sudoers.d/panel");
  assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o440, 0, 0]);
});

/** Saves a new entry in /etc/hosts and answers the file's inode before and after. */
async function saveHosts(): Promise<[number, number]> {
  const was = suite.sandbox.stat("/etc/hosts").ino;
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/01/ipaddr", value: "192.0.2.10" });
    await m.augeas.set({ path: "/files/etc/hosts/01/canonical", value: "nas.example.org" });
    assert.deepEqual((await m.augeas.save()).files, ["/etc/hosts"]);
  });
  assert.equal(suite.sandbox.read("/etc/hosts"), HOSTS + "192.0.2.10\tnas.example.org\n");
  return [was, suite.sandbox.stat("/etc/hosts").ino];
}

test("a save keeps the file's owner, group and mode", async () => {
  fs.chownSync(suite.sandbox.path("/etc/hosts"), NOBODY.uid, NOGROUP);
  fs.chmodSync(suite.sandbox.path("/etc/hosts"), 0o600);
  const [was, now] = await saveHosts();
  assert.notEqual(now, was, "the file was replaced, not rewritten in place");
  const st = suite.sandbox.stat("/etc/hosts");
  assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o600, NOBODY.uid, NOGROUP]);
});

test("a save keeps the file's POSIX ACL", async () => {
  run("setfacl", ["-m", "u:nobody:r,g:daemon:rw", suite.sandbox.path("/etc/hosts")]);
  const before = acl("/etc/hosts");
  assert.match(before, /^user:nobody:r--$/m);
  const [was, now] = await saveHosts();
  assert.notEqual(now, was);
  assert.equal(acl("/etc/hosts"), before);
  assert.equal(suite.sandbox.stat("/etc/hosts").mode & 0o7777, 0o664, "the group bits are the ACL's mask, as before");
});

test("a save keeps every extended attribute: user.*, trusted.*, security.* (an SELinux context too)", async () => {
  const file = suite.sandbox.path("/etc/hosts");
  run("setfattr", ["-n", "user.machina", "-v", "kept", file]);
  run("setfattr", ["-n", "user.binary", "-v", "0x00ff0a", file]);
  run("setfattr", ["-n", "trusted.machina", "-v", "trusted", file]);
  run("setfattr", ["-n", "security.machina", "-v", "security", file]);
  run("setfattr", ["-n", "security.selinux", "-v", "system_u:object_r:net_conf_t:s0", file]);
  const before = xattrs("/etc/hosts");
  for (const name of ["user.machina", "user.binary", "trusted.machina", "security.machina", "security.selinux"]) assert.match(before, new RegExp(`^${name.replace(".", "\\.")}=`, "m"));
  const [was, now] = await saveHosts();
  assert.notEqual(now, was);
  assert.equal(xattrs("/etc/hosts"), before);
});

test("a validator sees the new version with the file's attributes already on it", async () => {
  const file = suite.sandbox.path("/etc/shown.hosts");
  fs.writeFileSync(file, HOSTS);
  fs.chownSync(file, NOBODY.uid, NOGROUP);
  fs.chmodSync(file, 0o640);
  run("setfacl", ["-m", "u:daemon:r", file]);
  run("setfattr", ["-n", "user.machina", "-v", "seen", file]);
  // What the same script says of the file itself, its path written as the policy's.
  const shown = spawnSync("/bin/sh", ["-c", SHOW, file], { encoding: "utf8" });
  assert.equal(shown.status, 3, shown.stdout);
  const expected = shown.stdout.split(file).join("/etc/shown.hosts");
  assert.match(expected, /^\/etc\/shown\.hosts 640 nobody:nogroup\n/);
  assert.match(expected, /^user:daemon:r--$/m);
  assert.match(expected, /^user\.machina="seen"$/m);
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(
      m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/shown.hosts/01/ipaddr", value: "192.0.2.7" }, { op: "set", path: "/files/etc/shown.hosts/01/canonical", value: "nas" }] }),
      "validation-failed",
    );
    assert.equal(e.data.exitCode, 3);
    assert.equal(e.data.output, expected);
  });
  suite.sandbox.assertUnchanged(before);
});

test("discovery says which files are validated and which a save may create, and how", async () => {
  const doc = await withClient(suite.sandbox, (m) => m.discover());
  const set = doc.methods.find((m) => m.name === "augeas.set") as { "x-policy"?: { files: Record<string, unknown>[] } } | undefined;
  const files = new Map((set?.["x-policy"]?.files ?? []).map((f) => [f.path, f]));
  assert.deepEqual(files.get("/etc/hosts.d/extra")?.create, { mode: "0640", owner: "nobody", group: "nogroup" });
  assert.deepEqual(files.get("/etc/hosts.d/plain")?.create, { mode: "0644", owner: "root", group: "root" });
  assert.equal(files.get("/etc/hosts.d/nocreate")?.create, undefined);
  assert.equal(files.get("/etc/sudoers.d/panel")?.validate, true);
  assert.equal(files.get("/etc/hosts")?.validate, undefined);
  // The program is the administrator's business: not in what the client is told.
  assert.doesNotMatch(JSON.stringify(doc), /visudo|getfacl/);
});
