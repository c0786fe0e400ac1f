/**
 * File tags (file-tag.ts) and the workspace's expectations: a tag is keyed,
 * bound to the file's path, and moves with its bytes, size, inode and mtime;
 * `expect` is checked before a save writes anything and again right before
 * its renames — where a change that leaves the bytes alone (which the
 * content snapshot cannot see) is still a conflict.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { Fault } from "#src/faults.js";
import { createLogger } from "#src/logger.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { DEFAULT_SESSION_LIMITS } from "#src/limits.js";
import { ABSENT_TAG, fileTag, newTagKey, readFileVersion } from "#src/augeas/file-tag.js";
import { AugeasWorkspace } from "#src/augeas/workspace.js";
import { WRITE_BOTH_POLICY } from "./augeas-sandbox.test-support.js";

let root: string;
const key = newTagKey();
const tagOf = (file: string, k = key) => readFileVersion(root, file, k).tag;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "machina-tag-"));
  fs.mkdirSync(path.join(root, "etc"));
  fs.writeFileSync(path.join(root, "etc/hostname"), "original\n");
  fs.writeFileSync(path.join(root, "etc/hosts"), "127.0.0.1 localhost\n");
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

test("a tag is stable for one version and names the bytes it was read with", () => {
  const version = readFileVersion(root, "/etc/hostname", key);
  assert.deepEqual(version.bytes, Buffer.from("original\n"));
  assert.match(version.tag, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(tagOf("/etc/hostname"), version.tag);
  assert.deepEqual(readFileVersion(root, "/etc/missing", key), { bytes: null, tag: ABSENT_TAG });
});

test("a tag changes with the bytes, the mtime and the inode, and differs per file and per key", () => {
  const file = path.join(root, "etc/hostname");
  const first = tagOf("/etc/hostname");
  const { atime, mtime } = fs.statSync(file);
  // Same size, other bytes, same mtime.
  fs.writeFileSync(file, "ORIGINAL\n");
  fs.utimesSync(file, atime, mtime);
  const otherBytes = tagOf("/etc/hostname");
  assert.notEqual(otherBytes, first);
  // Same bytes again, another mtime.
  fs.writeFileSync(file, "original\n");
  fs.utimesSync(file, atime, new Date(mtime.getTime() + 1));
  const otherMtime = tagOf("/etc/hostname");
  assert.notEqual(otherMtime, first);
  // Same bytes and mtime, another inode.
  const st = fs.statSync(file);
  fs.writeFileSync(`${file}.new`, "original\n");
  fs.utimesSync(`${file}.new`, st.atime, st.mtime);
  fs.renameSync(`${file}.new`, file);
  assert.notEqual(tagOf("/etc/hostname"), otherMtime);
  // Another key, another tag; the same identity and bytes under another name, another tag.
  assert.notEqual(tagOf("/etc/hostname", newTagKey()), tagOf("/etc/hostname"));
  const identity = { dev: 1n, ino: 2n, size: 9n, mtimeNs: 3n };
  const bytes = Buffer.from("original\n");
  assert.notEqual(fileTag(key, "/etc/hostname", identity, bytes), fileTag(key, "/etc/hosts", identity, bytes));
  assert.equal(fileTag(key, "/etc/hostname", identity, bytes), fileTag(Buffer.from(key), "/etc/hostname", { ...identity }, Buffer.from(bytes)));
  // No plain hash of the content.
  assert.notEqual(fileTag(key, "/etc/hostname", identity, bytes), createHash("sha256").update(bytes).digest("base64url"));
});

test("expect is checked again right before the renames: a touch while the new texts are made is a conflict", async () => {
  const ws = new AugeasWorkspace(root, parsePolicy(WRITE_BOTH_POLICY, "test.toml").augeas, new Map(), createLogger("error"), DEFAULT_SESSION_LIMITS, key);
  try {
    const tag = tagOf("/etc/hostname");
    ws.aug.set("/files/etc/hostname/hostname", "ours");
    const save = ws.aug.save.bind(ws.aug);
    ws.aug.save = () => {
      save();
      // Bytes unchanged (the content snapshot cannot tell), mtime moved: another version.
      const file = path.join(root, "etc/hostname");
      const { atime, mtime } = fs.statSync(file);
      fs.utimesSync(file, atime, new Date(mtime.getTime() + 1000));
    };
    await assert.rejects(ws.save(["/etc/hostname"], { "/etc/hostname": tag }), (e: unknown) => e instanceof Fault && e.kind === "conflict" && (e.fields as { file?: string }).file === "/etc/hostname");
    assert.equal(fs.readFileSync(path.join(root, "etc/hostname"), "utf8"), "original\n");
    assert.deepEqual(fs.readdirSync(path.join(root, "etc")).sort(), ["hostname", "hosts"], "nothing left behind");
    // Without the hook, and expecting the version now on disk, the edit saves; the answer's tag is the file's.
    // (Made again: it was not journaled, so the abandoned save's rebuild of the pending edits dropped it.)
    ws.aug.save = save;
    ws.aug.set("/files/etc/hostname/hostname", "ours");
    const saved = await ws.save(["/etc/hostname"], { "/etc/hostname": tagOf("/etc/hostname") });
    assert.deepEqual([saved.files, saved.changed], [["/etc/hostname"], true]);
    assert.deepEqual(saved.tags, { "/etc/hostname": tagOf("/etc/hostname") });
    assert.equal(fs.readFileSync(path.join(root, "etc/hostname"), "utf8"), "ours\n");
  } finally {
    ws.close();
  }
});
