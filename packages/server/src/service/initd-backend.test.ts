/**
 * InitdBackend against real LSB init scripts (test/fixtures/service) run as
 * root from a temporary init directory: machina-testd manages a real
 * long-running process with start-stop-daemon; fails, hangs and probe are the
 * failing, hanging and record-what-ran cases.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { InitdBackend } from "#src/service/initd-backend.js";
import { rejectsWithFault } from "../faults.test-support.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../test/fixtures/service");

let dir: string;
let initd: string;
let state: string;
let backend: InitdBackend;

function install(script: string, as = script, mode = 0o755): string {
  const file = path.join(initd, as);
  fs.copyFileSync(path.join(FIXTURES, script), file);
  fs.chmodSync(file, mode);
  return file;
}

function pidOf(name: string): number | undefined {
  const f = path.join(state, `${name}.pid`);
  return fs.existsSync(f) ? Number(fs.readFileSync(f, "utf8").trim()) : undefined;
}

/** Running, and not a zombie: a real live process. */
function alive(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("Z");
  } catch {
    return false;
  }
}


before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-initd-"));
  initd = path.join(dir, "init.d");
  state = path.join(dir, "state");
  fs.mkdirSync(initd, { mode: 0o755 });
  for (const s of ["machina-testd", "fails", "hangs", "probe"]) install(s);
  backend = new InitdBackend({ dir: initd, timeoutMs: 1500 });
});

after(async () => {
  await backend.change("stop", "machina-testd").catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a real daemon: started, seen running, restarted with a new pid, stopped", async () => {
  assert.equal((await backend.status("machina-testd")).state, "inactive");

  const started = await backend.change("start", "machina-testd");
  assert.equal(started.state, "active");
  assert.equal(started.active, true);
  assert.match(started.detail ?? "", /Starting machina-testd/);
  const first = pidOf("machina-testd")!;
  assert.ok(alive(first), "the daemon's process is running");
  assert.match(fs.readFileSync(`/proc/${first}/cmdline`, "utf8"), /sleep/);
  const status = await backend.status("machina-testd");
  assert.deepEqual({ state: status.state, active: status.active }, { state: "active", active: true });
  assert.match(status.detail ?? "", new RegExp(`running \\(pid ${first}\\)`));

  const restarted = await backend.change("restart", "machina-testd");
  assert.equal(restarted.state, "active");
  const second = pidOf("machina-testd")!;
  assert.notEqual(second, first, "a restart runs a new process");
  assert.ok(alive(second));
  assert.ok(!alive(first), "the old process is gone");

  const stopped = await backend.change("stop", "machina-testd");
  assert.deepEqual({ state: stopped.state, active: stopped.active }, { state: "inactive", active: false });
  assert.ok(!alive(second));
  assert.equal(pidOf("machina-testd"), undefined, "the pid file is removed");
});

test("LSB status codes map onto the model: a dead process with a pid file is failed", async () => {
  await backend.change("start", "machina-testd");
  const pid = pidOf("machina-testd")!;
  process.kill(pid, "SIGKILL");
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
  const s = await backend.status("machina-testd");
  assert.deepEqual({ state: s.state, active: s.active }, { state: "failed", active: false }, "LSB 1: dead, pid file remains");
  await backend.change("stop", "machina-testd");
  assert.equal((await backend.status("machina-testd")).state, "inactive");
});

test("an action the script does not implement (LSB 3) is backend-failed with its output", async () => {
  const e = await rejectsWithFault(backend.change("reload", "machina-testd"), "backend-failed");
  assert.equal(e.fields.exitCode, 3);
  assert.equal(e.fields.backend, "initd");
  assert.match(String(e.fields.detail), /cannot reload/);
});

test("a failing script is backend-failed with its exit code and output", async () => {
  const e = await rejectsWithFault(backend.change("start", "fails"), "backend-failed");
  assert.equal(e.fields.exitCode, 6);
  assert.equal(e.fields.retryable, false);
  assert.match(String(e.fields.detail), /unknown directive 'Listen'/);
  assert.match(e.message, /not configured/);
});

test("a hanging script times out, and it and its children are killed", async () => {
  fs.rmSync(path.join(state, "hangs.child"), { force: true });
  const e = await rejectsWithFault(backend.change("restart", "hangs"), "timeout");
  assert.equal(e.fields.timeoutMs, 1500);
  const child = Number(fs.readFileSync(path.join(state, "hangs.child"), "utf8"));
  for (let i = 0; i < 200 && alive(child); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(!alive(child), "the script's child process was killed too");
});

test("the script runs with only PATH and LANG=C from machinad, and one argument", async () => {
  process.env.MACHINA_CANARY = "must-not-leak";
  try {
    await backend.change("start", "probe");
  } finally {
    delete process.env.MACHINA_CANARY;
  }
  const ran = fs.readFileSync(path.join(state, "probe.ran"), "utf8");
  assert.match(ran, /^start /);
  assert.match(ran, / LANG=C /);
  assert.match(ran, / PATH=\/usr\/local\/sbin:/);
  assert.doesNotMatch(ran, /MACHINA_CANARY|HOME=|NODE_/);
});

test("unsafe scripts are refused before they run: group- or world-writable, not root's, a symlink", async () => {
  const cases: [string, () => void][] = [
    ["group-writable", () => install("probe", "group-writable", 0o775)],
    ["world-writable", () => install("probe", "world-writable", 0o757)],
    ["not-roots", () => fs.chownSync(install("probe", "not-roots"), 65534, 65534)],
    ["a-symlink", () => fs.symlinkSync(path.join(FIXTURES, "probe"), path.join(initd, "a-symlink"))],
  ];
  for (const [name, make] of cases) {
    make();
    for (const action of ["start", "status"] as const) {
      const p = action === "status" ? backend.status(name) : backend.change(action, name);
      const e = await rejectsWithFault(p, "policy-denied");
      assert.match(e.message, /refusing to run it/);
    }
    assert.equal(fs.existsSync(path.join(state, `${name}.ran`)), false, `${name} never ran`);
  }
});

test("an unsafe init directory is refused too", async () => {
  const other = fs.mkdtempSync(path.join(os.tmpdir(), "machina-initd-open-"));
  try {
    fs.copyFileSync(path.join(FIXTURES, "probe"), path.join(other, "probe"));
    fs.chmodSync(path.join(other, "probe"), 0o755);
    fs.chmodSync(other, 0o777);
    const open = new InitdBackend({ dir: other, timeoutMs: 1500 });
    const e = await rejectsWithFault(open.status("probe"), "policy-denied");
    assert.match(e.message, /directory/);
    assert.equal(fs.existsSync(path.join(other, "..", "state", "probe.ran")), false);
  } finally {
    fs.rmSync(other, { recursive: true, force: true });
  }
});

test("an init directory below a directory others can write (without the sticky bit) is refused too", async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "machina-initd-parent-"));
  try {
    const dir = path.join(parent, "init.d");
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.copyFileSync(path.join(FIXTURES, "probe"), path.join(dir, "probe"));
    fs.chmodSync(path.join(dir, "probe"), 0o755);
    fs.chmodSync(parent, 0o777);
    const e = await rejectsWithFault(new InitdBackend({ dir, timeoutMs: 1500 }).status("probe"), "policy-denied");
    assert.match(e.message, /is below .* writable by others without the sticky bit/);
    // Sticky (as /tmp is), nobody else can rename init.d away: accepted.
    fs.chmodSync(parent, 0o1777);
    assert.equal(typeof (await new InitdBackend({ dir, timeoutMs: 1500 }).status("probe")).state, "string");
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});

test("a missing script is not-found; a name that is not a script name never reaches the filesystem", async () => {
  await rejectsWithFault(backend.status("no-such-service"), "not-found");
  for (const bad of ["../init.d/probe", "/bin/sh", "-x"]) await rejectsWithFault(backend.status(bad), "invalid-params");
});

test("existing() lists the regular files with valid names", async () => {
  fs.writeFileSync(path.join(initd, ".hidden"), "");
  fs.mkdirSync(path.join(initd, "subdir"), { recursive: true });
  const names = await backend.existing();
  for (const n of ["fails", "hangs", "machina-testd", "probe"]) assert.ok(names.includes(n), n);
  assert.ok(!names.includes(".hidden") && !names.includes("subdir") && !names.includes("a-symlink"));
});

test("output is capped", async () => {
  const big = new InitdBackend({ dir: initd, timeoutMs: 5000, maxOutputBytes: 10 });
  const e = await rejectsWithFault(big.change("start", "fails"), "backend-failed");
  assert.match(String(e.fields.detail), /^fails: \/et\n\[output truncated\]$/);
});
