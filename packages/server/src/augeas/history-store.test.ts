/**
 * The history store on a real directory: entries are written whole (temp
 * directory + rename) with root-only modes, pruned per file and in total
 * (oldest first), read back byte for byte after a restart, and nothing in it
 * follows a symbolic link or uses a directory another user could change.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, test } from "node:test";
import { HistoryEntryTooLarge, HistoryStore, HistoryUnavailable, isHistoryId, sha256, trustedDirectory, type HistoryCall } from "#src/augeas/history-store.js";
import type { Logger } from "#src/logger.js";

const warnings: string[] = [];
const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) };

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
  warnings.length = 0;
});

/** A fresh parent directory (0700, root's) and the history directory's path inside it (not created). */
function historyDir(): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "machina-history-"));
  temps.push(parent);
  return path.join(parent, "history");
}

let calls = 0;
function call(method = "augeas.save"): HistoryCall {
  return { id: `t${process.pid.toString(36)}-1-${++calls}`, time: new Date().toISOString(), peer: { pid: 42, uid: 33, gid: 33 }, method };
}

const bytes = (text: string) => Buffer.from(text);
const keepAll = () => 1000;

test("an entry keeps the previous bytes exactly, the hashes, and who saved; a new store reads it back", () => {
  const dir = historyDir();
  const store = new HistoryStore(dir, 1 << 20, logger);
  const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café\n" in Latin-1: not UTF-8
  const c = call();
  const entry = store.add(c, [
    { file: "/etc/hosts", previous: latin1, next: bytes("new hosts\n") },
    { file: "/etc/hostname", previous: null, next: bytes("box\n") },
  ], keepAll);
  assert.equal(entry.id, c.id);
  assert.deepEqual(entry.files.map((f) => [f.file, f.existed, f.previousSha256, f.newSha256, f.previousSize]), [
    ["/etc/hosts", true, sha256(latin1), sha256(bytes("new hosts\n")), 5],
    ["/etc/hostname", false, null, sha256(bytes("box\n")), 0],
  ]);
  const again = new HistoryStore(dir, 1 << 20, logger);
  const [read] = again.entries();
  assert.deepEqual(read, entry);
  assert.ok(Buffer.from(again.previousBytes(c.id, "/etc/hosts")!).equals(latin1));
  assert.equal(again.previousBytes(c.id, "/etc/hostname"), null);
});

test("the directory is created 0700, entries 0700, their files 0600; nothing else is left in it", () => {
  const dir = historyDir();
  const store = new HistoryStore(dir, 1 << 20, logger);
  const c = call();
  store.add(c, [{ file: "/etc/hosts", previous: bytes("old\n"), next: bytes("new\n") }], keepAll);
  assert.equal(fs.statSync(dir).mode & 0o7777, 0o700);
  assert.deepEqual(fs.readdirSync(dir), [c.id], "no temporary directory left behind");
  assert.equal(fs.statSync(path.join(dir, c.id)).mode & 0o7777, 0o700);
  for (const f of fs.readdirSync(path.join(dir, c.id))) assert.equal(fs.statSync(path.join(dir, c.id, f)).mode & 0o7777, 0o600, f);
});

test("a looser directory of root's is tightened to 0700; one others can write, or another user's, is refused", () => {
  const dir = historyDir();
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  new HistoryStore(dir, 1 << 20, logger).open();
  assert.equal(fs.statSync(dir).mode & 0o7777, 0o700);

  fs.chmodSync(dir, 0o777);
  assert.throws(() => new HistoryStore(dir, 1 << 20, logger).open(), (e: Error) => e instanceof HistoryUnavailable && /writable by others/.test(e.message));
  fs.chmodSync(dir, 0o700);
  fs.chownSync(dir, 65534, 65534);
  assert.throws(() => new HistoryStore(dir, 1 << 20, logger).open(), (e: Error) => e instanceof HistoryUnavailable && /owned by uid 65534/.test(e.message));
  fs.chownSync(dir, 0, 0);

  // A parent another user could change: the directory inside it could be swapped.
  const parent = path.dirname(dir);
  fs.chmodSync(parent, 0o777);
  assert.throws(() => new HistoryStore(path.join(parent, "other"), 1 << 20, logger).open(), /writable by others without the sticky bit/);
  assert.equal(fs.existsSync(path.join(parent, "other")), false, "not created there");
  fs.chmodSync(parent, 0o700);
  assert.throws(() => trustedDirectory("relative/history"), /not an absolute path/);
});

test("a symbolic link as the directory is refused, not followed", () => {
  const dir = historyDir();
  const real = path.join(path.dirname(dir), "real");
  fs.mkdirSync(real, { mode: 0o700 });
  fs.symlinkSync(real, dir);
  assert.throws(() => new HistoryStore(dir, 1 << 20, logger).open(), /symbolic link/);
  assert.deepEqual(fs.readdirSync(real), []);
});

test("symbolic links inside are never followed: a linked entry is ignored, a linked blob is not read", () => {
  const dir = historyDir();
  const store = new HistoryStore(dir, 1 << 20, logger);
  const c = call();
  store.add(c, [{ file: "/etc/hosts", previous: bytes("old\n"), next: bytes("new\n") }], keepAll);
  // Another entry's directory, linked in under a name an entry could have.
  const elsewhere = path.join(path.dirname(dir), "elsewhere");
  fs.cpSync(path.join(dir, c.id), elsewhere, { recursive: true });
  fs.symlinkSync(elsewhere, path.join(dir, "linked-1-1"));
  // The blob replaced by a link to a file whose bytes hash the same (so only O_NOFOLLOW stops it).
  const blob = path.join(dir, c.id, "0.prev");
  fs.renameSync(blob, path.join(path.dirname(dir), "blob"));
  fs.symlinkSync(path.join(path.dirname(dir), "blob"), blob);
  const fresh = new HistoryStore(dir, 1 << 20, logger);
  assert.deepEqual(fresh.entries().map((e) => e.id), [], "the entry with a linked blob and the linked entry are both skipped");
  assert.ok(warnings.some((w) => /linked-1-1: a symbolic link/.test(w)), warnings.join("\n"));
  assert.throws(() => store.previousBytes(c.id, "/etc/hosts"), /ELOOP/);
});

test("per file, only the N newest versions are kept; an entry loses the files it no longer holds, then goes", () => {
  const dir = historyDir();
  const store = new HistoryStore(dir, 1 << 20, logger);
  const keep = (file: string) => (file === "/etc/hosts" ? 2 : 3);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const c = call();
    ids.push(c.id);
    store.add(c, [
      { file: "/etc/hosts", previous: bytes(`hosts ${i}\n`), next: bytes(`hosts ${i + 1}\n`) },
      ...(i === 0 ? [{ file: "/etc/hostname", previous: bytes("h0\n"), next: bytes("h1\n") }] : []),
    ], keep);
  }
  const entries = store.entries();
  assert.deepEqual(entries.map((e) => e.id), [ids[3], ids[2], ids[0]], "newest first; ids[1] went with its only file");
  assert.deepEqual(entries[2]!.files.map((f) => f.file), ["/etc/hostname"], "the oldest entry kept hostname only");
  assert.deepEqual(fs.readdirSync(path.join(dir, ids[0]!)).sort(), ["1.prev", "meta.json"], "hosts' previous bytes are gone from disk");
  assert.equal(fs.existsSync(path.join(dir, ids[1]!)), false);
  assert.ok(store.previousBytes(ids[0]!, "/etc/hostname")!.equals(bytes("h0\n")));
  assert.throws(() => store.previousBytes(ids[0]!, "/etc/hosts"), HistoryUnavailable);
  // A restart sees the same.
  assert.deepEqual(new HistoryStore(dir, 1 << 20, logger).entries(), entries);
});

test("in total, the oldest entries go first until the history fits --history-max-bytes", () => {
  const dir = historyDir();
  const max = 40_000;
  const store = new HistoryStore(dir, max, logger);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const c = call();
    ids.push(c.id);
    store.add(c, [{ file: `/etc/f${i}`, previous: crypto.randomBytes(10_000), next: bytes("x") }], keepAll);
    assert.ok(store.totalBytes <= max, `after entry ${i}: ${store.totalBytes} bytes`);
  }
  const kept = store.entries().map((e) => e.id);
  assert.deepEqual(kept, ids.slice(-kept.length).reverse(), "the newest ones are kept");
  assert.equal(kept.length, 3);
  const onDisk = fs.readdirSync(dir).reduce((n, id) => n + fs.readdirSync(path.join(dir, id)).reduce((m, f) => m + fs.statSync(path.join(dir, id, f)).size, 0), 0);
  assert.equal(onDisk, store.totalBytes, "the store's count is what the files take");
});

test("an entry larger than the whole bound is refused and leaves nothing", () => {
  const dir = historyDir();
  const store = new HistoryStore(dir, 1000, logger);
  assert.throws(() => store.add(call(), [{ file: "/etc/big", previous: Buffer.alloc(2000), next: bytes("x") }], keepAll), HistoryEntryTooLarge);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test("what an interrupted write or removal left is cleared at the next open; a damaged blob is never restored", () => {
  const dir = historyDir();
  const store = new HistoryStore(dir, 1 << 20, logger);
  const c = call();
  store.add(c, [{ file: "/etc/hosts", previous: bytes("old\n"), next: bytes("new\n") }], keepAll);
  fs.mkdirSync(path.join(dir, ".tmp-x-1-1-abcdef"));
  fs.writeFileSync(path.join(dir, ".tmp-x-1-1-abcdef", "meta.json"), "{");
  fs.mkdirSync(path.join(dir, ".trash-x-1-2-abcdef"));
  const fresh = new HistoryStore(dir, 1 << 20, logger);
  assert.deepEqual(fresh.entries().map((e) => e.id), [c.id]);
  assert.deepEqual(fs.readdirSync(dir), [c.id]);
  fs.writeFileSync(path.join(dir, c.id, "0.prev"), "tampered\n");
  assert.throws(() => fresh.previousBytes(c.id, "/etc/hosts"), /damaged/);
});

test("ids that could be paths are refused; an id is recorded once; remove() drops an entry", () => {
  for (const bad of ["../x", "a/b", ".", "", "A-1", "x".repeat(65), "-a", "a--b"]) assert.equal(isHistoryId(bad), false, bad);
  const dir = historyDir();
  const store = new HistoryStore(dir, 1 << 20, logger);
  assert.throws(() => store.add({ ...call(), id: "../escape" }, [{ file: "/etc/hosts", previous: null, next: bytes("x") }], keepAll), HistoryUnavailable);
  assert.equal(store.entry("../escape"), undefined);
  const c = call();
  store.add(c, [{ file: "/etc/hosts", previous: null, next: bytes("x") }], keepAll);
  assert.throws(() => store.add(c, [{ file: "/etc/hosts", previous: null, next: bytes("y") }], keepAll), /exists already/);
  store.remove(c.id);
  assert.deepEqual(store.entries(), []);
  assert.deepEqual(fs.readdirSync(dir), []);
});
