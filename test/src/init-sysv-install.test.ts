/**
 * A REAL install, as root, driven through the SysV init script: `make install`
 * to the real paths (/usr/local, /etc), `/etc/init.d/machina start`, `status`
 * (0), a client call through the default socket by a non-root member of the
 * socket's group (a throwaway user and group made for the test), a refusal for
 * a user outside it, `restart`, `reload`, `stop`, `status` (3), no process,
 * socket or pid file left behind, then `make uninstall`: everything gone but
 * the policy and the secret. And the real `logrotate -f` with the installed
 * /etc/logrotate.d/machina against the running daemon.
 *
 * All of it runs inside an isolated root (harness/isolated-root.ts): a mount
 * and PID namespace where /etc, /usr/local and /var/log are copy-on-write
 * overlays of the host's and /run is empty. The real init script starts the
 * real machinad there, as root, at the real paths; the host's /etc and
 * /usr/local are never written, and the last test checks that against a
 * listing taken before. Whatever an earlier run left (killed half-way, or an
 * installation on the host) is removed inside the namespace first, and when
 * this process ends, however it ends, the namespace and everything running in
 * it go away.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { after, before, test } from "node:test";
import { setprivByNameArgv } from "./harness/as-user.js";
import { describeRun, SYSTEM_PATH } from "./harness/command.js";
import type { RunResult } from "./harness/daemon.js";
import { IsolatedRoot, listHost, listingChanges, type HostListing } from "./harness/isolated-root.js";
import { waitFor } from "./harness/wait.js";

const PREFIX = "/usr/local";
const INSTALLED = [
  "/usr/local/lib/machina",
  "/usr/local/sbin/machinad",
  "/usr/local/bin/machina",
  "/etc/init.d/machina",
  "/etc/default/machina",
  "/usr/local/lib/systemd/system/machina.socket",
  "/usr/local/lib/systemd/system/machina.service",
  "/etc/logrotate.d/machina",
];
const POLICY = "/etc/machina/policy.toml";
const SECRET = "/etc/machina/secret";
const RUNDIR = "/run/machina";
const SOCKET = "/run/machina/machina.sock";
const PIDFILE = "/run/machina/machinad.pid";
/** Host paths that must look the same after the run: where install, the init script and useradd write. */
const HOST_PATHS = ["/etc", "/usr/local", "/var/log/machina", "/run/machina"];

const suffix = randomBytes(3).toString("hex");
const GROUP = `machina-it-${suffix}`;
const USER = `machina-it-${suffix}`;
let root: IsolatedRoot;
let hostBefore: HostListing;

/** The namespace's view of `file`, read from here. */
const at = (file: string): string => root.path(file);

/** The init script runs with the environment `service` gives it; SYSTEMCTL_SKIP_REDIRECT keeps
 * /lib/lsb/init-functions from handing it to systemctl on machines where systemd is PID 1. */
const INIT_ENV = { PATH: SYSTEM_PATH, LANG: "C", SYSTEMCTL_SKIP_REDIRECT: "1" };

function initScript(action: string): Promise<RunResult> {
  return root.run("/etc/init.d/machina", [action], { env: INIT_ENV, timeoutMs: 180_000 });
}

function make(target: string): Promise<RunResult> {
  return root.run("make", ["--no-print-directory", target, `PREFIX=${PREFIX}`, "SYSCONFDIR=/etc", `GROUP=${GROUP}`, `NODE=${process.execPath}`], { timeoutMs: 300_000 });
}

/** Runs the installed `machina` as USER (primary group GROUP), with an empty environment: default socket and secret. */
function machinaAs(user: string, group: string, args: string[]): Promise<RunResult> {
  const [setpriv, ...argv] = setprivByNameArgv(user, ["/usr/local/bin/machina", ...args], { group, resetEnv: true });
  return root.run(setpriv!, argv, { cwd: "/", env: {} });
}

/** The daemon's pid, as the namespace numbers it (so: alive() below, not process.kill). */
function daemonPid(): number {
  return Number(fs.readFileSync(at(PIDFILE), "utf8").trim());
}

/** A process that exists and is not a zombie (the daemon's parent is the namespace's init, which does not reap). */
function alive(pid: number): boolean {
  return root.alive(pid);
}

function hostnameOnDisk(): string {
  return fs.readFileSync(at("/etc/hostname"), "utf8").trim();
}

before(async () => {
  hostBefore = listHost(HOST_PATHS);
  root = await IsolatedRoot.open();
  // A fresh start whatever the host has (an installation, or what an old
  // version of this test left there): removed in the namespace only.
  const clean = await root.run("rm", ["-rf", ...INSTALLED, "/etc/machina", "/var/log/machina", RUNDIR]);
  assert.equal(clean.code, 0, describeRun(clean));
  const g = await root.run("groupadd", [GROUP]);
  assert.equal(g.code, 0, describeRun(g));
  const u = await root.run("useradd", ["--no-create-home", "--gid", GROUP, "--shell", "/usr/sbin/nologin", USER]);
  assert.equal(u.code, 0, describeRun(u));
});

// Everything the tests did (daemon, files, user, group) lives in the namespace and ends with it.
after(() => root?.close());

test("make install, then the init script: start, status, a client call as a group member, restart, stop, status", async () => {
  const install = await make("install");
  assert.equal(install.code, 0, describeRun(install));
  for (const p of [...INSTALLED, POLICY, SECRET]) assert.ok(fs.existsSync(at(p)), `${p} installed`);
  // The secret: readable by root and the web application's group only.
  const secret = fs.statSync(at(SECRET));
  assert.equal((secret.mode & 0o777).toString(8), "640");
  assert.equal(secret.uid, 0);
  const gid = Number((await root.run("getent", ["group", GROUP])).stdout.split(":")[2]);
  assert.equal(secret.gid, gid);

  const start = await initScript("start");
  assert.equal(start.code, 0, `start: ${describeRun(start)}`);
  const running = await initScript("status");
  assert.equal(running.code, 0, `status: ${describeRun(running)}`);

  // The socket directory is root's and 0755; the socket root:GROUP 0660.
  const dir = fs.statSync(at(RUNDIR));
  assert.equal(dir.uid, 0);
  assert.equal((dir.mode & 0o777).toString(8), "755");
  const sock = fs.statSync(at(SOCKET));
  assert.ok(sock.isSocket());
  assert.equal(sock.uid, 0);
  assert.equal(sock.gid, gid);
  assert.equal((sock.mode & 0o777).toString(8), "660");
  const firstPid = daemonPid();
  assert.ok(alive(firstPid));

  // A member of the group reads the hostname through the default socket and secret.
  const get = await machinaAs(USER, GROUP, ["get", "/files/etc/hostname/hostname"]);
  assert.equal(get.code, 0, `machina get as ${USER}: ${describeRun(get)}`);
  assert.equal(get.stdout.trim(), hostnameOnDisk());
  // The default policy is read-only: a write is refused, and the file is untouched.
  const before = fs.readFileSync(at("/etc/hostname"));
  const set = await machinaAs(USER, GROUP, ["set", "/files/etc/hostname/hostname", "changed-by-test"]);
  assert.equal(set.code, 1, describeRun(set));
  assert.match(set.stderr, /^machina: policy-denied: /);
  assert.deepEqual(fs.readFileSync(at("/etc/hostname")), before);
  // Someone outside the group can neither read the secret nor use the socket.
  const outsider = await machinaAs("nobody", "nogroup", ["get", "/files/etc/hostname/hostname"]);
  assert.equal(outsider.code, 3, describeRun(outsider));

  const restart = await initScript("restart");
  assert.equal(restart.code, 0, `restart: ${describeRun(restart)}`);
  const secondPid = daemonPid();
  assert.notEqual(secondPid, firstPid);
  assert.equal(alive(firstPid), false, "the old daemon is gone");
  assert.equal((await initScript("status")).code, 0);
  const again = await waitFor(async () => {
    const r = await machinaAs(USER, GROUP, ["get", "/files/etc/hostname/hostname"]);
    return r.code === 3 && /busy/.test(r.stderr) ? undefined : r;
  }, "the restarted daemon to serve a client");
  assert.equal(again.code, 0, describeRun(again));
  assert.equal(again.stdout.trim(), hostnameOnDisk());

  // reload = SIGHUP: the policy is read again, the same daemon keeps running.
  const reload = await initScript("reload");
  assert.equal(reload.code, 0, `reload: ${describeRun(reload)}`);
  assert.equal(daemonPid(), secondPid);
  assert.ok(alive(secondPid));

  const stop = await initScript("stop");
  assert.equal(stop.code, 0, `stop: ${describeRun(stop)}`);
  const stopped = await initScript("status");
  assert.equal(stopped.code, 3, `status after stop: ${describeRun(stopped)}`);
  assert.equal(alive(secondPid), false, "no daemon process left");
  assert.deepEqual(fs.readdirSync(at(RUNDIR)), [], "no socket or pid file left behind");
  const stopAgain = await initScript("stop");
  assert.equal(stopAgain.code, 0, "stopping a stopped daemon is not an error");

  const uninstall = await make("uninstall");
  assert.equal(uninstall.code, 0, describeRun(uninstall));
  assert.deepEqual(INSTALLED.filter((p) => fs.existsSync(at(p))), [], "everything install laid down is removed");
  assert.ok(fs.existsSync(at(POLICY)), "the policy is kept");
  assert.ok(fs.existsSync(at(SECRET)), "the secret is kept");
});

test("start fails clearly, and leaves nothing running, when the policy is invalid", async () => {
  const install = await make("install");
  assert.equal(install.code, 0, describeRun(install));
  const saved = fs.readFileSync(at(POLICY));
  try {
    fs.writeFileSync(at(POLICY), "version = 1\n[[augeas.file]]\npath = 'relative/path'\n");
    const start = await initScript("start");
    assert.equal(start.code, 1, `start with a broken policy: ${describeRun(start)}`);
    assert.equal((await initScript("status")).code, 3);
    assert.equal(fs.existsSync(at(PIDFILE)), false);
    assert.equal(fs.existsSync(at(SOCKET)), false);
  } finally {
    fs.writeFileSync(at(POLICY), saved);
  }
  const uninstall = await make("uninstall");
  assert.equal(uninstall.code, 0, describeRun(uninstall));
});

const LOG_DIR = "/var/log/machina";

/** The lines of a log file in the namespace (a .gz one uncompressed); none when it does not exist. */
function logLines(file: string): string[] {
  if (!fs.existsSync(at(file))) return [];
  const bytes = fs.readFileSync(at(file));
  return (file.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8").split("\n").filter((l) => l !== "");
}

/** The audit log's methods in `file`, in order. */
function auditedMethods(file: string): string[] {
  return logLines(file).map((l) => (JSON.parse(l) as { method: string }).method);
}

test("logrotate -f with the installed /etc/logrotate.d/machina: machinad goes on in new files, the moved ones keep the older lines, none is lost", async () => {
  const install = await make("install");
  assert.equal(install.code, 0, describeRun(install));
  const clean = await root.run("rm", ["-rf", LOG_DIR]);
  assert.equal(clean.code, 0, describeRun(clean));
  const start = await initScript("start");
  assert.equal(start.code, 0, `start: ${describeRun(start)}`);
  const pid = daemonPid();
  // As cron runs it (its own state file, in the namespace's /run), then the next call once
  // machinad says, in its new log, that it reopened its files.
  const rotate = async (): Promise<void> => {
    const r = await root.run("logrotate", ["--force", "--state", "/run/logrotate.status", "/etc/logrotate.d/machina"], { cwd: "/" });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout + r.stderr, "", "logrotate and the postrotate script are quiet (cron would mail anything they print)");
    await waitFor(() => logLines(`${LOG_DIR}/machinad.log`).some((l) => / info: policy reloaded from /.test(l)) || undefined, "machinad to reopen its log", () =>
      fs.readdirSync(at(LOG_DIR)).join(" "),
    );
  };
  const call = async (args: string[]): Promise<void> => {
    const r = await machinaAs(USER, GROUP, args);
    assert.equal(r.code, 0, describeRun(r));
  };

  await call(["get", "/files/etc/hostname/hostname"]); // augeas.get
  await rotate();
  await call(["match", "/files/etc/hostname/*"]); // augeas.match
  await rotate();
  await call(["discover"]); // rpc.discover

  // Two rotations: the current files, .1 (delaycompress) and .2.gz, each with its own period.
  const names = fs.readdirSync(at(LOG_DIR)).sort();
  assert.deepEqual(names, ["audit.log", "audit.log.1", "audit.log.2.gz", "machinad.log", "machinad.log.1", "machinad.log.2.gz"]);
  const periods = ["audit.log.2.gz", "audit.log.1", "audit.log"].map((f) => auditedMethods(`${LOG_DIR}/${f}`));
  const calls = ["augeas.get", "augeas.match", "rpc.discover"];
  periods.forEach((methods, i) => {
    assert.deepEqual(
      calls.filter((m) => methods.includes(m)),
      [calls[i]],
      `period ${i + 1} holds its call's audit lines and no other's: ${methods.join(", ")}`,
    );
  });
  // Nothing lost, nothing twice: each session authenticated once, in the file of its period.
  const logs = ["machinad.log.2.gz", "machinad.log.1", "machinad.log"].map((f) => logLines(`${LOG_DIR}/${f}`));
  assert.ok(logs[0]!.some((l) => / info: listening on /.test(l)), "the start-up is in the oldest file");
  const authenticated = logs.map((lines) => lines.filter((l) => / info: session \d+: connection from .* authenticated$/.test(l)).length);
  assert.deepEqual(authenticated, [1, 1, 1], logs.map((l) => l.join("\n")).join("\n---\n"));
  assert.deepEqual(
    periods.map((methods) => methods.filter((m) => m === "session.authenticate").length),
    [1, 1, 1],
    "one handshake audited per period",
  );
  for (const f of ["audit.log", "machinad.log"]) assert.equal((fs.statSync(at(`${LOG_DIR}/${f}`)).mode & 0o777).toString(8), "600", `${f}, made again by machinad`);
  // The same daemon all along: rotation signals it, it does not restart it.
  assert.equal(daemonPid(), pid);
  assert.ok(alive(pid));

  // With machinad stopped there is nothing to reopen: rotating is still quiet and succeeds.
  const stop = await initScript("stop");
  assert.equal(stop.code, 0, describeRun(stop));
  const idle = await root.run("logrotate", ["--force", "--state", "/run/logrotate.status", "/etc/logrotate.d/machina"], { cwd: "/" });
  assert.equal(idle.code, 0, describeRun(idle));
  assert.equal(idle.stdout + idle.stderr, "");
  const uninstall = await make("uninstall");
  assert.equal(uninstall.code, 0, describeRun(uninstall));
});

/**
 * machinad upgrading itself: apt, run by machinad, runs the package's
 * maintainer script, which runs `/etc/init.d/machina restart`. Waiting for the
 * daemon to stop would wait for the very call that is waiting for us. The
 * stand-in for machinad here is a node process (what the init script matches)
 * whose pid is in the pid file and which runs the init script as its child,
 * exactly where apt would be.
 */
const STAND_IN = `
const { execFileSync } = require("node:child_process");
// The restart helper's SIGTERM may come as soon as the init script has returned: it is held
// until the line below is written (else a loaded machine loses the line), then obeyed.
let written = false, termed = false;
const obey = () => { process.removeAllListeners("SIGTERM"); process.kill(process.pid, "SIGTERM"); };
process.on("SIGTERM", () => { termed = true; if (written) obey(); });
require("node:fs").writeFileSync(${JSON.stringify(PIDFILE)}, process.pid + "\\n");
let status = 0;
try { execFileSync("/etc/init.d/machina", [process.argv[1]], { stdio: "ignore", env: ${JSON.stringify(INIT_ENV)} }); }
catch (e) { status = e.status ?? 99; }
process.stdout.write("init script exit " + status + "\\n", () => { written = true; if (termed) obey(); });
// "linger": the rest of the apt run, until machinad is asked to stop (SIGTERM).
if (process.argv[2] === "linger") setInterval(() => {}, 1000);
`;

function runStandIn(action: string, then: "exit" | "linger"): Promise<RunResult> {
  return root.run(process.execPath, ["-e", STAND_IN, action, then], { timeoutMs: 120_000 });
}

test("inside machinad's own package operation, stop does not wait for itself and restart happens once the operation ends", async () => {
  const install = await make("install");
  assert.equal(install.code, 0, describeRun(install));
  fs.mkdirSync(at(RUNDIR), { recursive: true, mode: 0o755 });

  // stop: the init script leaves the stand-in alone (stopping it would kill it with SIGTERM).
  const stopResult = await runStandIn("stop", "exit");
  assert.equal(stopResult.signal, null, describeRun(stopResult));
  assert.equal(stopResult.code, 0, describeRun(stopResult));
  assert.match(stopResult.stdout, /^init script exit 0$/m);
  fs.rmSync(at(PIDFILE), { force: true });

  // restart: the init script returns at once; a detached helper asks the stand-in to stop
  // (SIGTERM) and starts a real machinad once it is gone.
  const result = await runStandIn("restart", "linger");
  assert.match(result.stdout, /^init script exit 0$/m, describeRun(result));
  assert.equal(result.signal, "SIGTERM", "the stand-in was asked to stop after the init script returned");
  await waitFor(async () => ((await initScript("status")).code === 0 ? true : undefined), "the daemon to be started again");
  const get = await waitFor(async () => {
    const r = await machinaAs(USER, GROUP, ["get", "/files/etc/hostname/hostname"]);
    return r.code === 3 ? undefined : r;
  }, "the restarted daemon to serve a client");
  assert.equal(get.code, 0, describeRun(get));
  assert.equal(get.stdout.trim(), hostnameOnDisk());
  await waitFor(() => (fs.existsSync(at(path.join(RUNDIR, "restart.pid"))) ? undefined : true), "the restart helper to finish");

  const stop = await initScript("stop");
  assert.equal(stop.code, 0, describeRun(stop));
  assert.deepEqual(fs.readdirSync(at(RUNDIR)), []);
  const uninstall = await make("uninstall");
  assert.equal(uninstall.code, 0, describeRun(uninstall));
});

test("the host's /etc and /usr/local were not touched: everything happened in the isolated root", () => {
  assert.deepEqual(listingChanges(hostBefore, listHost(HOST_PATHS)), []);
});
