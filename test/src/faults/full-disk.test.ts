/**
 * Invariant 7: a save on a full disk fails with a clear `augeas` error naming
 * the file, and every original stays byte-identical (libaugeas writes a
 * temporary file and renames it, so running out of space happens before the
 * original is touched). The sandbox root is a real, tiny tmpfs (mount -t
 * tmpfs -o size=…; the tests run as root), filled to the last byte before
 * the save; freeing the space makes the same save succeed, which shows the
 * disk was the cause.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { rejectsWithKind, withClient } from "../harness/clients.js";
import { startDaemon, type DaemonProcess } from "../harness/daemon.js";
import { FIXTURES_ETC, Sandbox } from "../harness/sandbox.js";

const sandbox = Sandbox.create();
let daemon: DaemonProcess | undefined;
let mounted = false;
const FILLER = () => path.join(sandbox.root, "filler");

before(async () => {
  fs.rmSync(sandbox.root, { recursive: true, force: true });
  fs.mkdirSync(sandbox.root);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k,mode=0755", "machina-full-disk", sandbox.root], { stdio: "pipe" });
  mounted = true;
  fs.cpSync(FIXTURES_ETC, path.join(sandbox.root, "etc"), { recursive: true });
  daemon = await startDaemon(sandbox);
});

after(async () => {
  try {
    await daemon?.stop();
  } finally {
    if (mounted) execFileSync("umount", [sandbox.root], { stdio: "pipe" });
    sandbox.cleanup();
  }
});

/** Writes a file until the filesystem has no byte left. */
function fillDisk(): void {
  const fd = fs.openSync(FILLER(), "w");
  try {
    for (const size of [64 * 1024, 4096, 512, 64, 1]) {
      const chunk = Buffer.alloc(size, 0x78);
      for (;;) {
        try {
          if (fs.writeSync(fd, chunk) < size) break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw e;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  assert.equal(fs.statfsSync(sandbox.root).bavail, 0, "the tmpfs is full");
}

test("a save on a full disk fails with an augeas error naming the file; the originals are intact", async () => {
  const hostsBefore = sandbox.read("/etc/hosts");
  const hostnameBefore = sandbox.read("/etc/hostname");
  await withClient(sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/1/alias", value: "a-much-longer-alias-than-before" });
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "a-much-longer-hostname" });
    fillDisk();
    const snapshot = sandbox.snapshot();
    const e = await rejectsWithKind(m.augeas.save(), "augeas");
    assert.match(String(e.data.file ?? ""), /^\/etc\/(hosts|hostname)$/, JSON.stringify(e.data));
    assert.ok(!e.message.includes(sandbox.root), "the error names the file as the policy does, not the daemon's root");
    sandbox.assertUnchanged(snapshot);
    assert.equal(sandbox.read("/etc/hosts"), hostsBefore);
    assert.equal(sandbox.read("/etc/hostname"), hostnameBefore);
    // With space again, the same pending edits save.
    fs.rmSync(FILLER());
    assert.deepEqual((await m.augeas.save()).files.sort(), ["/etc/hostname", "/etc/hosts"]);
  });
  assert.equal(sandbox.read("/etc/hostname"), "a-much-longer-hostname\n");
  assert.match(sandbox.read("/etc/hosts"), /a-much-longer-alias-than-before/);
});
