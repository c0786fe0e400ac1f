/**
 * The supervisor backend against a real supervisord (Debian's `supervisor`),
 * started here as root from a generated configuration, with its own socket
 * (username and password) in a temporary directory and real programs: ones
 * that run (a Python loop standing in for uwsgi, recording the signals it
 * gets), a group of two, one whose command does not exist, one supervisord
 * cannot spawn (its log directory is gone), and one that exits at once.
 *
 * First the seed's setup end to end: a policy naming only `uwsgi_example`
 * with `status` and `restart`, and the web user (uid nobody, through the
 * `machina` CLI) restarting it through machinad — a new pid afterwards — while
 * everything else it tries is refused with the policy's error kind and no
 * process moves. Then every action, state and fault through a second daemon
 * with a broader policy, and what machinad does with a wrong password, a
 * socket it must not trust, a credentials file others can read, and no
 * supervisord at all.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { describeRun } from "./harness/command.js";
import { daemonStartFailure, startDaemon, type DaemonProcess, type RunResult } from "./harness/daemon.js";
import { InitScripts, processAlive } from "./harness/init-scripts.js";
import { Sandbox } from "./harness/sandbox.js";
import { Supervisord } from "./harness/supervisord.js";
import { waitFor } from "./harness/wait.js";
import { NOBODY, runAs, stagedClientBundle } from "./harness/as-user.js";

let sv: Supervisord;
const initd = new InitScripts();
const daemons: { sandbox: Sandbox; daemon: DaemonProcess }[] = [];

before(async () => {
  sv = await Supervisord.start((s) => {
    // spawnfail's log directory must exist when supervisord reads its configuration; a test removes it.
    fs.mkdirSync(path.join(s.dir, "gone"));
    // Says three lines at start, then one for each SIGHUP (unbuffered: each reaches its log at once).
    fs.writeFileSync(
      path.join(s.dir, "printer.py"),
      'import signal, time\ncount = 0\ndef hup(sig, frame):\n    global count\n    count += 1\n    print(f"got HUP {count}", flush=True)\nsignal.signal(signal.SIGHUP, hup)\nfor i in (1, 2, 3):\n    print(f"hello {i} \u00e9t\u00e9", flush=True)\nwhile True:\n    time.sleep(3600)\n',
    );
    return {
      printer: { command: `/usr/bin/python3 -u ${path.join(s.dir, "printer.py")}`, settings: { startsecs: 1, environment: 'PYTHONIOENCODING="utf-8"' } },
      uwsgi_example: { command: s.recorder("uwsgi_example"), settings: { startsecs: 1, stopwaitsecs: 5 } },
      other: { command: s.recorder("other"), settings: { startsecs: 1 } },
      usr2: { command: s.recorder("usr2"), settings: { startsecs: 1 } },
      web_0: { command: "/bin/sleep 100000" },
      web_1: { command: "/bin/sleep 100000" },
      nofile: { command: "/nonexistent/program", settings: { autostart: false } },
      spawnfail: { command: "/bin/sleep 100000", settings: { autostart: false, stdout_logfile: path.join(s.dir, "gone", "out.log") } },
      // startsecs long enough for supervisord (which notices exits once a second) to see it exit while starting.
      exitsnow: { command: "/bin/false", settings: { autostart: false, autorestart: false, startsecs: 10, startretries: 0 } },
    };
  }, { web: ["web_0", "web_1"] });
});

after(async () => {
  for (const { sandbox, daemon } of daemons) {
    await daemon.stop();
    sandbox.cleanup();
  }
  await sv?.stop();
  initd.cleanup();
});

afterEach((t) => {
  if ((t as { passed?: boolean }).passed === false) console.error(`--- ${t.name} ---\n${sv.describe()}\n${daemons.map((d) => d.daemon.describe()).join("\n")}`);
});

/** A daemon whose default backend is the (empty) init directory, with supervisord beside it. */
async function daemonFor(policy: string, extraArgs: string[] = [], authText?: string): Promise<{ sandbox: Sandbox; daemon: DaemonProcess }> {
  const sandbox = Sandbox.create({ policy });
  // nobody reaches the socket through the directory and reads the secret through its group.
  fs.chmodSync(sandbox.dir, 0o755);
  fs.chownSync(sandbox.secretFile, 0, NOBODY.gid);
  fs.chmodSync(sandbox.secretFile, 0o640);
  const auth = sv.authFile(path.join(sandbox.dir, "supervisor-auth"), authText);
  const daemon = await startDaemon(sandbox, {
    args: ["--group", "nogroup", "--service-backend", "initd", "--initd-dir", initd.initd, "--supervisor-socket", sv.socket, "--supervisor-auth-file", auth, "--call-timeout", "30000", ...extraArgs],
  });
  daemons.push({ sandbox, daemon });
  return { sandbox, daemon };
}

/** `machina ARGS…` as the web user (uid and gid nobody, no other groups, the CLI staged for it), retried while the session slot is busy. */
async function asWebUser(sandbox: Sandbox, args: string[]): Promise<RunResult> {
  const machina = path.join(stagedClientBundle(NOBODY), "machina.cjs");
  return waitFor(async () => {
    const r = await runAs(NOBODY, [process.execPath, machina, "--socket", sandbox.socket, "--secret-file", sandbox.secretFile, ...args], { env: { LANG: "C.UTF-8" } });
    return r.code === 3 && /^machina: busy/.test(r.stderr) ? undefined : r;
  }, "the daemon's session slot to be free");
}

const SEED_POLICY = `version = 1
[clients]
users = ["nobody"]
groups = []

[[service]]
name = "uwsgi_example"
backend = "supervisor"
actions = ["status", "restart"]
`;

describe("the seed's setup: the web user may restart uwsgi_example and nothing else", () => {
  let sandbox: Sandbox;
  before(async () => ({ sandbox } = await daemonFor(SEED_POLICY)));

  test("restart through machinad gives uwsgi_example a new pid; no other process moves", async () => {
    const before = await sv.snapshot();
    const old = before.get("uwsgi_example")!;
    assert.equal(old.statename, "RUNNING");

    const r = await asWebUser(sandbox, ["service", "restart", "uwsgi_example"]);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^uwsgi_example: active \(RUNNING\) since \S+\n  pid (\d+)\n$/);

    const afterwards = await sv.snapshot();
    const now = afterwards.get("uwsgi_example")!;
    assert.equal(now.statename, "RUNNING");
    assert.notEqual(now.pid, old.pid, "a new process");
    assert.equal(Number(/pid (\d+)/.exec(r.stdout)![1]), now.pid, "the answer names the new pid");
    assert.equal(processAlive(old.pid), false, "the old process is gone");
    for (const [name, p] of before) if (name !== "uwsgi_example") assert.deepEqual(afterwards.get(name), p, `${name} untouched`);

    const status = await asWebUser(sandbox, ["--json", "service", "status", "uwsgi_example:uwsgi_example"]);
    assert.equal(status.code, 0, describeRun(status));
    const parsed = JSON.parse(status.stdout) as Record<string, unknown>;
    assert.deepEqual(
      { name: parsed.name, state: parsed.state, subState: parsed.subState, backend: parsed.backend, active: parsed.active },
      { name: "uwsgi_example", state: "active", subState: "RUNNING", backend: "supervisor", active: true },
      "group:name is the same process, in canonical form",
    );
  });

  test("everything else is refused with the policy's error kind, and no process moves", async () => {
    const before = await sv.snapshot();
    const refusals: [string[], string][] = [
      // Methods the policy grants for no service, and valid names it does not give the action: policy-denied.
      [["service", "stop", "uwsgi_example"], "policy-denied"],
      [["service", "start", "uwsgi_example"], "policy-denied"],
      [["service", "reload", "uwsgi_example"], "policy-denied"],
      [["service", "restart", "other"], "policy-denied"],
      [["service", "stop", "other"], "policy-denied"],
      [["service", "start", "nofile"], "policy-denied"],
      [["service", "status", "other"], "policy-denied"],
      [["service", "restart", "web:web_0"], "policy-denied"],
      [["service", "stop", "web:web_1"], "policy-denied"],
      [["service", "restart", "uwsgi_example:other"], "policy-denied"],
      [["service", "restart", "other:uwsgi_example"], "policy-denied"],
      [["service", "restart", "supervisord"], "policy-denied"],
      // Not one process: group wildcards and odd characters are not names at all (invalid-params, before any call).
      [["service", "restart", "web:*"], "invalid-params"],
      [["service", "status", "web:"], "invalid-params"],
      [["service", "restart", "uwsgi_example:*"], "invalid-params"],
      [["service", "restart", "all"], "policy-denied"],
      [["service", "stop", "web:*"], "policy-denied"],
      [["service", "restart", "*"], "invalid-params"],
      [["service", "restart", ":uwsgi_example"], "invalid-params"],
      [["service", "restart", "uwsgi_example:uwsgi_example:x"], "invalid-params"],
      [["service", "restart", "uwsgi_example "], "invalid-params"],
      [["service", "restart", "uwsgi_example\n"], "invalid-params"],
      [["service", "restart", "../uwsgi_example"], "invalid-params"],
      [["service", "restart", "/uwsgi_example"], "invalid-params"],
      [["call", "service.restart", JSON.stringify({ name: "-uwsgi_example" })], "invalid-params"],
      [["service", "restart", "uwsgi_example;id"], "invalid-params"],
      [["service", "restart", "uwsgi$(id)"], "invalid-params"],
      [["call", "service.restart", JSON.stringify({ name: "uwsgi_example", group: "web" })], "invalid-params"],
      [["call", "package.install", JSON.stringify({ name: "hello" })], "policy-denied"],
    ];
    for (const [args, kind] of refusals) {
      const r = await asWebUser(sandbox, args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${describeRun(r)}`);
      assert.match(r.stderr, new RegExp(`^machina: ${kind}: `), args.join(" "));
      assert.doesNotMatch(r.stderr, /supervisor\.sock|pa:ss|\/tmp\//, "no socket path or credentials in an error");
    }
    assert.deepEqual(await sv.snapshot(), before, "every pid and state as it was");
  });

  test("service list and discovery show the one program, with its backend", async () => {
    const list = await asWebUser(sandbox, ["--json", "service", "list"]);
    assert.equal(list.code, 0, describeRun(list));
    const { services } = JSON.parse(list.stdout) as { services: { status: { name: string; backend: string; state: string }; actions: string[] }[] };
    assert.deepEqual(
      services.map((s) => [s.status.name, s.status.backend, s.status.state, s.actions]),
      [["uwsgi_example", "supervisor", "active", ["status", "restart"]]],
    );
    const doc = JSON.parse((await asWebUser(sandbox, ["--json", "discover"])).stdout) as { methods: { name: string; "x-policy"?: unknown }[] };
    const restart = doc.methods.find((m) => m.name === "service.restart");
    assert.deepEqual(restart?.["x-policy"], { services: [{ name: "uwsgi_example", backend: "supervisor" }] });
    assert.equal(
      doc.methods.some((m) => m.name === "service.stop"),
      false,
    );
  });
});

const BROAD_POLICY = `version = 1
[clients]
users = ["root"]
groups = []

[[service]]
pattern = "^(uwsgi_example|other|nofile|spawnfail|exitsnow|ghost)$"
backend = "supervisor"
actions = ["status", "start", "stop", "restart", "reload"]

[[service]]
name = "usr2"
backend = "supervisor"
reload_signal = "USR2"
actions = ["status", "reload"]

[[service]]
pattern = "^web:web_[0-9]+$"
backend = "supervisor"
actions = ["status"]

[[service]]
name = "missing"
backend = "supervisor"
actions = ["status"]

[[service]]
name = "initd-only"
actions = ["status"]
`;

describe("every action, state and fault", () => {
  let sandbox: Sandbox;
  before(async () => ({ sandbox } = await daemonFor(BROAD_POLICY)));

  test("stop and start: states and pids as supervisord reports them; both are idempotent", async () => {
    await withClient(sandbox, async (m) => {
      const old = (await sv.snapshot()).get("other")!.pid;
      const stopped = await m.service.stop({ name: "other" });
      assert.deepEqual([stopped.state, stopped.subState, stopped.active, stopped.backend], ["inactive", "STOPPED", false, "supervisor"]);
      assert.equal((await sv.snapshot()).get("other")!.statename, "STOPPED");
      assert.equal(processAlive(old), false);
      assert.equal((await m.service.stop({ name: "other" })).state, "inactive", "stopping a stopped program succeeds");
      const started = await m.service.start({ name: "other" });
      assert.deepEqual([started.state, started.subState, started.active], ["active", "RUNNING", true]);
      const pid = (await sv.snapshot()).get("other")!.pid;
      assert.notEqual(pid, old);
      assert.equal(started.detail, `pid ${pid}`);
      assert.equal((await m.service.start({ name: "other" })).state, "active", "starting a running program succeeds");
      assert.equal((await sv.snapshot()).get("other")!.pid, pid, "and leaves it alone");
    });
  });

  test("reload sends the entry's signal (HUP unless it says otherwise) and keeps the process", async () => {
    await withClient(sandbox, async (m) => {
      const before = await sv.snapshot();
      assert.equal((await m.service.reload({ name: "uwsgi_example" })).state, "active");
      assert.equal((await m.service.reload({ name: "usr2" })).state, "active");
      await waitFor(() => sv.signals("uwsgi_example").length === 1 && sv.signals("usr2").length === 1, "the signals to arrive");
      assert.deepEqual(sv.signals("uwsgi_example"), ["SIGHUP"]);
      assert.deepEqual(sv.signals("usr2"), ["SIGUSR2"]);
      assert.deepEqual(sv.signals("other"), []);
      assert.deepEqual(await sv.snapshot(), before, "no pid changed");
      await m.service.stop({ name: "other" });
      const e = await rejectsWithKind(m.service.reload({ name: "other" }), "backend-failed");
      assert.equal(e.data.detail, "NOT_RUNNING");
      await m.service.start({ name: "other" });
    });
  });

  test("programs that cannot run: backend-failed with supervisord's fault name, never its text", async () => {
    fs.rmSync(path.join(sv.dir, "gone"), { recursive: true, force: true });
    await withClient(sandbox, async (m) => {
      const cases: [string, string[]][] = [
        ["nofile", ["NO_FILE"]],
        ["spawnfail", ["SPAWN_ERROR"]],
        // supervisord reports an exit while starting as either, depending on when it sees it.
        ["exitsnow", ["SPAWN_ERROR", "ABNORMAL_TERMINATION"]],
      ];
      for (const [name, faults] of cases) {
        const e = await rejectsWithKind(m.service.start({ name }), "backend-failed");
        assert.deepEqual([e.data.backend, e.data.retryable], ["supervisor", false], name);
        assert.ok(faults.includes(String(e.data.detail)), `${name}: ${String(e.data.detail)}`);
        assert.doesNotMatch(JSON.stringify(e), /nonexistent|gone|\/bin\/|\/tmp\/|ENOENT/, "paths and supervisord's words stay in the log");
      }
      const fatal = await m.service.status({ name: "exitsnow" });
      assert.deepEqual([fatal.state, fatal.subState, fatal.detail], ["failed", "FATAL", "it exited too quickly"]);
      const never = await m.service.status({ name: "nofile" });
      assert.deepEqual([never.state, never.subState], ["inactive", "STOPPED"], "a command that is not there never started");
      const spawn = await m.service.status({ name: "spawnfail" });
      assert.ok(["BACKOFF", "FATAL"].includes(spawn.subState!), spawn.subState);
      assert.equal(spawn.detail, "supervisord could not spawn it");
      await rejectsWithKind(m.service.status({ name: "ghost" }), "not-found");
      await rejectsWithKind(m.service.restart({ name: "ghost" }), "not-found");
    });
  });

  test("list: exact names always, patterns over supervisord's processes, every entry with its backend", async () => {
    const { services } = await withClient(sandbox, (m) => m.service.list());
    const byName = new Map(services.map((s) => [s.status.name, s]));
    assert.deepEqual(
      [...byName.keys()].sort(),
      ["exitsnow", "initd-only", "missing", "nofile", "other", "spawnfail", "usr2", "uwsgi_example", "web:web_0", "web:web_1"],
      "ghost matches a pattern but does not exist",
    );
    assert.equal(byName.get("initd-only")!.status.backend, "initd");
    assert.equal(byName.get("missing")!.status.backend, "supervisor");
    assert.equal(byName.get("missing")!.status.state, "unknown");
    assert.deepEqual(byName.get("web:web_0")!.actions, ["status"]);
    assert.deepEqual([byName.get("web:web_1")!.status.state, byName.get("web:web_1")!.status.backend], ["active", "supervisor"]);
    assert.deepEqual(byName.get("usr2")!.actions, ["status", "reload"]);
  });

  test("a group member may be read where the policy says so, and never changed", async () => {
    await withClient(sandbox, async (m) => {
      const before = await sv.snapshot();
      assert.equal((await m.service.status({ name: "web:web_0" })).state, "active");
      await rejectsWithKind(m.service.status({ name: "web" }), "policy-denied");
      await rejectsWithKind(m.service.restart({ name: "web:web_0" }), "policy-denied");
      await rejectsWithKind(m.service.stop({ name: "web:*" }), "invalid-params");
      assert.deepEqual(await sv.snapshot(), before);
    });
  });

  test("a socket machinad must not trust is refused before anything is sent", async () => {
    const mode = fs.statSync(sv.dir).mode & 0o7777;
    fs.chmodSync(sv.dir, 0o777);
    try {
      await withClient(sandbox, async (m) => {
        const e = await rejectsWithKind(m.service.stop({ name: "other" }), "backend-failed");
        assert.match(e.message, /refusing supervisord's socket/);
        assert.doesNotMatch(e.message, /\/tmp\//);
      });
    } finally {
      fs.chmodSync(sv.dir, mode);
    }
    assert.equal((await sv.snapshot()).get("other")!.statename, "RUNNING");
  });
});

describe("credentials", () => {
  test("a wrong password: supervisord refuses, the client learns no more than that", async () => {
    const { sandbox } = await daemonFor(BROAD_POLICY, [], `${sv.username}:wrong\n`);
    await withClient(sandbox, async (m) => {
      const e = await rejectsWithKind(m.service.restart({ name: "other" }), "backend-failed");
      assert.match(e.message, /supervisord refused machinad's credentials/);
      assert.equal(e.data.retryable, false);
      assert.doesNotMatch(JSON.stringify(e), /wrong|pa:ss|supervisor-auth|\/tmp\//);
    });
  });

  test("a credentials file others may read, or a link, stops machinad at start-up, naming the file", async () => {
    for (const [what, make] of [
      ["readable by others", (file: string) => sv.authFile(file, undefined, 0o644)],
      ["a symbolic link", (file: string) => fs.symlinkSync(sv.authFile(`${file}.real`), file)],
      ["two lines", (file: string) => sv.authFile(file, "a:b\nc:d\n")],
    ] as const) {
      const sandbox = Sandbox.create({ policy: BROAD_POLICY });
      try {
        const file = path.join(sandbox.dir, "auth");
        make(file);
        const r = await daemonStartFailure(sandbox, { args: ["--supervisor-socket", sv.socket, "--supervisor-auth-file", file] });
        assert.equal(r.code, 2, `${what}: ${describeRun(r)}`);
        assert.match(r.stderr, /supervisord credentials file .*auth/, what);
      } finally {
        sandbox.cleanup();
      }
    }
  });
});

describe("log and boot: the program's stdout log through supervisord; autostart stays supervisord's", () => {
  const POLICY = `version = 1
[clients]
users = ["root"]
groups = []

[[service]]
name = "printer"
backend = "supervisor"
actions = ["status", "reload", "log", "enable", "disable"]

[[service]]
name = "other"
backend = "supervisor"
actions = ["status", "reload"]
`;
  let sandbox: Sandbox;
  before(async () => ({ sandbox } = await daemonFor(POLICY)));

  test("service.log: the last lines, then only what came after the cursor; a program without log is refused", async () => {
    await withClient(sandbox, async (m) => {
      const first = await waitFor(async () => {
        const r = await m.service.log({ name: "printer" });
        return r.lines.length === 3 ? r : undefined;
      }, "the printer's three lines");
      assert.deepEqual(first.lines.map((l) => l.message), ["hello 1 été", "hello 2 été", "hello 3 été"]);
      assert.equal(first.source, "supervisord: the program's stdout log");
      assert.doesNotMatch(JSON.stringify(first), /\/tmp\//, "no path of supervisord's");
      const two = await m.service.log({ name: "printer", lines: 2 });
      assert.deepEqual(two.lines.map((l) => l.message), ["hello 2 été", "hello 3 été"]);

      const nothingNew = await m.service.log({ name: "printer", cursor: first.cursor! });
      assert.deepEqual([nothingNew.lines, nothingNew.more, nothingNew.cursor], [[], false, first.cursor]);
      await m.service.reload({ name: "printer" });
      await m.service.reload({ name: "printer" });
      const after = await waitFor(async () => {
        const r = await m.service.log({ name: "printer", cursor: first.cursor! });
        return r.lines.length === 2 ? r : undefined;
      }, "the two HUP lines");
      assert.deepEqual(after.lines.map((l) => l.message), ["got HUP 1", "got HUP 2"]);
      const oneAtATime = await m.service.log({ name: "printer", cursor: first.cursor!, lines: 1 });
      assert.deepEqual([oneAtATime.lines.map((l) => l.message), oneAtATime.more], [["got HUP 1"], true]);

      for (const cursor of ["s1.-1", "j1.s=1", "s1.1e3", "--help", "s1.99999999999999999"]) {
        const e = await rejectsWithKind(m.service.log({ name: "printer", cursor }), "invalid-params");
        assert.equal(e.data.param, "/cursor", cursor);
      }
      await rejectsWithKind(m.service.log({ name: "other" }), "policy-denied");
      await rejectsWithKind(m.service.log({ name: "uwsgi_example" }), "policy-denied");
    });
  });

  test("enable and disable are refused with supervisord's reason, and the program is untouched", async () => {
    await withClient(sandbox, async (m) => {
      const before = await sv.snapshot();
      for (const call of [() => m.service.enable({ name: "printer" }), () => m.service.disable({ name: "printer" })]) {
        const e = await rejectsWithKind(call(), "backend-failed");
        assert.match(e.message, /autostart/);
        assert.equal(e.data.backend, "supervisor");
      }
      assert.deepEqual(await sv.snapshot(), before);
    });
  });
});

test("no supervisord: backend-failed, retryable; the daemon's own backend still answers", async () => {
  const { sandbox } = await daemonFor(BROAD_POLICY, ["--supervisor-socket", path.join(sv.dir, "not-there.sock")]);
  await withClient(sandbox, async (m) => {
    const e = await rejectsWithKind(m.service.status({ name: "other" }), "backend-failed");
    assert.deepEqual([e.data.backend, e.data.retryable], ["supervisor", true]);
    assert.match(e.message, /cannot reach supervisord/);
    const { services } = await m.service.list();
    assert.equal(services.find((s) => s.status.name === "initd-only")?.status.backend, "initd");
    assert.equal(services.find((s) => s.status.name === "other"), undefined, "patterns cannot be expanded without supervisord");
    assert.equal(services.find((s) => s.status.name === "missing")?.status.state, "unknown");
  });
});
