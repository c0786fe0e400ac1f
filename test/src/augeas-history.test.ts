/**
 * History and rollback (`[[augeas.file]] history = N`, `rollback = true`)
 * against the real daemon on a sandbox root: every save of such a file keeps
 * its previous bytes under --history-dir, keyed by the save's audit id;
 * `augeas.history` lists the entries (never content) with whether each file
 * is still as that save left it; `augeas.rollback` puts the previous bytes
 * back, exactly, only while the file still has the bytes that save wrote,
 * only where the policy says `rollback = true`, never over pending edits —
 * and is itself recorded. Bounded per file and in total; what the client may
 * not read it does not see.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import type { MachinaClient } from "@machina/client";
import { readAuditLines } from "./harness/audit-log.js";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { runMachina, startDaemon } from "./harness/daemon.js";
import { fixtureText, Sandbox } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";

const HISTORY_PARENT = fs.mkdtempSync(path.join(os.tmpdir(), "machina-history-it-"));
const HISTORY = path.join(HISTORY_PARENT, "history");
after(() => fs.rmSync(HISTORY_PARENT, { recursive: true, force: true }));

const HOSTS_RULE = `[[augeas.file]]
path = "/etc/hosts"
lens = "Hosts.lns"
read = ["**"]
write = ["*", "*/ipaddr", "*/canonical", "*/alias"]
history = 5
rollback = true
`;

/** The same file, now unreadable to the client (its history is still kept). */
const HOSTS_UNREADABLE_RULE = `[[augeas.file]]
path = "/etc/hosts"
lens = "Hosts.lns"
read = []
history = 5
`;

const policy = (hostsRule: string) => `version = 1

[clients]
users = ["root"]

${hostsRule}
[[augeas.file]]
path = "/etc/hostname"
write = ["**"]
history = 3
rollback = true

[[augeas.file]]
path = "/etc/ssh/sshd_config"
read = ["Port"]
write = ["Port"]
history = 3
`;

const POLICY = policy(HOSTS_RULE);
const suite = daemonSuite({ policy: POLICY, args: ["--history-dir", HISTORY] });

const HOSTNAME = "/files/etc/hostname/hostname";
/** "café" in Latin-1 (not UTF-8): a rollback must put these bytes back as they were. */
const LATIN1_COMMENT = Buffer.from("# caf\xe9 server\n", "latin1");

const bytesOf = (file: string) => fs.readFileSync(suite.sandbox.path(file));

async function setAndSave(m: MachinaClient, path: string, value: string): Promise<string[]> {
  await m.augeas.set({ path, value });
  return (await m.augeas.save()).files;
}

/** The history entries made since `before` (ids listed earlier), newest first. */
async function entriesSince(m: MachinaClient, before: ReadonlySet<string>, file?: string) {
  const { entries } = await m.augeas.history(file === undefined ? {} : { file });
  return entries.filter((e) => !before.has(e.id));
}

async function knownIds(): Promise<Set<string>> {
  return withClient(suite.sandbox, async (m) => new Set((await m.augeas.history()).entries.map((e) => e.id)));
}

/** file → current, for comparing an entry's files whatever order the save wrote them in. */
const currentByFile = (files: readonly { file: string; current: boolean }[]) => Object.fromEntries(files.map((f) => [f.file, f.current]));

test("two saves are listed newest first, keyed by their audit ids, with which files are still as each left them", async () => {
  const before = await knownIds();
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/1/ipaddr", value: "127.0.0.9" });
    assert.deepEqual((await setAndSave(m, HOSTNAME, "hist-first-7f3a")).sort(), ["/etc/hostname", "/etc/hosts"]);
    await setAndSave(m, HOSTNAME, "hist-second-7f3a");
    const [second, first, ...rest] = await entriesSince(m, before);
    assert.equal(rest.length, 0);
    assert.equal(second!.method, "augeas.save");
    assert.deepEqual(second!.files, [{ file: "/etc/hostname", current: true }]);
    assert.deepEqual(currentByFile(first!.files), { "/etc/hostname": false, "/etc/hosts": true });
    assert.deepEqual(first!.peer, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    assert.ok(Date.parse(second!.time) >= Date.parse(first!.time));
    // The ids are those of the saves' audit lines.
    const saves = readAuditLines(suite.sandbox.auditLog).filter((l) => l.method === "augeas.save" && l.outcome === "ok");
    assert.deepEqual(saves.slice(-2).map((l) => l.id), [first!.id, second!.id]);
    // Never any content: no value, old or new.
    const text = JSON.stringify(await m.augeas.history());
    for (const value of ["hist-first", "hist-second", "127.0.0.9", "panel", "localhost"]) assert.ok(!text.includes(value), value);
    // Only the entries that wrote FILE, showing FILE only.
    const ofHosts = await entriesSince(m, before, "/etc/hosts");
    assert.deepEqual(ofHosts.map((e) => [e.id, e.files]), [[first!.id, [{ file: "/etc/hosts", current: true }]]]);
  });
});

test("rollback restores the previous bytes exactly (owner and mode kept), is listed itself, and can be rolled back", async () => {
  const sb = suite.sandbox;
  const originalHosts = Buffer.concat([bytesOf("/etc/hosts"), LATIN1_COMMENT]);
  fs.writeFileSync(sb.path("/etc/hosts"), originalHosts);
  const originalHostname = bytesOf("/etc/hostname");
  const before = await knownIds();
  await withClient(sb, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/1/ipaddr", value: "127.0.0.9" });
    await setAndSave(m, HOSTNAME, "one");
  });
  const afterOne = bytesOf("/etc/hostname");
  await withClient(sb, async (m) => void (await setAndSave(m, HOSTNAME, "two")));
  fs.chmodSync(sb.path("/etc/hostname"), 0o640);
  fs.chownSync(sb.path("/etc/hostname"), 0, 65534);

  await withClient(sb, async (m) => {
    const [two, one] = await entriesSince(m, before);
    assert.deepEqual(await m.augeas.rollback({ id: two!.id }), { files: ["/etc/hostname"], changed: true });
    assert.ok(bytesOf("/etc/hostname").equals(afterOne), "the bytes before the second save");
    assert.equal(sb.stat("/etc/hostname").mode & 0o7777, 0o640);
    assert.equal(sb.stat("/etc/hostname").gid, 65534);
    // The session's tree was reloaded: it reads what is on disk now, with nothing pending.
    assert.deepEqual(await m.augeas.get({ path: HOSTNAME }), { value: "one" });
    assert.deepEqual(await m.augeas.preview(), { changes: [] });

    const [rolled, two2, one2] = await entriesSince(m, before);
    assert.equal(rolled!.method, "augeas.rollback");
    assert.deepEqual(rolled!.files, [{ file: "/etc/hostname", current: true }]);
    assert.deepEqual([two2!.id, one2!.id], [two!.id, one!.id]);
    assert.deepEqual(two2!.files, [{ file: "/etc/hostname", current: false }]);
    assert.deepEqual(currentByFile(one2!.files), { "/etc/hostname": true, "/etc/hosts": true });
    // The rollback's audit line has the entry's id.
    const line = readAuditLines(sb.auditLog).filter((l) => l.method === "augeas.rollback").at(-1)!;
    assert.equal(line.id, rolled!.id);
    assert.ok(line.targets.includes(two!.id) && line.targets.includes("/etc/hostname"), JSON.stringify(line.targets));

    // The first save, both files: back to the original bytes, the Latin-1 comment byte for byte.
    assert.deepEqual((await m.augeas.rollback({ id: one!.id })).files.sort(), ["/etc/hostname", "/etc/hosts"]);
    assert.ok(bytesOf("/etc/hosts").equals(originalHosts), "hosts as it was, Latin-1 included");
    assert.ok(bytesOf("/etc/hostname").equals(originalHostname));
    // The first rollback's result is gone from disk now: rolling it back is a conflict.
    const e = await rejectsWithKind(m.augeas.rollback({ id: rolled!.id }), "conflict");
    assert.equal(e.data.file, "/etc/hostname");
    assert.ok(bytesOf("/etc/hostname").equals(originalHostname));
  });
  assert.deepEqual(fs.readdirSync(sb.path("/etc")).filter((f) => f.includes(".augnew")), [], "no temporary file left");
});

test("rollback after another writer changed the file is a conflict naming it, and writes nothing", async () => {
  const sb = suite.sandbox;
  const before = await knownIds();
  await withClient(sb, async (m) => void (await setAndSave(m, HOSTNAME, "saved-by-machina")));
  sb.write("/etc/hostname", "changed-by-someone-else\n");
  const snapshot = sb.snapshot();
  await withClient(sb, async (m) => {
    const [entry] = await entriesSince(m, before);
    assert.deepEqual(entry!.files, [{ file: "/etc/hostname", current: false }]);
    const e = await rejectsWithKind(m.augeas.rollback({ id: entry!.id }), "conflict");
    assert.equal(e.data.file, "/etc/hostname");
    assert.ok(!e.message.includes("saved-by-machina") && !e.message.includes("changed-by-someone-else"), e.message);
    assert.equal((await entriesSince(m, before)).length, 1, "a refused rollback is not recorded");
  });
  sb.assertUnchanged(snapshot);
});

test("rollback needs rollback = true for every file it would write, and no pending edits", async () => {
  const sb = suite.sandbox;
  const before = await knownIds();
  await withClient(sb, async (m) => {
    await m.augeas.apply({
      changes: [
        { op: "set", path: HOSTNAME, value: "with-sshd" },
        { op: "set", path: "/files/etc/ssh/sshd_config/Port", value: "2222" },
      ],
    });
  });
  const snapshot = sb.snapshot();
  await withClient(sb, async (m) => {
    const [entry] = await entriesSince(m, before);
    assert.equal(entry!.method, "augeas.apply");
    assert.deepEqual(currentByFile(entry!.files), { "/etc/hostname": true, "/etc/ssh/sshd_config": true });
    // sshd_config keeps a history but may not be rolled back: the whole entry is refused, nothing written.
    const denied = await rejectsWithKind(m.augeas.rollback({ id: entry!.id }), "policy-denied");
    assert.equal(denied.data.target, "/etc/ssh/sshd_config");
    assert.equal(denied.data.file, "/etc/ssh/sshd_config");
    await rejectsWithKind(m.augeas.rollback({ id: entry!.id, file: "/etc/ssh/sshd_config" }), "policy-denied");
    sb.assertUnchanged(snapshot);

    // Pending edits: refused, and they stay pending.
    await m.augeas.set({ path: HOSTNAME, value: "pending" });
    const pending = await rejectsWithKind(m.augeas.rollback({ id: entry!.id, file: "/etc/hostname" }), "invalid-params");
    assert.match(pending.message, /save or discard/);
    assert.equal((await m.augeas.preview()).changes.length, 1);
    sb.assertUnchanged(snapshot);
    await m.augeas.discard();

    // The one file that may be rolled back, named.
    assert.deepEqual(await m.augeas.rollback({ id: entry!.id, file: "/etc/hostname" }), { files: ["/etc/hostname"], changed: true });
  });
  assert.equal(sb.read("/etc/hostname"), fixtureText("hostname"));
  assert.match(sb.read("/etc/ssh/sshd_config"), /^Port 2222$/m, "sshd_config untouched");
});

test("ids that name no entry, or not one of its files, are not-found; malformed ones invalid-params", async () => {
  const before = await knownIds();
  await withClient(suite.sandbox, async (m) => {
    await rejectsWithKind(m.augeas.rollback({ id: "zzzz-1-1" }), "not-found");
    await rejectsWithKind(m.call("augeas.rollback", { id: "../../etc" }), "invalid-params");
    await setAndSave(m, HOSTNAME, "named");
    const [entry] = await entriesSince(m, before);
    await rejectsWithKind(m.augeas.rollback({ id: entry!.id, file: "/etc/hosts" }), "not-found");
    await rejectsWithKind(m.augeas.history({ file: "/etc/shadow" }), "policy-denied");
  });
});

test("per file only the N newest versions are kept, root-only on disk", async () => {
  const before = await knownIds();
  await withClient(suite.sandbox, async (m) => {
    for (const v of ["p1", "p2", "p3", "p4"]) await setAndSave(m, HOSTNAME, v);
    const all = await m.augeas.history({ file: "/etc/hostname" });
    const mine = all.entries.filter((e) => !before.has(e.id));
    assert.equal(all.entries.length, 3, "history = 3");
    assert.deepEqual(all.entries.map((e) => e.id), mine.slice(0, 3).map((e) => e.id));
  });
  assert.equal(fs.statSync(HISTORY).mode & 0o7777, 0o700);
  for (const entry of fs.readdirSync(HISTORY)) {
    assert.equal(fs.lstatSync(path.join(HISTORY, entry)).mode & 0o7777, 0o700, entry);
    for (const f of fs.readdirSync(path.join(HISTORY, entry))) assert.equal(fs.lstatSync(path.join(HISTORY, entry, f)).mode & 0o7777, 0o600, `${entry}/${f}`);
  }
  const holdingHostname = fs.readdirSync(HISTORY).filter((e) => fs.readFileSync(path.join(HISTORY, e, "meta.json"), "utf8").includes('"/etc/hostname"'));
  assert.equal(holdingHostname.length, 3, "the older versions are gone from disk too");
});

test("the CLI lists the history as a table and rolls back by id", async () => {
  const sb = suite.sandbox;
  const before = await knownIds();
  await withClient(sb, async (m) => void (await setAndSave(m, HOSTNAME, "from-cli")));
  const listed = await runMachina(sb, ["history", "/etc/hostname"]);
  assert.equal(listed.code, 0, listed.stderr);
  const [header, first] = listed.stdout.split("\n");
  assert.match(header!, /^ID\s+TIME\s+UID\s+FILES\s+CURRENT$/);
  const id = first!.split(/\s+/)[0]!;
  assert.ok(!before.has(id));
  assert.match(first!, new RegExp(`^${id}\\s+\\S+Z\\s+${process.getuid!()}\\s+/etc/hostname\\s+yes$`));
  const json = await runMachina(sb, ["--json", "history"]);
  assert.equal((JSON.parse(json.stdout) as { entries: { id: string }[] }).entries[0]!.id, id);

  const rolled = await runMachina(sb, ["rollback", id]);
  assert.equal(rolled.code, 0, rolled.stderr);
  assert.equal(rolled.stdout, "/etc/hostname\n");
  assert.equal(sb.read("/etc/hostname"), fixtureText("hostname"));
  const again = await runMachina(sb, ["rollback", id, "/etc/hostname"]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^machina: conflict: /);
});

test("entries of a file the client may not read are not shown, not listable and not rolled back", async () => {
  const sb = suite.sandbox;
  const before = await knownIds();
  await withClient(sb, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/1/ipaddr", value: "127.0.0.7" });
    await setAndSave(m, HOSTNAME, "both");
    await setAndSave(m, "/files/etc/hosts/2/ipaddr", "127.0.1.7");
  });
  const reloads = () => (suite.daemon.stderr.match(/policy reloaded from/g) ?? []).length;
  const reload = async (text: string) => {
    const n = reloads();
    sb.writePolicy(text);
    suite.daemon.signal("SIGHUP");
    await waitFor(() => reloads() > n, "the policy reload");
  };
  await reload(policy(HOSTS_UNREADABLE_RULE));
  try {
    const snapshot = sb.snapshot();
    await withClient(sb, async (m) => {
      const mine = await entriesSince(m, before);
      assert.equal(mine.length, 1, "the hosts-only save is not listed at all");
      assert.deepEqual(mine[0]!.files, [{ file: "/etc/hostname", current: true }], "the save of both shows hostname only");
      assert.ok(!JSON.stringify(await m.augeas.history()).includes("/etc/hosts"));
      await rejectsWithKind(m.augeas.history({ file: "/etc/hosts" }), "policy-denied");
    });
    await withClient(sb, async (m) => {
      // The entry is still there (the next test sees it), yet answers as one that does not exist.
      const hostsOnly = readAuditLines(sb.auditLog).filter((l) => l.method === "augeas.save" && l.outcome === "ok").at(-1)!.id;
      const e = await rejectsWithKind(m.augeas.rollback({ id: hostsOnly }), "not-found");
      assert.ok(!e.message.includes("/etc/hosts"), e.message);
    });
    sb.assertUnchanged(snapshot);
  } finally {
    await reload(POLICY);
  }
  await withClient(sb, async (m) => {
    const mine = await entriesSince(m, before);
    assert.equal(mine.length, 2);
    assert.deepEqual(mine[0]!.files, [{ file: "/etc/hosts", current: true }]);
  });
});

test("in total the history keeps to --history-max-bytes, the oldest entries going first", async () => {
  const sb = Sandbox.create({ policy: POLICY });
  const dir = path.join(sb.dir, "history");
  const max = 3000;
  const daemon = await startDaemon(sb, { args: ["--history-dir", dir, "--history-max-bytes", String(max)] });
  try {
    const ids: string[] = [];
    await withClient(sb, async (m) => {
      for (let i = 0; i < 8; i++) {
        await m.augeas.set({ path: "/files/etc/hosts/1/canonical", value: `host-${i}-${"x".repeat(300)}` });
        await m.augeas.save();
        ids.push((await m.augeas.history()).entries[0]!.id);
        const onDisk = fs.readdirSync(dir).reduce((n, e) => n + fs.readdirSync(path.join(dir, e)).reduce((k, f) => k + fs.statSync(path.join(dir, e, f)).size, 0), 0);
        assert.ok(onDisk <= max, `after save ${i}: ${onDisk} bytes on disk`);
      }
      const kept = (await m.augeas.history()).entries.map((e) => e.id);
      assert.ok(kept.length >= 2 && kept.length < 5, `kept ${kept.length}`);
      assert.deepEqual(kept, ids.slice(-kept.length).reverse(), "the newest are kept");
      // The newest can still be rolled back.
      await m.augeas.rollback({ id: kept[0]! });
    });
    assert.match(sb.read("/etc/hosts"), /host-6-/);
  } finally {
    await daemon.stop();
    sb.cleanup();
  }
});
