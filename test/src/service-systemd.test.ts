/**
 * Service control through the real machinad with the systemd backend
 * (`--service-backend systemd`), over real D-Bus. On a machine running
 * systemd this talks to systemd itself (the test units are installed as
 * runtime unit files); elsewhere — containers, CI, where systemd cannot be
 * PID 1 — to the fake systemd on a private dbus-daemon, which implements the
 * same D-Bus API subset. The tests do not know which: they run unchanged.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { MACHINA, cleanEnv, run, type RunResult } from "./harness/daemon.js";
import { startSystemdUnderTest, type SystemdUnderTest } from "./harness/fake-systemd-bus.js";

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
name = "machina-slow.service"
actions = ["status", "start", "stop"]

[[service]]
name = "machina-ghost"
actions = ["status", "start"]
`;

// Up before daemonSuite starts machinad, which needs the bus's address (top-level
// before() hooks of one file do not wait for each other).
const systemd: SystemdUnderTest = await startSystemdUnderTest();
const suite = daemonSuite({
  policy: POLICY,
  args: ["--service-backend", "systemd", "--call-timeout", String(CALL_TIMEOUT_MS)],
  env: systemd.env,
});
after(() => systemd.stop());

async function machina(args: string[]): Promise<RunResult> {
  for (;;) {
    const r = await run(MACHINA, ["--socket", suite.sandbox.socket, "--secret-file", suite.sandbox.secretFile, ...args], { env: cleanEnv() });
    if (!(r.code === 3 && /^machina: busy/.test(r.stderr))) return r;
  }
}

test("a panel can restart example@0042.service under the pattern, and cannot restart sshd", async () => {
  await withClient(suite.sandbox, async (m) => {
    const restarted = await m.service.restart({ name: "example@0042.service" });
    assert.deepEqual(
      { name: restarted.name, active: restarted.active, state: restarted.state, subState: restarted.subState },
      { name: "example@0042.service", active: true, state: "active", subState: "running" },
    );
    assert.ok(restarted.since && !Number.isNaN(Date.parse(restarted.since)), "since is a timestamp");
    assert.equal((await m.service.status({ name: "example@0042.service" })).state, "active");

    for (const name of ["sshd", "sshd.service", "example@42.service", "example@00420.service", "xexample@0042.service"]) {
      const e = await rejectsWithKind(m.service.restart({ name }), "policy-denied");
      assert.match(e.message, /does not allow restart/);
    }
  });
  const cli = await machina(["service", "restart", "example@0042.service"]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /^example@0042\.service: active \(running\) since \d{4}-\d\d-\d\dT/);
  const refused = await machina(["service", "restart", "sshd"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^machina: policy-denied: sshd\.service: the policy does not allow restart/);
});

test("stop, start and restart wait for the job and answer the unit's new state", async () => {
  await withClient(suite.sandbox, async (m) => {
    const a = await m.service.start({ name: "example@0007" });
    assert.equal(a.name, "example@0007.service", "a name without a suffix gets .service");
    assert.equal(a.state, "active");
    const stopped = await m.service.stop({ name: "example@0007.service" });
    assert.deepEqual([stopped.state, stopped.active, stopped.subState], ["inactive", false, "dead"]);
    assert.equal((await m.service.status({ name: "example@0007.service" })).state, "inactive");
    const started = await m.service.start({ name: "example@0007.service" });
    assert.deepEqual([started.state, started.active], ["active", true]);
    assert.ok(Date.parse(started.since!) >= Date.parse(stopped.since!), "the state changed after the stop");
    await m.service.stop({ name: "example@0007.service" });
  });
});

test("names are validated before any D-Bus call", async () => {
  await withClient(suite.sandbox, async (m) => {
    for (const name of ["../example@0042.service", "/etc/systemd/system/example@0042.service", "-x", "example@.service", "example@0042.socket", "a b", "ex;ample"]) {
      const e = await rejectsWithKind(m.service.status({ name }), "invalid-params");
      assert.equal(e.data.param, "/name");
    }
  });
});

test("a unit whose job fails is backend-failed and then reads failed; the CLI exits 1 on a failed unit", async () => {
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.service.start({ name: "machina-broken" }), "backend-failed");
    assert.equal(e.data.backend, "systemd");
    assert.match(e.message, /job ended "failed"/);
    assert.deepEqual([(await m.service.status({ name: "machina-broken" })).state], ["failed"]);
  });
  const cli = await machina(["service", "status", "machina-broken"]);
  assert.equal(cli.code, 1);
  assert.match(cli.stdout, /^machina-broken\.service: failed/);
  assert.match(cli.stderr, /machina-broken\.service has failed/);
});

test("a unit systemd does not know is not-found", async () => {
  await withClient(suite.sandbox, async (m) => {
    await rejectsWithKind(m.service.status({ name: "machina-ghost" }), "not-found");
    await rejectsWithKind(m.service.start({ name: "machina-ghost" }), "not-found");
  });
});

test("reload: a unit that can reload does; one without ExecReload is backend-failed", async () => {
  await withClient(suite.sandbox, async (m) => {
    await m.service.start({ name: "machina-reloadable" });
    const r = await m.service.reload({ name: "machina-reloadable" });
    assert.equal(r.state, "active");
    await m.service.stop({ name: "machina-reloadable" });
    await m.service.start({ name: "example@0042.service" });
    const e = await rejectsWithKind(m.service.reload({ name: "example@0042.service" }), "backend-failed");
    assert.equal(e.data.retryable, false);
  });
});

test("a job that does not finish in time is a timeout; the daemon goes on", async () => {
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.service.start({ name: "machina-slow" }), "timeout");
    assert.equal(e.data.timeoutMs, CALL_TIMEOUT_MS);
    const stopped = await m.service.stop({ name: "machina-slow" });
    assert.equal(stopped.state, "inactive");
  });
});

test("service.list: exact names always, the pattern only over units that exist", async () => {
  await withClient(suite.sandbox, async (m) => {
    await m.service.start({ name: "example@0042.service" });
    const { services } = await m.service.list();
    const byName = new Map(services.map((s) => [s.status.name, s]));
    for (const n of ["example@0042.service", "machina-reloadable.service", "machina-broken.service", "machina-slow.service", "machina-ghost.service"]) {
      assert.ok(byName.has(n), `${n} is listed`);
    }
    assert.ok(!byName.has("example@9999.service"), "the pattern is not expanded into units that do not exist");
    assert.equal(byName.get("example@0042.service")!.status.state, "active");
    assert.deepEqual(byName.get("example@0042.service")!.actions, ["status", "start", "stop", "restart", "reload"]);
    assert.equal(byName.get("machina-ghost.service")!.status.state, "unknown");
    for (const name of byName.keys()) assert.ok(/^example@[0-9]{4}\.service$|^machina-/.test(name), `${name} is one the policy names`);
  });
});

test("discovery: x-policy lists the names and patterns each action allows", async () => {
  const doc = (await withClient(suite.sandbox, (m) => m.call("rpc.discover", {}))) as { methods: { name: string; "x-policy"?: unknown }[] };
  const restart = doc.methods.find((x) => x.name === "service.restart");
  assert.deepEqual(restart?.["x-policy"], { services: [{ pattern: "^example@[0-9]{4}\\.service$" }] });
  const stop = doc.methods.find((x) => x.name === "service.stop");
  assert.deepEqual(stop?.["x-policy"], { services: [{ pattern: "^example@[0-9]{4}\\.service$" }, { name: "machina-reloadable" }, { name: "machina-slow.service" }] });
});
