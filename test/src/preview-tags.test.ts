/**
 * Tags and expectations against the real daemon: a preview names the version
 * of each file it was made from (a tag), and a save or apply given that tag
 * (`expect`) writes nothing — `conflict`, naming the file and nothing of its
 * content — when another writer changed the file since, even when the
 * change would merge cleanly (which, without `expect`, it silently does).
 * Tags are keyed per daemon start, survive a restart of the Augeas host, and
 * chain: a save answers the tags of what it wrote.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { test } from "node:test";
import type { AugeasChange } from "@machina/client";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { MACHINA, cleanEnv, run, startDaemon, type RunResult } from "./harness/daemon.js";
import { fixtureText } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";

const suite = daemonSuite();
const HOSTS = fixtureText("hosts");

/** Adds an alias to the localhost entry: the edit the user previews. */
const ADD_ALIAS: AugeasChange[] = [{ op: "set", path: "/files/etc/hosts/1/alias", value: "loopback" }];
const WITH_ALIAS = HOSTS.replace("127.0.0.1\tlocalhost\n", "127.0.0.1\tlocalhost loopback\n");
/** What another writer does meanwhile: a new entry at the end (which the edit above would merge with). */
const THEIRS = HOSTS + "192.0.2.9\tother.example.org\n";

/** The tag a preview of ADD_ALIAS answers for /etc/hosts now. */
async function previewTag(): Promise<string> {
  return withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({ changes: ADD_ALIAS, preview: true });
    assert.deepEqual(
      r.changes.map((c) => c.file),
      ["/etc/hosts"],
    );
    return r.changes[0]!.tag;
  });
}

test("every previewed file has a tag; it stays while the file does, and changes with its bytes, its mtime or its inode", async () => {
  const tag = await previewTag();
  assert.match(tag, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(await previewTag(), tag, "the same version has the same tag");
  await withClient(suite.sandbox, async (m) => {
    // augeas.preview of pending edits and apply {preview} agree, for every file listed.
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "box" });
    const pending = await m.augeas.preview();
    const both = await m.augeas.apply({ changes: ADD_ALIAS, preview: true });
    assert.deepEqual(
      both.changes.map((c) => [c.file, c.tag]),
      [
        ["/etc/hostname", pending.changes[0]!.tag],
        ["/etc/hosts", tag],
      ],
    );
    assert.notEqual(pending.changes[0]!.tag, tag, "each file has its own");
    await m.augeas.discard();
  });
  suite.sandbox.restoreFixtures();
  const fresh = await previewTag();
  assert.notEqual(fresh, tag, "a new file (another inode, another mtime) is another version, even with the same bytes");

  // The same bytes written again in place: another mtime, another tag.
  const file = suite.sandbox.path("/etc/hosts");
  const { mtime } = fs.statSync(file);
  fs.utimesSync(file, mtime, new Date(mtime.getTime() + 5000));
  const touched = await previewTag();
  assert.notEqual(touched, fresh, "a touched file is another version");
  // … and replaced by a rename with the same bytes and the same mtime: another inode, another tag.
  const stat = fs.statSync(file);
  fs.writeFileSync(`${file}.new`, HOSTS);
  fs.utimesSync(`${file}.new`, stat.atime, stat.mtime);
  fs.renameSync(`${file}.new`, file);
  assert.notEqual(await previewTag(), touched, "a renamed-over file is another version");
});

test("a tag is keyed: it is no plain hash of the bytes, and a daemon started again answers other tags for the same file", async () => {
  const tag = await previewTag();
  const bytes = fs.readFileSync(suite.sandbox.path("/etc/hosts"));
  for (const algorithm of ["sha256", "sha1", "md5", "sha512"]) {
    for (const encoding of ["hex", "base64", "base64url"] as const) {
      assert.ok(!createHash(algorithm).update(bytes).digest(encoding).startsWith(tag.slice(0, 16)), `${algorithm}/${encoding}`);
    }
  }
  // A second daemon on the same files: same versions, other tags.
  const other = await startDaemon(suite.sandbox, { args: ["--socket", `${suite.sandbox.socket}.2`] });
  try {
    const theirs = await withClient(suite.sandbox, async (m) => (await m.augeas.apply({ changes: ADD_ALIAS, preview: true })).changes[0]!.tag, {
      socket: `${suite.sandbox.socket}.2`,
    });
    assert.notEqual(theirs, tag);
  } finally {
    await other.stop();
  }
  assert.equal(await previewTag(), tag, "the first daemon still answers its own tag");
});

test("a tag survives a restart of the Augeas host (the daemon keeps the key)", async () => {
  const tag = await previewTag();
  const children = () =>
    fs
      .readdirSync(`/proc/${suite.daemon.pid}/task`)
      .flatMap((t) => fs.readFileSync(`/proc/${suite.daemon.pid}/task/${t}/children`, "utf8").trim().split(/\s+/))
      .filter((p) => p !== "")
      .map(Number);
  const hosts = children();
  assert.ok(hosts.length > 0, "the daemon runs its Augeas host");
  // The daemon's own children, started by this test's daemon: its Augeas host (and a spare one).
  for (const pid of hosts) process.kill(pid, "SIGKILL");
  await waitFor(() => children().every((p) => !hosts.includes(p)), "the Augeas host to be gone");
  const again = await waitFor(async () => {
    try {
      return await previewTag();
    } catch {
      return undefined; // the daemon may notice the host's death only with this request
    }
  }, "a preview from the new host");
  assert.equal(again, tag);
});

test("preview, another writer edits the file, apply with the tag: conflict, and the file keeps the other writer's bytes", async () => {
  const tag = await previewTag();
  suite.sandbox.write("/etc/hosts", THEIRS);
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.augeas.apply({ changes: ADD_ALIAS, expect: { "/etc/hosts": tag } }), "conflict");
    assert.equal(e.data.file, "/etc/hosts");
    assert.match(e.message, /^\/etc\/hosts is not the version you expected/);
    for (const word of ["192.0.2.9", "other.example.org", "localhost"]) assert.ok(!e.message.includes(word), `the message holds no content: ${e.message}`);
    // Nothing of the call stays pending.
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
  });
  assert.equal(suite.sandbox.read("/etc/hosts"), THEIRS);
  // Without expect, the same apply merges onto the other writer's version: what expect is for.
  await withClient(suite.sandbox, async (m) => assert.equal((await m.augeas.apply({ changes: ADD_ALIAS })).saved, true));
  assert.equal(suite.sandbox.read("/etc/hosts"), THEIRS.replace("127.0.0.1\tlocalhost\n", "127.0.0.1\tlocalhost loopback\n"));
});

test("a change of metadata alone (touch) is a conflict too, and a preview with a stale tag is refused as well", async () => {
  const tag = await previewTag();
  const file = suite.sandbox.path("/etc/hosts");
  const { atime, mtime } = fs.statSync(file);
  fs.utimesSync(file, atime, new Date(mtime.getTime() - 60_000));
  await withClient(suite.sandbox, async (m) => {
    await rejectsWithKind(m.augeas.apply({ changes: ADD_ALIAS, expect: { "/etc/hosts": tag } }), "conflict");
    await rejectsWithKind(m.augeas.apply({ changes: ADD_ALIAS, preview: true, expect: { "/etc/hosts": tag } }), "conflict");
  });
  assert.equal(suite.sandbox.read("/etc/hosts"), HOSTS);
});

test("apply with the right tag saves, and answers the tags of what it wrote, which the next apply can expect", async () => {
  const tag = await previewTag();
  await withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({ changes: ADD_ALIAS, expect: { "/etc/hosts": tag } });
    assert.deepEqual([r.applied, r.saved, r.changed, r.files], [true, true, true, ["/etc/hosts"]]);
    assert.equal(r.changes[0]!.tag, tag, "the diff was made from the expected version");
    assert.deepEqual(Object.keys(r.tags), ["/etc/hosts"]);
    assert.notEqual(r.tags["/etc/hosts"], tag);
    // The same session, the next edit, bound to the version just written.
    const rename: AugeasChange[] = [{ op: "set", path: "/files/etc/hostname/hostname", value: "box" }];
    const hostnameTag = (await m.augeas.apply({ changes: rename, preview: true })).changes[0]!.tag;
    const next = await m.augeas.apply({ changes: rename, expect: { "/etc/hosts": r.tags["/etc/hosts"]!, "/etc/hostname": hostnameTag } });
    assert.deepEqual(next.files, ["/etc/hostname"]);
  });
  assert.equal(suite.sandbox.read("/etc/hosts"), WITH_ALIAS);
  assert.equal(suite.sandbox.read("/etc/hostname"), "box\n");
  // A new session sees the saved version under the tag the save answered.
  const written = await withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/hosts/1/alias", value: "lo" }], preview: true });
    return r.changes[0]!.tag;
  });
  await withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/hostname/hostname", value: "box3" }], expect: { "/etc/hosts": written } });
    assert.equal(r.saved, true);
  });
});

test("augeas.save checks expect too: a stale tag keeps the edits pending and writes nothing; the right one saves", async () => {
  const tag = await previewTag();
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.apply({ changes: ADD_ALIAS, preview: true });
    await m.augeas.set({ path: "/files/etc/hosts/1/alias", value: "loopback" });
    const pending = await m.augeas.preview();
    assert.equal(pending.changes[0]!.tag, tag);
    const before = suite.sandbox.snapshot();
    const e = await rejectsWithKind(m.augeas.save({ expect: { "/etc/hosts": "absent" } }), "conflict");
    assert.equal(e.data.file, "/etc/hosts");
    suite.sandbox.assertUnchanged(before);
    assert.deepEqual(await m.augeas.preview(), pending, "the edits are still pending");
    const saved = await m.augeas.save({ expect: { "/etc/hosts": tag } });
    assert.deepEqual([saved.files, saved.changed], [["/etc/hosts"], true]);
    assert.deepEqual(Object.keys(saved.tags), ["/etc/hosts"]);
  });
  assert.equal(suite.sandbox.read("/etc/hosts"), WITH_ALIAS);
});

test("expect may name any policy file (a missing one has the tag 'absent'), and no other file", async () => {
  await withClient(suite.sandbox, async (m) => {
    const before = suite.sandbox.snapshot();
    for (const file of ["/etc/shadow", "/etc/hosts/", "etc/hosts", "/etc/../etc/hosts"]) {
      const e = await rejectsWithKind(m.augeas.apply({ changes: ADD_ALIAS, expect: { [file]: "absent" } }), "policy-denied");
      assert.equal(e.data.target, file);
      await rejectsWithKind(m.augeas.save({ expect: { [file]: "absent" } }), "policy-denied");
    }
    // A file the call does not edit may be named: here it exists, so it is not `absent`.
    const e = await rejectsWithKind(m.augeas.apply({ changes: ADD_ALIAS, expect: { "/etc/default/locale": "absent" } }), "conflict");
    assert.equal(e.data.file, "/etc/default/locale");
    suite.sandbox.assertUnchanged(before);
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
  });
  fs.rmSync(suite.sandbox.path("/etc/default/locale"));
  await withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({ changes: ADD_ALIAS, expect: { "/etc/default/locale": "absent" } });
    assert.deepEqual(r.files, ["/etc/hosts"]);
  });
});

/** Runs the `machina` CLI against the suite's daemon (busy: retried). */
async function machina(args: string[], input?: string): Promise<RunResult> {
  return waitFor(async () => {
    const r = await run(MACHINA, ["--socket", suite.sandbox.socket, "--secret-file", suite.sandbox.secretFile, ...args], {
      ...(input !== undefined ? { input } : {}),
      env: cleanEnv(),
    });
    return r.code === 3 && /^machina: busy/.test(r.stderr) ? undefined : r;
  }, "the daemon's session slot to be free");
}

test("the CLI: apply --preview prints the tag, apply --expect refuses a changed file (exit 1) and saves an unchanged one", async () => {
  const script = 'set /files/etc/hosts/1/alias loopback\n';
  const preview = await machina(["apply", "--preview", "-"], script);
  assert.equal(preview.code, 0, preview.stderr);
  const [first, ...diff] = preview.stdout.split("\n");
  const tag = /^tag \/etc\/hosts ([A-Za-z0-9_-]{43})$/.exec(first!)?.[1];
  assert.ok(tag, preview.stdout);
  assert.equal(diff[0], "--- a/etc/hosts");
  const json = await machina(["--json", "apply", "--preview", "-"], script);
  assert.equal((JSON.parse(json.stdout) as { changes: { tag: string }[] }).changes[0]!.tag, tag);

  suite.sandbox.write("/etc/hosts", THEIRS);
  const refused = await machina(["apply", "--expect", `/etc/hosts=${tag}`, "-"], script);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^machina: conflict: \/etc\/hosts is not the version you expected/);
  assert.equal(suite.sandbox.read("/etc/hosts"), THEIRS);

  const again = /^tag \/etc\/hosts (\S+)$/m.exec((await machina(["apply", "--preview", "-"], script)).stdout)![1]!;
  const applied = await machina(["apply", "--expect", `/etc/hosts=${again}`, "-"], script);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(suite.sandbox.read("/etc/hosts"), THEIRS.replace("127.0.0.1\tlocalhost\n", "127.0.0.1\tlocalhost loopback\n"));
});
