/**
 * Invariant 7 against another writer of a policy file, at the two moments a
 * write used to slip through (deterministically, by hooking the workspace's
 * own libaugeas handle): between libaugeas' read in aug_load and the conflict
 * snapshot, and while libaugeas produces the new text during a save. The
 * other writer's change must never be silently reverted: either the tree
 * holds it, or the save is a `conflict` and the file keeps it.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { Fault } from "#src/faults.js";
import { createLogger } from "#src/logger.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { AugeasWorkspace } from "#src/augeas/workspace.js";
import { WRITE_BOTH_POLICY } from "./augeas-sandbox.test-support.js";

const HOSTS = "127.0.0.1 localhost\n";

let root: string;
let ws: AugeasWorkspace;
const logged: string[] = [];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "machina-concurrency-"));
  fs.mkdirSync(path.join(root, "etc"));
  fs.writeFileSync(path.join(root, "etc/hostname"), "original\n");
  fs.writeFileSync(path.join(root, "etc/hosts"), HOSTS);
  logged.length = 0;
  ws = new AugeasWorkspace(root, parsePolicy(WRITE_BOTH_POLICY, "test.toml").augeas, new Map(), createLogger("debug", (l) => void logged.push(l)));
});

afterEach(() => {
  ws.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const onDisk = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
const otherWriter = (text: string) => fs.writeFileSync(path.join(root, "etc/hostname"), text);

/** Saves hostname = "ours" and answers the error kind, or "ok". */
async function saveOurs(): Promise<string> {
  ws.aug.set("/files/etc/hostname/hostname", "ours");
  try {
    await ws.save(["/etc/hostname"]);
    return "ok";
  } catch (e) {
    if (e instanceof Fault) return e.kind;
    throw e;
  }
}

test("a change made right after libaugeas read the file in aug_load is never reverted by a save", async () => {
  const load = ws.aug.load.bind(ws.aug);
  let writes = 0;
  ws.aug.load = () => {
    load();
    // Once: the file changes after libaugeas parsed it, before anything else is read.
    if (writes++ === 0) otherWriter("theirs\n");
  };
  ws.reset();
  const seen = ws.aug.get("/files/etc/hostname/hostname");
  const outcome = await saveOurs();
  // Never silently reverted: a save that succeeds must have started from their change …
  if (outcome === "ok") assert.equal(seen, "theirs", "the save succeeded, so the tree must have held the other writer's change");
  else assert.deepEqual([outcome, onDisk("/etc/hostname")], ["conflict", "theirs\n"]);
  // … and here it does: the file was loaded again, the tree holds their change, and the save goes through.
  assert.equal(outcome, "ok");
  assert.equal(onDisk("/etc/hostname"), "ours\n");
});

test("a file that keeps changing while it is loaded cannot be saved over", async () => {
  const load = ws.aug.load.bind(ws.aug);
  let n = 0;
  ws.aug.load = () => {
    load();
    otherWriter(`theirs-${++n}\n`);
  };
  ws.reset();
  ws.aug.load = load;
  assert.equal(await saveOurs(), "conflict");
  assert.equal(onDisk("/etc/hostname"), `theirs-${n}\n`);
  assert.ok(logged.some((l) => l.includes("kept changing")));
  // The next session starts from what is on disk and saves normally.
  ws.reset();
  assert.equal(await saveOurs(), "ok");
  assert.equal(onDisk("/etc/hostname"), "ours\n");
});

test("a change made while libaugeas produces the new text is a conflict, and stays on disk", async () => {
  const save = ws.aug.save.bind(ws.aug);
  ws.aug.save = () => {
    // libaugeas reads the original when it starts writing; the other writer is just ahead of it.
    otherWriter("theirs\n");
    save();
  };
  assert.equal(await saveOurs(), "conflict");
  assert.equal(onDisk("/etc/hostname"), "theirs\n");
  assert.deepEqual(fs.readdirSync(path.join(root, "etc")).sort(), ["hostname", "hosts"], "nothing is left behind");
});

test("a change made right after libaugeas produced the new text is a conflict, and stays on disk", async () => {
  const save = ws.aug.save.bind(ws.aug);
  ws.aug.save = () => {
    save();
    otherWriter("theirs\n");
  };
  assert.equal(await saveOurs(), "conflict");
  assert.equal(onDisk("/etc/hostname"), "theirs\n");
  // The pending edit survives the refusal: after a discard-free retry it is still a conflict (the session's view is gone) …
  ws.aug.save = save;
  assert.equal(await saveOurs(), "conflict");
  // … until the session starts over from the disk.
  ws.reset();
  assert.equal(await saveOurs(), "ok");
  assert.equal(onDisk("/etc/hostname"), "ours\n");
});

test("a save answers only after the new text is in place, and the next save of the same session is not a conflict", async () => {
  assert.equal(await saveOurs(), "ok");
  assert.equal(onDisk("/etc/hostname"), "ours\n");
  ws.aug.set("/files/etc/hostname/hostname", "again");
  assert.deepEqual((await ws.save(["/etc/hostname"])).files, ["/etc/hostname"]);
  assert.equal(onDisk("/etc/hostname"), "again\n");
  // A hosts entry added the augtool way (label 01, which the lens renumbers on reading) saves twice in one session too.
  ws.aug.set("/files/etc/hosts/01/ipaddr", "10.0.0.1");
  ws.aug.set("/files/etc/hosts/01/canonical", "one");
  assert.deepEqual((await ws.save(["/etc/hosts"])).files, ["/etc/hosts"]);
  ws.aug.set("/files/etc/hosts/01/canonical", "uno");
  assert.deepEqual((await ws.save(["/etc/hosts"])).files, ["/etc/hosts"]);
  assert.equal(onDisk("/etc/hosts"), `${HOSTS}10.0.0.1\tuno\n`);
  assert.deepEqual(fs.readdirSync(path.join(root, "etc")).sort(), ["hostname", "hosts"]);
});

test("a leftover FILE.augnew is never overwritten: saving FILE is a conflict while it exists", async () => {
  fs.writeFileSync(path.join(root, "etc/hostname.augnew"), "someone's proposal\n");
  assert.equal(await saveOurs(), "conflict");
  assert.equal(fs.readFileSync(path.join(root, "etc/hostname.augnew"), "utf8"), "someone's proposal\n");
  assert.equal(onDisk("/etc/hostname"), "original\n");
});
