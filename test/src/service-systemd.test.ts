/**
 * The systemd service backend against a real systemd: systemd 252 booted as
 * PID 1 in a systemd-nspawn container (harness/systemd-container.ts), with
 * test units written into its /etc/systemd/system before it boots.
 *
 * machinad runs on the host with `--service-backend systemd`, pointed at the
 * container's system bus by DBUS_SYSTEM_BUS_ADDRESS; one test runs it inside
 * the container instead, where `auto` has to find systemd and the system bus
 * by itself. Outcomes are read back from systemd itself (`systemctl show`
 * inside the container), not only from machinad's answers.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { before, describe, test } from "node:test";
import { unitObjectPath } from "@machina/server";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { MACHINA, cleanEnv, run, type RunResult } from "./harness/daemon.js";
import type { Sandbox } from "./harness/sandbox.js";
import { containerSkipReason } from "./harness/systemd-container.js";
import { systemdContainerSuite } from "./harness/systemd-container-suite.js";
import { waitFor } from "./harness/wait.js";

const CALL_TIMEOUT_MS = 3000;

const POLICY = `version = 1

[clients]
users = ["root"]
groups = []

[[service]]
pattern = "^example@[0-9]{4}\\\\.service$"
actions = ["status", "start", "stop", "restart", "reload"]

[[service]]
name = "machina-reloadable"
actions = ["status", "start", "stop", "reload"]

[[service]]
name = "machina-broken"
actions = ["status", "start"]

[[service]]
name = "machina-dies"
actions = ["status", "start"]

[[service]]
name = "machina-slow.service"
actions = ["status", "start", "stop"]

[[service]]
name = "machina-start-timeout"
actions = ["status", "start"]

[[service]]
name = "machina-job-timeout"
actions = ["status", "start", "stop"]

[[service]]
name = "machina-ghost"
actions = ["status", "start"]

[[service]]
name = "sshd"
actions = ["status"]
`;

const unit = (description: string, service: string) => `# machina's systemd backend tests\n[Unit]\nDescription=${description}\n\n[Service]\n${service}`;

/** The units the tests act on; sshd.service stands for a real service the policy only lets the client read. */
const UNITS: Record<string, string> = {
  "example@.service": unit("machina test instance %i", "ExecStart=/bin/sleep infinity\n"),
  "machina-reloadable.service": unit("machina test: reloads", "ExecStart=/bin/sleep infinity\nExecReload=/bin/true\n"),
  "machina-broken.service": unit("machina test: start fails", "Type=oneshot\nExecStart=/bin/false\n"),
  "machina-dies.service": unit("machina test: starts, then dies", "Type=simple\nExecStart=/bin/sh -c 'sleep 0.2; exit 3'\n"),
  "machina-slow.service": unit("machina test: start never finishes", "Type=oneshot\nExecStart=/bin/sleep 3600\nTimeoutStartSec=infinity\n"),
  "machina-start-timeout.service": unit("machina test: systemd's own start timeout", "Type=oneshot\nExecStart=/bin/sleep 3600\nTimeoutStartSec=1\n"),
  "machina-job-timeout.service": `# machina's systemd backend tests\n[Unit]\nDescription=machina test: the start job times out\nJobTimeoutSec=1\n\n[Service]\nType=oneshot\nExecStart=/bin/sleep 3600\nTimeoutStartSec=infinity\n`,
  "sshd.service": unit("stand-in sshd", "ExecStart=/bin/sleep infinity\n"),
};

const skip = containerSkipReason() ?? false;

describe("the systemd backend against a real systemd", { skip }, () => {
  const suite = systemdContainerSuite({
    container: { files: Object.fromEntries(Object.entries(UNITS).map(([name, text]) => [`/etc/systemd/system/${name}`, text])) },
    hostDaemon: { policy: POLICY, args: ["--service-backend", "systemd", "--call-timeout", String(CALL_TIMEOUT_MS)] },
    containerDaemon: { policy: POLICY, args: ["--call-timeout", String(CALL_TIMEOUT_MS)] },
  });
  const sandbox = () => suite.host.sandbox;

  /** A unit's properties as systemd itself reports them (systemctl show inside the container). */
  async function show(name: string): Promise<Record<string, string>> {
    const out = await suite.container.check(["systemctl", "show", "--property=LoadState,ActiveState,SubState,Result,MainPID,ExecMainStatus", "--", name]);
    return Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  }

  async function machina(sb: Sandbox, args: string[]): Promise<RunResult> {
    for (;;) {
      const r = await run(MACHINA, ["--socket", sb.socket, "--secret-file", sb.secretFile, ...args], { env: cleanEnv() });
      if (!(r.code === 3 && /^machina: busy/.test(r.stderr))) return r;
    }
  }

  before(async () => {
    // Running services the policy does not let the client touch.
    await suite.container.check(["systemctl", "start", "sshd.service", "example@42.service"]);
  });

  test("the restart button: example@0042.service restarts (a new process); example@42 and sshd are refused and keep running", async () => {
    await suite.container.check(["systemctl", "start", "example@0042.service"]);
    const before = await show("example@0042.service");
    const untouched = { sshd: await show("sshd.service"), e42: await show("example@42.service") };
    assert.equal(untouched.sshd.ActiveState, "active");
    await withClient(sandbox(), async (m) => {
      const restarted = await m.service.restart({ name: "example@0042.service" });
      assert.deepEqual(
        { name: restarted.name, active: restarted.active, state: restarted.state, subState: restarted.subState },
        { name: "example@0042.service", active: true, state: "active", subState: "running" },
      );
      assert.ok(restarted.since && !Number.isNaN(Date.parse(restarted.since)), "since is a timestamp");
      for (const name of ["sshd", "sshd.service", "example@42.service", "example@00420.service", "xexample@0042.service"]) {
        const e = await rejectsWithKind(m.service.restart({ name }), "policy-denied");
        assert.match(e.message, /does not allow restart/);
      }
      // status of sshd is allowed: the real unit's state comes back.
      assert.equal((await m.service.status({ name: "sshd" })).state, "active");
    });
    const after = await show("example@0042.service");
    assert.equal(after.ActiveState, "active");
    assert.notEqual(after.MainPID, before.MainPID, "systemd runs a new process for the unit");
    assert.notEqual(after.MainPID, "0");
    assert.deepEqual({ sshd: await show("sshd.service"), e42: await show("example@42.service") }, untouched, "the refused units were not touched");

    const cli = await machina(sandbox(), ["service", "restart", "example@0042.service"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^example@0042\.service: active \(running\) since \d{4}-\d\d-\d\dT/);
    assert.notEqual((await show("example@0042.service")).MainPID, after.MainPID);
    const refused = await machina(sandbox(), ["service", "restart", "sshd"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^machina: policy-denied: sshd\.service: the policy does not allow restart/);
    assert.equal((await show("sshd.service")).MainPID, untouched.sshd.MainPID);
  });

  test("stop and start wait for systemd's job and answer the state systemd reports", async () => {
    await withClient(sandbox(), async (m) => {
      const a = await m.service.start({ name: "example@0007" });
      assert.equal(a.name, "example@0007.service", "a name without a suffix gets .service");
      assert.deepEqual([a.state, a.subState], ["active", "running"]);
      assert.equal((await show("example@0007.service")).ActiveState, "active");
      const stopped = await m.service.stop({ name: "example@0007.service" });
      assert.deepEqual([stopped.state, stopped.active, stopped.subState], ["inactive", false, "dead"]);
      assert.deepEqual([(await show("example@0007.service")).ActiveState, (await show("example@0007.service")).MainPID], ["inactive", "0"]);
      // A stopped instance is unloaded by systemd, yet status still answers it (LoadUnit, not GetUnit).
      assert.equal((await m.service.status({ name: "example@0007.service" })).state, "inactive");
      const started = await m.service.start({ name: "example@0007.service" });
      assert.deepEqual([started.state, started.active], ["active", true]);
      assert.equal((await show("example@0007.service")).ActiveState, "active");
      await m.service.stop({ name: "example@0007.service" });
    });
  });

  test("names are validated before any D-Bus call", async () => {
    await withClient(sandbox(), async (m) => {
      for (const name of ["../example@0042.service", "/etc/systemd/system/example@0042.service", "-x", "example@.service", "example@0042.socket", "a b", "ex;ample"]) {
        const e = await rejectsWithKind(m.service.status({ name }), "invalid-params");
        assert.equal(e.data.param, "/name");
      }
    });
  });

  test("a unit that fails to start is backend-failed with systemd's job and unit results, and systemd has it failed", async () => {
    await withClient(sandbox(), async (m) => {
      const e = await rejectsWithKind(m.service.start({ name: "machina-broken" }), "backend-failed");
      assert.equal(e.data.backend, "systemd");
      assert.equal(e.data.detail, "job result: failed; unit result: exit-code");
      assert.equal(e.data.retryable, false);
      assert.equal(e.message, 'machina-broken.service start: the systemd job ended "failed" (unit now failed/failed, result exit-code)');
      assert.equal((await m.service.status({ name: "machina-broken" })).state, "failed");
    });
    assert.deepEqual(await show("machina-broken.service"), { LoadState: "loaded", ActiveState: "failed", SubState: "failed", Result: "exit-code", MainPID: "0", ExecMainStatus: "1" });
    const cli = await machina(sandbox(), ["service", "status", "machina-broken"]);
    assert.equal(cli.code, 1);
    assert.match(cli.stdout, /^machina-broken\.service: failed/);
    assert.match(cli.stderr, /machina-broken\.service has failed/);
  });

  test("a service whose process dies after a successful start reads failed afterwards", async () => {
    await withClient(sandbox(), async (m) => {
      // Type=simple: systemd's start job is done once the process runs; its exit comes later.
      const started = await m.service.start({ name: "machina-dies" });
      assert.ok(["active", "failed"].includes(started.state), started.state);
      const failed = await waitFor(async () => {
        const s = await m.service.status({ name: "machina-dies" });
        return s.state === "failed" ? s : undefined;
      }, "machina-dies to fail");
      assert.deepEqual([failed.active, failed.subState], [false, "failed"]);
    });
    const props = await show("machina-dies.service");
    assert.deepEqual([props.ActiveState, props.Result, props.ExecMainStatus], ["failed", "exit-code", "3"]);
  });

  test("a unit systemd does not know is not-found, for status and for a job", async () => {
    await withClient(sandbox(), async (m) => {
      await rejectsWithKind(m.service.status({ name: "machina-ghost" }), "not-found");
      await rejectsWithKind(m.service.start({ name: "machina-ghost" }), "not-found");
    });
    assert.equal((await show("machina-ghost.service")).LoadState, "not-found");
  });

  test("reload: a unit with ExecReload reloads; one without is backend-failed, not retryable", async () => {
    await withClient(sandbox(), async (m) => {
      await m.service.start({ name: "machina-reloadable" });
      const r = await m.service.reload({ name: "machina-reloadable" });
      assert.equal(r.state, "active");
      await m.service.stop({ name: "machina-reloadable" });
      assert.equal((await show("machina-reloadable.service")).ActiveState, "inactive");
      await m.service.start({ name: "example@0042.service" });
      const e = await rejectsWithKind(m.service.reload({ name: "example@0042.service" }), "backend-failed");
      assert.equal(e.data.retryable, false);
      assert.equal(e.data.detail, "org.freedesktop.systemd1.JobTypeNotApplicable");
      assert.equal((await show("example@0042.service")).ActiveState, "active", "the refused reload left the unit running");
    });
  });

  test("a job that does not finish in time is a timeout; stop then cancels it and the daemon goes on", async () => {
    const jobs = async () => (await suite.container.check(["systemctl", "list-jobs", "--no-legend", "--plain"])).trim();
    await withClient(sandbox(), async (m) => {
      const e = await rejectsWithKind(m.service.start({ name: "machina-slow" }), "timeout");
      assert.equal(e.data.timeoutMs, CALL_TIMEOUT_MS);
      assert.equal((await show("machina-slow.service")).ActiveState, "activating", "systemd is still running the start job");
      assert.match(await jobs(), /machina-slow\.service\s+start\s+running/);
      // Real systemd: stopping a oneshot service in the middle of its start kills ExecStart with
      // SIGTERM, which is a failure for the unit (Result=signal), not a clean "inactive".
      const stopped = await m.service.stop({ name: "machina-slow" });
      assert.deepEqual([stopped.state, stopped.subState, stopped.active], ["failed", "failed", false]);
    });
    assert.equal(await jobs(), "", "the start job is gone");
    const props = await show("machina-slow.service");
    assert.deepEqual([props.ActiveState, props.Result, props.MainPID], ["failed", "signal", "0"]);
  });

  test("systemd's own timeouts: a start timeout fails the job (not retryable); a job timeout is retryable", async () => {
    await withClient(sandbox(), async (m) => {
      // TimeoutStartSec: systemd kills the service; the job ends "failed", the service's Result says "timeout".
      const start = await rejectsWithKind(m.service.start({ name: "machina-start-timeout" }), "backend-failed");
      assert.equal(start.data.detail, "job result: failed; unit result: timeout");
      assert.equal(start.data.retryable, false);
      // JobTimeoutSec: only the job is given up ("timeout"); the service goes on starting.
      const job = await rejectsWithKind(m.service.start({ name: "machina-job-timeout" }), "backend-failed");
      assert.equal(job.data.detail, "job result: timeout");
      assert.equal(job.data.retryable, true);
      assert.match(job.message, /job ended "timeout" \(unit now activating\/start\)/);
      await m.service.stop({ name: "machina-job-timeout" });
    });
    const props = await show("machina-start-timeout.service");
    assert.deepEqual([props.ActiveState, props.Result], ["failed", "timeout"]);
    assert.equal((await show("machina-job-timeout.service")).MainPID, "0");
  });

  test("the backend names a loaded unit's D-Bus object as systemd does (so a status after a job needs no LoadUnit)", async () => {
    for (const name of ["example@0042.service", "sshd.service", "machina-reloadable.service", "systemd-journald.service", "dbus.socket"]) {
      const out = await suite.container.check(["busctl", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "LoadUnit", "s", name]);
      assert.equal(out.trim(), `o "${unitObjectPath(name)}"`, name);
    }
  });

  test("service.list: exact names always, the pattern expanded over the units systemd knows", async () => {
    await suite.container.check(["systemctl", "start", "example@0100.service", "example@0042.service"]);
    await withClient(sandbox(), async (m) => {
      const { services } = await m.service.list();
      const byName = new Map(services.map((s) => [s.status.name, s]));
      // Every example@NNNN instance systemd has loaded, and no other.
      const loaded = (await suite.container.check(["systemctl", "list-units", "--all", "--plain", "--no-legend", "example@*"]))
        .split("\n")
        .map((l) => l.trim().split(/\s+/)[0])
        .filter((n): n is string => n !== undefined && /^example@[0-9]{4}\.service$/.test(n));
      assert.ok(loaded.includes("example@0100.service") && loaded.includes("example@0042.service"), loaded.join(" "));
      assert.deepEqual([...byName.keys()].filter((n) => n.startsWith("example@")).sort(), loaded.sort());
      assert.ok(!byName.has("example@42.service"), "a running unit the pattern does not match is not listed");
      for (const n of ["machina-reloadable.service", "machina-broken.service", "machina-dies.service", "machina-slow.service", "machina-start-timeout.service", "machina-job-timeout.service", "machina-ghost.service", "sshd.service"]) {
        assert.ok(byName.has(n), `${n} is listed`);
      }
      assert.equal(byName.get("example@0100.service")!.status.state, "active");
      assert.deepEqual(byName.get("example@0042.service")!.actions, ["status", "start", "stop", "restart", "reload"]);
      assert.deepEqual(byName.get("sshd.service")!.actions, ["status"]);
      assert.equal(byName.get("machina-ghost.service")!.status.state, "unknown");
    });
  });

  test("discovery: x-policy lists the names and patterns each action allows", async () => {
    const doc = (await withClient(sandbox(), (m) => m.call("rpc.discover", {}))) as { methods: { name: string; "x-policy"?: unknown }[] };
    const restart = doc.methods.find((x) => x.name === "service.restart");
    assert.deepEqual(restart?.["x-policy"], { services: [{ pattern: "^example@[0-9]{4}\\.service$" }] });
    const stop = doc.methods.find((x) => x.name === "service.stop");
    assert.deepEqual(stop?.["x-policy"], { services: [{ pattern: "^example@[0-9]{4}\\.service$" }, { name: "machina-reloadable" }, { name: "machina-slow.service" }, { name: "machina-job-timeout" }] });
  });

  test("machinad inside the container finds systemd by itself (auto backend, the default system bus)", async () => {
    await suite.container.check(["systemctl", "start", "example@0042.service"]);
    const before = await show("example@0042.service");
    await withClient(suite.inside.sandbox, async (m) => {
      const r = await m.service.restart({ name: "example@0042.service" });
      assert.deepEqual([r.state, r.subState], ["active", "running"]);
      await rejectsWithKind(m.service.restart({ name: "sshd" }), "policy-denied");
      await rejectsWithKind(m.service.status({ name: "machina-ghost" }), "not-found");
    });
    // (The init-script backend would have refused the name: "@" is not valid in an init script's name.)
    assert.notEqual((await show("example@0042.service")).MainPID, before.MainPID);
  });

  // Last: it takes the container's bus away for a moment.
  test("the system bus going away is backend-failed and retryable; machinad reconnects when it is back", async () => {
    await withClient(sandbox(), async (m) => {
      assert.equal((await m.service.status({ name: "sshd" })).state, "active", "connected before");
      await suite.container.check(["systemctl", "stop", "dbus.socket", "dbus.service"]);
      try {
        const e = await rejectsWithKind(m.service.status({ name: "sshd" }), "backend-failed");
        assert.equal(e.data.retryable, true);
      } finally {
        await suite.container.check(["systemctl", "start", "dbus.socket"]);
      }
      // The next call after the bus is back opens a new connection.
      await waitFor(() => fs.existsSync(suite.container.busAddress.slice("unix:path=".length)), "the bus socket to come back");
      assert.equal((await m.service.status({ name: "sshd" })).state, "active");
      const restarted = await m.service.restart({ name: "example@0042.service" });
      assert.equal(restarted.state, "active", "jobs and their JobRemoved signals work on the new connection");
    });
  });
});
