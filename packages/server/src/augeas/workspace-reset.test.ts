/**
 * A session's reset keeps the tree only when nothing could have changed it:
 * after reads alone, with every file the same inode and change time as when
 * it was loaded, well before the load. Anything else — a file rewritten in
 * place with its mtime set back, replaced, removed, made untrusted, changed
 * close to the load, or any call but a read — parses the files again. Loads
 * are counted on the workspace's own libaugeas handle.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "#src/logger.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { AugeasWorkspace } from "#src/augeas/workspace.js";
import { AugeasLocalRuntime } from "#src/augeas/local-runtime.js";
import { runCall } from "#src/augeas/host/host-calls.js";
import { WRITE_BOTH_POLICY } from "./augeas-sandbox.test-support.js";

const quiet = createLogger("error", () => undefined);
// Longer than the workspace's RACY_NS: a file last changed this long before a load may be kept.
const SETTLED_MS = 250;

let root: string;
const closers: (() => void)[] = [];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "machina-reset-"));
  fs.mkdirSync(path.join(root, "etc"));
  fs.writeFileSync(path.join(root, "etc/hostname"), "original\n");
  fs.writeFileSync(path.join(root, "etc/hosts"), "127.0.0.1 localhost\n");
});

afterEach(() => {
  for (const close of closers.splice(0)) close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A workspace loaded SETTLED_MS after the files were written, and a count of its loads from now on. */
async function settledWorkspace(): Promise<{ ws: AugeasWorkspace; loads: () => number }> {
  await sleep(SETTLED_MS);
  const ws = new AugeasWorkspace(root, parsePolicy(WRITE_BOTH_POLICY, "test.toml").augeas, new Map(), quiet);
  closers.push(() => ws.close());
  return { ws, loads: countLoads(ws) };
}

function countLoads(ws: AugeasWorkspace): () => number {
  const load = ws.aug.load.bind(ws.aug);
  let n = 0;
  ws.aug.load = () => {
    n++;
    load();
  };
  return () => n;
}

const hostname = (ws: AugeasWorkspace) => ws.aug.get("/files/etc/hostname/hostname");

test("after reads only, a reset keeps the tree: no file is parsed again", async () => {
  const { ws, loads } = await settledWorkspace();
  assert.equal(hostname(ws), "original");
  ws.reset();
  ws.reset();
  assert.equal(loads(), 0);
  assert.equal(hostname(ws), "original");
});

test("a file rewritten in place, same size and inode, its mtime set back, is parsed again", async () => {
  const { ws, loads } = await settledWorkspace();
  const file = path.join(root, "etc/hostname");
  const before = fs.statSync(file);
  const fd = fs.openSync(file, "r+");
  fs.writeSync(fd, "rewrotes\n", 0);
  fs.closeSync(fd);
  fs.utimesSync(file, before.atime, before.mtime);
  assert.equal(fs.statSync(file).ino, before.ino);
  assert.ok(Math.abs(fs.statSync(file).mtimeMs - before.mtimeMs) < 1, "the mtime is as it was");
  ws.reset();
  assert.equal(loads(), 1);
  assert.equal(hostname(ws), "rewrotes");
});

test("a file replaced by a rename, or removed, is parsed again", async () => {
  const { ws, loads } = await settledWorkspace();
  fs.writeFileSync(path.join(root, "etc/hostname.new"), "renamed\n");
  fs.renameSync(path.join(root, "etc/hostname.new"), path.join(root, "etc/hostname"));
  ws.reset();
  assert.equal(loads(), 1);
  assert.equal(hostname(ws), "renamed");
  await sleep(SETTLED_MS);
  ws.reset();
  fs.rmSync(path.join(root, "etc/hostname"));
  ws.reset();
  assert.equal(hostname(ws) ?? null, null);
  assert.equal(ws.aug.match("/files/etc/hostname").length, 0);
});

test("a file whose directory became untrusted is not kept: the reset refuses to load it", async () => {
  const { ws, loads } = await settledWorkspace();
  fs.chmodSync(path.join(root, "etc"), 0o777);
  ws.reset();
  assert.equal(loads(), 1);
  assert.match(ws.describeFiles().find((f) => f.rule.path === "/etc/hostname")?.problem ?? "", /not loaded/);
  assert.equal(hostname(ws) ?? null, null);
});

test("a file changed close to its load is parsed again at every reset until it has settled", async () => {
  const ws = new AugeasWorkspace(root, parsePolicy(WRITE_BOTH_POLICY, "test.toml").augeas, new Map(), quiet);
  closers.push(() => ws.close());
  const loads = countLoads(ws);
  // Written just now: a second write in the same clock tick as the load could leave its change time unmoved.
  ws.reset();
  assert.equal(loads(), 1);
  await sleep(SETTLED_MS);
  ws.reset(); // loaded again, now long after the change
  ws.reset();
  assert.equal(loads(), 2);
});

test("after an edit of the tree (touched), the reset parses the files again and the edit is gone", async () => {
  const { ws, loads } = await settledWorkspace();
  ws.aug.set("/files/etc/hostname/hostname", "edited");
  ws.touched();
  ws.reset();
  assert.equal(loads(), 1);
  assert.equal(hostname(ws), "original");
});

test("the host marks the tree touched after every call but get, match and history", async () => {
  await sleep(SETTLED_MS);
  const rt = new AugeasLocalRuntime(root, quiet);
  closers.push(() => rt.close());
  rt.usePolicy(parsePolicy(WRITE_BOTH_POLICY, "test.toml").augeas);
  const loads = countLoads(rt.workspace);
  for (const [method, params] of [
    ["augeas.get", { path: "/files/etc/hostname/hostname" }],
    ["augeas.match", { path: "/files/etc/hosts/*" }],
  ] as const) {
    await runCall(rt, method, params, quiet);
    rt.workspace.reset();
  }
  assert.equal(loads(), 0, "reads keep the tree");
  // An edit that fails leaves nothing pending, yet it ran: the next reset parses again.
  const failed = await runCall(rt, "augeas.insert", { path: "/files/etc/hosts/99", label: "1" }, quiet);
  assert.ok(!("result" in failed), `the insert failed: ${JSON.stringify(failed)}`);
  assert.equal(rt.workspace.dirty, false);
  rt.workspace.reset();
  assert.equal(loads(), 1);
  await runCall(rt, "augeas.preview", {}, quiet);
  rt.workspace.reset();
  assert.equal(loads(), 2);
});
