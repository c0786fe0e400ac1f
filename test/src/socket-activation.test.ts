// Socket activation: machinad uses the listening socket systemd passes (LISTEN_FDS/LISTEN_PID,
// fd 3) instead of creating one, and leaves the socket file alone on exit (systemd owns it).
// A small python3 launcher plays systemd's part: it binds and listens, puts the socket on
// fd 3, sets LISTEN_PID to its own pid and execs node — so the daemon is the same process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { DaemonProcess, MACHINAD, cleanEnv, daemonArgs, startDaemon } from "./harness/daemon.js";
import { Sandbox } from "./harness/sandbox.js";
import { withClient } from "./harness/clients.js";

const LAUNCHER = `
import os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o600)
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
`;

test("machinad serves on a socket passed by systemd and leaves it in place on exit", async () => {
  const sandbox = Sandbox.create();
  try {
    fs.mkdirSync(sandbox.socket.replace(/\/[^/]+$/, ""), { recursive: true, mode: 0o755 });
    // --socket names another path: the activated socket must win over it.
    const argv = daemonArgs(sandbox).map((a) => (a === sandbox.socket ? `${sandbox.dir}/not-used.sock` : a));
    const child = spawn("python3", ["-c", LAUNCHER, sandbox.socket, process.execPath, MACHINAD, ...argv], {
      stdio: ["ignore", "pipe", "pipe"],
      env: cleanEnv(),
    });
    const daemon = new DaemonProcess(child, sandbox, argv);
    try {
      await daemon.waitForStderr(/listening on socket-activated fd 3/);
      await withClient(sandbox, async (m) => {
        assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: sandbox.read("/etc/hostname").trim() });
      });
      assert.equal(fs.existsSync(`${sandbox.dir}/not-used.sock`), false, "no socket of its own was created");
    } finally {
      const exit = await daemon.stop();
      assert.deepEqual(exit, { code: 0, signal: null });
    }
    assert.ok(fs.lstatSync(sandbox.socket).isSocket(), "the activated socket file belongs to systemd and stays");
  } finally {
    sandbox.cleanup();
  }
});

test("--exit-idle: under activation machinad exits 0 once idle, leaving the socket; started on its own, it ignores the option", async () => {
  const sandbox = Sandbox.create();
  try {
    fs.mkdirSync(sandbox.socket.replace(/\/[^/]+$/, ""), { recursive: true, mode: 0o755 });
    const argv = [...daemonArgs(sandbox), "--exit-idle", "1"];
    const child = spawn("python3", ["-c", LAUNCHER, sandbox.socket, process.execPath, MACHINAD, ...argv], { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv() });
    const activated = new DaemonProcess(child, sandbox, argv);
    try {
      await activated.waitForStderr(/listening on socket-activated fd 3/);
      // A session holds it up however long it lasts; the idle second counts from its end.
      await withClient(sandbox, async (m) => {
        await new Promise((r) => setTimeout(r, 1500));
        assert.ok(activated.running, "still running while a session is open");
        await m.augeas.get({ path: "/files/etc/hostname/hostname" });
      });
      const idleExit = await Promise.race([activated.exited, new Promise((r) => setTimeout(() => r("still running 10 s after the session ended"), 10_000))]);
      assert.deepEqual(idleExit, { code: 0, signal: null });
    } finally {
      await activated.stop();
    }
    assert.ok(fs.lstatSync(sandbox.socket).isSocket(), "the activated socket stays for the next start");
    fs.rmSync(sandbox.socket);

    const standalone = await startDaemon(sandbox, { args: ["--exit-idle", "1"] });
    try {
      await new Promise((r) => setTimeout(r, 2000));
      assert.ok(standalone.running, "nothing would start it again, so it does not exit");
      await withClient(sandbox, async (m) => assert.ok(await m.augeas.get({ path: "/files/etc/hostname/hostname" })));
    } finally {
      assert.deepEqual(await standalone.stop(), { code: 0, signal: null });
    }
  } finally {
    sandbox.cleanup();
  }
});
