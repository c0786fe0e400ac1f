/**
 * The daemon's life: start-up refusals (no policy, invalid policy, unsafe or
 * missing secret, something that is not a socket at the socket path, a live
 * daemon already there), stale sockets, SIGTERM, SIGHUP reloads (an invalid
 * policy keeps the old one), `--once`, and `machinad policy check`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, test } from "node:test";
import { ConnectionError } from "@machina/client";
import { assertServesNextClient, connectClient, rejectsWithKind, withClient } from "./harness/clients.js";
import { MACHINAD, cleanEnv, daemonStartFailure, runMachinad, spawnDaemon, startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { INVALID_POLICY, STANDARD_POLICY } from "./harness/policies.js";
import { RawConnection } from "./harness/raw-client.js";
import { Sandbox } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";

/** Sandboxes and daemons of the current test, cleaned up after it whatever happened. */
const sandboxes: Sandbox[] = [];
const daemons: DaemonProcess[] = [];
afterEach(async (t) => {
  for (const d of daemons.splice(0)) {
    if ((t as { passed?: boolean }).passed === false) console.error(`--- ${t.name}: daemon output ---\n${d.describe()}`);
    await d.stop();
  }
  for (const s of sandboxes.splice(0)) s.cleanup();
});

function sandbox(policy?: string): Sandbox {
  const s = Sandbox.create(policy === undefined ? {} : { policy });
  sandboxes.push(s);
  return s;
}

async function daemon(sb: Sandbox, args: string[] = []): Promise<DaemonProcess> {
  const d = await startDaemon(sb, { args });
  daemons.push(d);
  return d;
}

function socketGone(sb: Sandbox): boolean {
  return !fs.existsSync(sb.socket);
}

test("SIGTERM removes the socket and exits 0", async () => {
  const sb = sandbox();
  const d = await daemon(sb);
  await assertServesNextClient(sb);
  d.signal("SIGTERM");
  const exit = await d.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, d.describe());
  assert.ok(socketGone(sb), "the socket file is removed");
});

test("SIGTERM with a client connected ends its session and exits 0", async () => {
  const sb = sandbox();
  const d = await daemon(sb);
  const before = sb.snapshot();
  const m = await connectClient(sb);
  await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "unsaved" });
  d.signal("SIGTERM");
  assert.deepEqual(await d.exited, { code: 0, signal: null }, d.describe());
  await waitFor(() => m.closed, "the client to see the connection close");
  await m.close();
  assert.ok(socketGone(sb));
  sb.assertUnchanged(before);
});

test("SIGHUP with an invalid policy keeps serving with the old one", async () => {
  const sb = sandbox();
  const d = await daemon(sb);
  sb.writePolicy(INVALID_POLICY);
  d.signal("SIGHUP");
  await d.waitForStderr(/policy reload failed/);
  assert.ok(d.running);
  // The old policy is in force: hostname is still writable, locale still read-only.
  await withClient(sb, async (m) => {
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "still-served" });
    assert.deepEqual((await m.augeas.save()).files, ["/etc/hostname"]);
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/default/locale/LANG", value: "C" }), "policy-denied");
  });
  assert.equal(sb.read("/etc/hostname"), "still-served\n");
});

test("SIGHUP reopens the audit log, so a rotated log loses no line", async () => {
  const sb = sandbox();
  const d = await daemon(sb);
  await withClient(sb, async (m) => void (await m.augeas.get({ path: "/files/etc/hostname/hostname" })));
  // What logrotate does: move the file away, then signal the daemon.
  const rotated = `${sb.auditLog}.1`;
  await waitFor(() => fs.readFileSync(sb.auditLog, "utf8").includes('"augeas.get"'), "the first audit line");
  fs.renameSync(sb.auditLog, rotated);
  d.signal("SIGHUP");
  await d.waitForStderr(/policy reloaded from/);
  await withClient(sb, async (m) => void (await m.augeas.match({ path: "/files/etc/hostname/*" })));
  await waitFor(() => fs.existsSync(sb.auditLog) && fs.readFileSync(sb.auditLog, "utf8").includes('"augeas.match"'), "the match's audit line in the new file");
  assert.equal((fs.statSync(sb.auditLog).mode & 0o777).toString(8), "600");
  assert.ok(!fs.readFileSync(rotated, "utf8").includes('"augeas.match"'), "nothing after the reopen goes to the rotated file");
  assert.ok(fs.readFileSync(rotated, "utf8").includes('"augeas.get"'));
});

test("--log-file: the daemon logs there, not on stderr, and SIGHUP reopens it, so a rotated log loses no line", async () => {
  const sb = sandbox();
  const log = path.join(sb.dir, "machinad.log");
  const d = spawnDaemon(sb, { args: ["--log-file", log] });
  daemons.push(d);
  const logText = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "");
  await waitFor(() => / info: listening on /.test(logText()) && fs.existsSync(sb.socket), "machinad to listen (its log file says so)", () => `${logText()}\n${d.describe()}`);
  assert.equal((fs.statSync(log).mode & 0o777).toString(8), "600");
  await withClient(sb, async (m) => void (await m.augeas.get({ path: "/files/etc/hostname/hostname" })));
  await waitFor(() => / info: session \d+: ended$/m.test(logText()) || undefined, "the session's last line", () => logText());
  // What logrotate does: move the file away, then signal the daemon.
  const rotated = `${log}.1`;
  fs.renameSync(log, rotated);
  const before = fs.readFileSync(rotated, "utf8");
  d.signal("SIGHUP");
  await waitFor(() => /policy reloaded from/.test(logText()) || undefined, "the reload's line in the new file", () => `${logText()}\n${d.describe()}`);
  await withClient(sb, async (m) => void (await m.augeas.match({ path: "/files/etc/hostname/*" })));
  d.signal("SIGTERM");
  assert.deepEqual(await d.exited, { code: 0, signal: null }, d.describe());
  assert.equal(fs.readFileSync(rotated, "utf8"), before, "nothing after the reopen goes to the rotated file");
  assert.match(before, / info: listening on /);
  assert.match(logText(), /^machinad\[\d+\] info: policy reloaded from /m);
  assert.match(logText(), / info: stopped$/m, "the daemon's last line is in the new file");
  assert.equal(d.stderr, "", "nothing on stderr");
});

test("--log-file naming a file that cannot be opened is a usage error (exit 2)", async () => {
  const sb = sandbox();
  const r = await daemonStartFailure(sb, { args: ["--log-file", path.join(sb.dir, "missing-dir", "machinad.log")] });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^machinad: cannot open the log file .*missing-dir\/machinad\.log: ENOENT$/m);
});

test("SIGHUP with a valid policy applies it to the next session", async () => {
  const sb = sandbox();
  const d = await daemon(sb);
  // The new policy makes /etc/hostname read-only.
  sb.writePolicy(STANDARD_POLICY.replace('path = "/etc/hostname"\nwrite = ["**"]', 'path = "/etc/hostname"'));
  assert.notEqual(fs.readFileSync(sb.policyFile, "utf8"), STANDARD_POLICY);
  d.signal("SIGHUP");
  await d.waitForStderr(/policy reloaded from/);
  const before = sb.snapshot();
  await withClient(sb, async (m) => {
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/hostname/hostname", value: "denied-now" }), "policy-denied");
  });
  sb.assertUnchanged(before);
});

test("SIGHUP with a client connected ends that session (its edits dropped); the next one gets the new policy", async () => {
  const sb = sandbox();
  const d = await daemon(sb);
  const before = sb.snapshot();
  const m = await connectClient(sb);
  await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "pending" });
  sb.writePolicy(STANDARD_POLICY.replace('path = "/etc/hostname"\nwrite = ["**"]', 'path = "/etc/hostname"'));
  d.signal("SIGHUP");
  await waitFor(() => m.closed, "the session to be ended by the reload");
  await m.close();
  sb.assertUnchanged(before);
  await withClient(sb, async (m2) => {
    assert.deepEqual(await m2.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
    assert.deepEqual(await m2.augeas.preview(), { changes: [] });
    await rejectsWithKind(m2.augeas.set({ path: "/files/etc/hostname/hostname", value: "x" }), "policy-denied");
  });
  assert.ok(d.running);
});

test("--once exits 0 after the first session ends, removing the socket", async () => {
  const sb = sandbox();
  const d = await daemon(sb, ["--once"]);
  await withClient(sb, async (m) => {
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
  });
  assert.deepEqual(await d.exited, { code: 0, signal: null }, d.describe());
  assert.ok(socketGone(sb));
});

test("--once: connections that never authenticate do not end the daemon; the first session does", async () => {
  const sb = sandbox();
  const d = await daemon(sb, ["--once"]);
  // A peer without the key connects, says hello, gives up; another one sends a wrong proof.
  const idle = await RawConnection.open(sb.socket);
  assert.ok((await idle.hello()).result);
  idle.close();
  await idle.closed;
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(d.running, `a connection that never authenticated ended the --once daemon\n${d.describe()}`);
  const wrong = await RawConnection.open(sb.socket);
  await wrong.hello();
  assert.equal((await wrong.authenticateWith(new Uint8Array(32))).error?.data?.kind, "auth-failed");
  await wrong.waitClosed();
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(d.running, d.describe());
  await withClient(sb, async (m) => {
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
  });
  assert.deepEqual(await d.exited, { code: 0, signal: null }, d.describe());
  assert.ok(socketGone(sb));
});

test("a stale socket file is replaced at start-up", async () => {
  const sb = sandbox();
  // A process that listened on the path and was killed leaves its socket file behind.
  fs.mkdirSync(path.dirname(sb.socket), { recursive: true, mode: 0o755 });
  const holder = spawn(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(sb.socket)}, () => console.log("up"))`], {
    stdio: ["ignore", "pipe", "inherit"],
    env: cleanEnv(),
  });
  await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
  holder.kill("SIGKILL");
  await new Promise((r) => holder.once("exit", r));
  assert.ok(fs.lstatSync(sb.socket).isSocket(), "the stale socket file is there");
  await daemon(sb);
  await assertServesNextClient(sb);
});

test("a second daemon on a live socket refuses to start and leaves the first serving", async () => {
  const sb = sandbox();
  await daemon(sb);
  const r = await daemonStartFailure(sb);
  assert.notEqual(r.code, 0, r.stderr);
  assert.match(r.stderr, /already listening/);
  await assertServesNextClient(sb);
});

test("a non-socket file at the socket path makes start-up fail with a clear message", async () => {
  const sb = sandbox();
  fs.mkdirSync(path.dirname(sb.socket), { recursive: true, mode: 0o755 });
  fs.writeFileSync(sb.socket, "not a socket\n");
  const r = await daemonStartFailure(sb);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /machinad: .*machina\.sock exists and is not a socket/);
  assert.equal(fs.readFileSync(sb.socket, "utf8"), "not a socket\n", "the file is left alone");
});

for (const mode of [0o620, 0o602, 0o666]) {
  test(`a secret file with mode ${mode.toString(8)} (group/world-writable) is refused`, async () => {
    const sb = sandbox();
    fs.chmodSync(sb.secretFile, mode);
    const r = await daemonStartFailure(sb);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /writable by group or others/);
    assert.ok(!r.stderr.includes(sb.keyBase64));
    assert.ok(!fs.existsSync(sb.socket), "no socket was created");
  });
}

test("a secret file readable by every user (0644) is refused, naming the file and the fix", async () => {
  const sb = sandbox();
  fs.chmodSync(sb.secretFile, 0o644);
  const r = await daemonStartFailure(sb);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /secret file .*secret is readable by every user \(mode 644\)/);
  assert.match(r.stderr, /chmod 600 /);
  assert.ok(!r.stderr.includes(sb.keyBase64));
  assert.ok(!fs.existsSync(sb.socket), "no socket was created");
});

test("a secret file readable by the socket's group (root:GROUP 0640, as installed) starts quietly; by another group, with a warning", async () => {
  const sb = sandbox();
  fs.chownSync(sb.secretFile, 0, 65534);
  fs.chmodSync(sb.secretFile, 0o640);
  const quiet = await daemon(sb, ["--group", "nogroup"]);
  await assertServesNextClient(sb);
  assert.doesNotMatch(quiet.stderr, /secret file/);
  await quiet.stop();
  const warned = await daemon(sb);
  await assertServesNextClient(sb);
  assert.match(warned.stderr, /warn: secret file .* is readable by group 65534 \(mode 640\), which is not the socket's group/);
});

test("machinad keygen writes a key only root can read, whatever the umask", async () => {
  const sb = sandbox();
  const file = path.join(sb.dir, "new-secret");
  const fd = fs.openSync(file, "w", 0o644);
  try {
    const child = spawn(process.execPath, [MACHINAD, "keygen"], { stdio: ["ignore", fd, "pipe"], env: cleanEnv() });
    assert.equal(await new Promise((resolve) => child.once("close", resolve)), 0);
  } finally {
    fs.closeSync(fd);
  }
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.match(fs.readFileSync(file, "utf8"), /^[A-Za-z0-9+/]{43}=\n$/);
});

test("a secret file that is a symlink is refused", async () => {
  const sb = sandbox();
  const real = path.join(sb.dir, "real-secret");
  fs.renameSync(sb.secretFile, real);
  fs.symlinkSync(real, sb.secretFile);
  const r = await daemonStartFailure(sb);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /symbolic link/);
});

test("without a secret, machinad refuses to start unless --insecure-no-secret", async () => {
  const sb = sandbox();
  const missing = path.join(sb.dir, "no-such-secret");
  const r = await daemonStartFailure(sb, { secret: "none", env: { MACHINA_SECRET_FILE: missing } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no secret/);
  assert.ok(!fs.existsSync(sb.socket));
  // A secret file with garbage is refused too, without echoing it.
  fs.writeFileSync(path.join(sb.dir, "garbage"), "hunter2\n", { mode: 0o600 });
  const g = await daemonStartFailure(sb, { secret: "none", args: ["--secret-file", path.join(sb.dir, "garbage")] });
  assert.notEqual(g.code, 0);
  assert.ok(!g.stderr.includes("hunter2"), g.stderr);
  // With --insecure-no-secret it starts (and serves without a handshake proof).
  await startDaemon(sb, { secret: "none", args: ["--insecure-no-secret"] }).then((d) => daemons.push(d));
  const c = await RawConnection.open(sb.socket);
  const h = await c.hello();
  assert.equal(h.result?.auth, "none");
  assert.deepEqual((await c.call("augeas.get", { path: "/files/etc/hostname/hostname" })).result, { value: "panel" });
  c.close();
  // …and a keyed client refuses such a daemon.
  await waitFor(async () => {
    try {
      await connectClient(sb).then((m) => m.close());
      throw new Error("a keyed client accepted a daemon without a secret");
    } catch (e) {
      if (e instanceof ConnectionError) return true;
      throw e;
    }
  }, "the keyed client to refuse");
});

test("machinad refuses to start with no policy file, or an invalid one", async () => {
  const sb = sandbox();
  fs.rmSync(sb.policyFile);
  const r = await daemonStartFailure(sb);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^machinad: /m);
  assert.match(r.stderr, /policy/);
  assert.ok(!fs.existsSync(sb.socket), "no socket: it never fell back to allow");

  sb.writePolicy(INVALID_POLICY);
  const r2 = await daemonStartFailure(sb);
  assert.notEqual(r2.code, 0);
  assert.ok(!fs.existsSync(sb.socket));

  sb.writePolicy("");
  const r3 = await daemonStartFailure(sb);
  assert.notEqual(r3.code, 0, "an empty policy is not an allow-all");
});

test("machinad policy check: 0 on a valid policy, non-zero with a message on an invalid one", async () => {
  const sb = sandbox();
  const ok = await runMachinad(["policy", "check", sb.policyFile, "--root", sb.root]);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);

  for (const bad of [
    INVALID_POLICY,
    "version = 1\n[clients]\nusers = []\ngroups = []\n[[augeas.file]]\npath = \"relative/path\"\n",
    "version = 1\n[clients]\nusers = []\ngroups = []\n[[augeas.file]]\npath = \"/etc/hosts\"\nwrite = [\"../x\"]\n",
    "version = 1\n[clients]\nusers = []\ngroups = []\n[surprise]\nallow_everything = true\n",
    "this is not toml = = =\n",
  ]) {
    sb.writePolicy(bad);
    const r = await runMachinad(["policy", "check", sb.policyFile, "--root", sb.root]);
    assert.notEqual(r.code, 0, `accepted:\n${bad}\n${r.stdout}${r.stderr}`);
    assert.ok((r.stdout + r.stderr).trim().length > 0, "says why");
  }
  const missing = await runMachinad(["policy", "check", path.join(sb.dir, "nope.toml")]);
  assert.notEqual(missing.code, 0);
});
