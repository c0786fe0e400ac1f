/**
 * Packages through the real daemon and real apt: the Debian package `hello`
 * is installed and removed with progress notifications received; names
 * outside the policy, option/version/release injection, machinad's own
 * package and a held dpkg lock are refused — each leaving dpkg's state and
 * the sandbox as they were. `hello` is not installed before the tests and
 * is removed after them, whatever happened.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { after, before, test } from "node:test";
import type { ProgressParams } from "@machina/protocol";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { MACHINA, cleanEnv, run, startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { Sandbox } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";
import { dpkgState, holdPackageLock, installed, removeDirectly, TEST_PACKAGE as PACKAGE } from "./harness/test-package.js";
/** apt may need minutes on a slow mirror; the client waits as long as the daemon lets apt run. */
const LONG = { timeoutMs: 0 };

const POLICY = `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]

[package]
install = ["${PACKAGE}"]
remove = ["${PACKAGE}"]
update = true
`;

let sandbox: Sandbox;
let daemon: DaemonProcess;
let machineLock: { release(): void } | undefined;

before(async () => {
  machineLock = await holdPackageLock();
  removeDirectly();
  assert.equal(installed(), false);
  sandbox = Sandbox.create({ policy: POLICY });
  daemon = await startDaemon(sandbox);
});

after(async () => {
  try {
    await daemon?.stop();
    sandbox?.cleanup();
  } finally {
    try {
      removeDirectly();
    } finally {
      machineLock?.release();
    }
  }
});

/** Refused with `kind`, and neither dpkg's state nor the sandbox changed. */
async function refusedUnchanged(call: () => Promise<unknown>, kind: string): Promise<{ message: string; data: Record<string, unknown> }> {
  const dpkgBefore = dpkgState();
  const files = sandbox.snapshot();
  const e = await rejectsWithKind(call(), kind);
  assert.equal(dpkgState(), dpkgBefore, "dpkg's state changed");
  sandbox.assertUnchanged(files);
  return e;
}

test("names outside the policy, options, versions and releases are refused before apt runs", async () => {
  await withClient(sandbox, async (m) => {
    for (const name of ["nano", "hello-traditional", "machina"]) {
      await refusedUnchanged(() => m.package.install({ name }, LONG), "policy-denied");
      await refusedUnchanged(() => m.package.remove({ name }, LONG), "policy-denied");
      await refusedUnchanged(() => m.package.status({ name }), "policy-denied");
    }
    for (const name of ["-o", "-oAPT::Get::Simulate=false", "--purge", "hello=1.0", "hello=2.10-3", "hello/unstable", "hello:amd64", "hello*", "Hello", "hello hello", "hello\nnano", "", "^hello$"]) {
      for (const call of [() => m.package.install({ name }, LONG), () => m.package.remove({ name }, LONG), () => m.package.status({ name })]) {
        const e = await refusedUnchanged(call, "invalid-params");
        assert.equal(e.data.param, "/name");
      }
    }
  });
});

test("a held dpkg lock is backend-failed and retryable, not a hang", async () => {
  // dpkg and apt take the frontend lock with fcntl(F_SETLK); python's lockf is the same lock.
  const python = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const holder: ChildProcess = spawn(
    python,
    ["-c", "import fcntl,sys,time\nf=open('/var/lib/dpkg/lock-frontend','w')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(120)"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    let out = "";
    holder.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
    await waitFor(() => out.includes("locked") || (holder.exitCode !== null && Promise.reject(new Error("the lock holder exited"))), "the dpkg lock to be held");
    await withClient(sandbox, async (m) => {
      const e = await refusedUnchanged(() => m.package.install({ name: PACKAGE }, LONG), "backend-failed");
      assert.equal(e.data.retryable, true);
      assert.equal(e.data.backend, "apt");
      assert.match(String(e.data.detail), /lock/);
    });
  } finally {
    holder.kill("SIGKILL");
  }
  assert.equal(installed(), false);
});

test("install and remove the real package, with progress notifications before each answer", async () => {
  await withClient(sandbox, async (m) => {
    let status = await m.package.status({ name: PACKAGE });
    assert.equal(status.installed, null);
    assert.notEqual(status.state, "installed");
    if (status.candidate === null) {
      const updates: ProgressParams[] = [];
      await m.package.update({}, { ...LONG, onProgress: (p) => updates.push(p) });
      assert.ok(updates.some((p) => p.phase === "download"), "apt-get update reports downloads");
      status = await m.package.status({ name: PACKAGE });
      assert.notEqual(status.candidate, null, "hello has a candidate after package.update");
    }

    const progress: ProgressParams[] = [];
    const result = await m.package.install({ name: PACKAGE }, { ...LONG, onProgress: (p) => progress.push(p) });
    assert.equal(result.changed, true);
    assert.equal(result.state, "installed");
    assert.equal(result.installed, status.candidate);
    assert.ok(progress.some((p) => p.phase === "dpkg" && /hello/.test(p.message)), JSON.stringify(progress));
    for (const p of progress) assert.ok(p.percent === null || (p.percent >= 0 && p.percent <= 100));
    assert.equal(installed(), true);
    assert.equal(spawnSync("/usr/bin/hello", [], { encoding: "utf8", env: { LANG: "C" } }).stdout, "Hello, world!\n");

    const again: ProgressParams[] = [];
    const second = await m.package.install({ name: PACKAGE }, { ...LONG, onProgress: (p) => again.push(p) });
    assert.equal(second.changed, false, "already installed: nothing done");
    assert.deepEqual(again, []);

    const removal: ProgressParams[] = [];
    const removed = await m.package.remove({ name: PACKAGE }, { ...LONG, onProgress: (p) => removal.push(p) });
    assert.equal(removed.changed, true);
    assert.equal(removed.installed, null);
    assert.ok(removal.some((p) => p.phase === "dpkg" && /Removing hello/.test(p.message)), JSON.stringify(removal));
    assert.equal(installed(), false);
    assert.equal(fs.existsSync("/usr/bin/hello"), false);

    const noop = await m.package.remove({ name: PACKAGE }, LONG);
    assert.equal(noop.changed, false);
  });
});

test("machina package: status, install and remove with plain progress lines", async () => {
  const machina = (args: string[]) =>
    waitFor(async () => {
      const r = await run(MACHINA, ["--socket", sandbox.socket, "--secret-file", sandbox.secretFile, ...args], { env: cleanEnv(), timeoutMs: 900_000 });
      return r.code === 3 && /busy/.test(r.stderr) ? undefined : r;
    }, "machina", () => "", 900_000);
  const install = await machina(["package", "install", PACKAGE]);
  assert.equal(install.code, 0, install.stderr);
  assert.match(install.stdout, /^hello: installed; hello: installed \S+ \(candidate \S+\)\n$/);
  assert.match(install.stderr, /^progress: dpkg \d+% .*hello/m);
  assert.equal(installed(), true);
  const status = await machina(["--json", "package", "status", PACKAGE]);
  assert.equal(JSON.parse(status.stdout).state, "installed");
  const remove = await machina(["package", "remove", PACKAGE]);
  assert.equal(remove.code, 0, remove.stderr);
  assert.match(remove.stdout, /^hello: removed; /);
  assert.equal(installed(), false);
  for (const name of ["-o", "hello=1.0"]) {
    const bad = await machina(["package", "install", "--", name]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /^machina: invalid-params: /);
  }
  assert.equal(installed(), false);
});

test("machinad never changes its own package, and [package] without update refuses package.update", async () => {
  const sb = Sandbox.create({ policy: POLICY.replace("update = true", "update = false") });
  const d = await startDaemon(sb, { args: ["--self-package", PACKAGE] });
  try {
    await withClient(sb, async (m) => {
      for (const call of [() => m.package.install({ name: PACKAGE }, LONG), () => m.package.remove({ name: PACKAGE }, LONG)]) {
        const e = await rejectsWithKind(call(), "policy-denied");
        assert.match(e.message, /own package/);
      }
      assert.equal((await m.package.status({ name: PACKAGE })).name, PACKAGE, "its status may still be read");
      const e = await rejectsWithKind(m.package.update({}, LONG), "policy-denied");
      assert.equal(e.data.target, "package.update");
    });
    assert.equal(installed(), false);
  } finally {
    await d.stop();
    sb.cleanup();
  }
});
