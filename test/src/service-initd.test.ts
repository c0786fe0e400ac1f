/**
 * Service control through the real machinad with the init-script backend
 * (`--service-backend initd --initd-dir DIR`), against real LSB init scripts
 * run as root that manage a real long-running process with start-stop-daemon:
 * the typed client and the `machina service` CLI, the policy's names, patterns
 * and actions, name validation, unsafe scripts, failures and timeouts.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { MACHINA, cleanEnv, run, type RunResult } from "./harness/daemon.js";
import { InitScripts, processAlive } from "./harness/init-scripts.js";
import { waitFor } from "./harness/wait.js";

const scripts = new InitScripts();
for (const s of ["machina-testd", "fails", "hangs", "probe"]) scripts.install(s);
scripts.install("probe", "group-writable", 0o775);
after(() => scripts.cleanup());

const CALL_TIMEOUT_MS = 3000;

const POLICY = `version = 1

[clients]
users = ["root"]
groups = []

[[service]]
name = "machina-testd"
actions = ["status", "start", "stop", "restart", "reload"]

[[service]]
pattern = "^(fails|hangs|group-writable|ghost)$"
actions = ["status", "start", "restart"]

[[service]]
name = "missing"
actions = ["status"]
`;

const suite = daemonSuite({
  policy: POLICY,
  args: ["--service-backend", "initd", "--initd-dir", scripts.initd, "--call-timeout", String(CALL_TIMEOUT_MS)],
  env: { CANARY_SECRET: "must-not-reach-scripts" },
});

async function machina(args: string[]): Promise<RunResult> {
  return waitFor(async () => {
    const r = await run(MACHINA, ["--socket", suite.sandbox.socket, "--secret-file", suite.sandbox.secretFile, ...args], { env: cleanEnv() });
    return r.code === 3 && /^machina: busy/.test(r.stderr) ? undefined : r;
  }, "the daemon's session slot to be free");
}

test("a real daemon through machinad: started, running, restarted with a new pid, stopped", async () => {
  await withClient(suite.sandbox, async (m) => {
    assert.equal((await m.service.status({ name: "machina-testd" })).state, "inactive");
    const started = await m.service.start({ name: "machina-testd" });
    assert.deepEqual({ name: started.name, active: started.active, state: started.state }, { name: "machina-testd", active: true, state: "active" });
    const first = scripts.pid("machina-testd")!;
    assert.ok(processAlive(first), "the managed process runs");

    const restarted = await m.service.restart({ name: "machina-testd" });
    assert.equal(restarted.state, "active");
    const second = scripts.pid("machina-testd")!;
    assert.notEqual(second, first, "restart gives a new process");
    assert.ok(processAlive(second) && !processAlive(first));

    const stopped = await m.service.stop({ name: "machina-testd" });
    assert.deepEqual({ active: stopped.active, state: stopped.state }, { active: false, state: "inactive" });
    assert.ok(!processAlive(second), "stop ends the process");
  });
});

test("the CLI: machina service ACTION NAME prints the status; refusals and failures exit 1; bad usage exits 2", async () => {
  const start = await machina(["service", "start", "machina-testd"]);
  assert.equal(start.code, 0, start.stderr);
  assert.match(start.stdout, /^machina-testd: active\n  Starting machina-testd\n$/);
  const json = await machina(["--json", "service", "status", "machina-testd"]);
  assert.equal(json.code, 0, json.stderr);
  const status = JSON.parse(json.stdout) as { name: string; state: string; active: boolean; detail: string };
  assert.deepEqual([status.name, status.state, status.active], ["machina-testd", "active", true]);
  assert.match(status.detail, /is running \(pid \d+\)/);
  const stop = await machina(["service", "stop", "machina-testd"]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /^machina-testd: inactive\n/);

  const denied = await machina(["service", "restart", "sshd"]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /^machina: policy-denied: sshd: the policy does not allow restart on this service/);
  const failed = await machina(["service", "start", "fails"]);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^machina: backend-failed: fails start failed: program is not configured/);

  for (const args of [["service", "frobnicate", "machina-testd"], ["service", "start"], ["service", "list", "extra"]]) {
    const r = await machina(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
  }
});

test("default deny: names and actions the policy does not give are policy-denied, and nothing runs", async () => {
  scripts.install("probe", "sshd");
  await withClient(suite.sandbox, async (m) => {
    for (const call of [
      () => m.service.restart({ name: "sshd" }),
      () => m.service.status({ name: "sshd" }),
      () => m.service.start({ name: "probe" }),
      () => m.service.stop({ name: "fails" }),
      () => m.service.reload({ name: "fails" }),
      () => m.service.start({ name: "missing" }),
    ]) {
      const e = await rejectsWithKind(call(), "policy-denied");
      assert.match(e.message, /the policy does not allow/);
    }
  });
  assert.equal(scripts.ran("sshd"), false, "the sshd script never ran");
  assert.equal(scripts.ran("probe"), false);
});

test("names are validated before anything is looked up: paths, options and odd characters are invalid-params", async () => {
  await withClient(suite.sandbox, async (m) => {
    for (const name of ["../init.d/machina-testd", "/etc/init.d/machina-testd", "-x", "--help", ".", "..", "machina-testd;id", "a b", "example@0042.service"]) {
      const e = await rejectsWithKind(m.service.start({ name }), "invalid-params");
      assert.equal(e.data.param, "/name", name);
    }
    await rejectsWithKind(m.call("service.start", { name: "" }), "invalid-params");
    await rejectsWithKind(m.call("service.start", { name: "machina-testd", action: "kill" } as never), "invalid-params");
    await rejectsWithKind(m.call("service.kill", { name: "machina-testd" }), "not-found");
  });
});

test("a failing script is backend-failed with its output; a missing one not-found", async () => {
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.service.start({ name: "fails" }), "backend-failed");
    assert.equal(e.data.backend, "initd");
    assert.equal(e.data.exitCode, 6);
    assert.match(String(e.data.detail), /unknown directive 'Listen'/);
    await rejectsWithKind(m.service.status({ name: "missing" }), "not-found");
    const reload = await rejectsWithKind(m.service.reload({ name: "machina-testd" }), "backend-failed");
    assert.equal(reload.data.exitCode, 3, "LSB 3: not implemented");
  });
});

test("a group-writable script is refused and never runs", async () => {
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.service.start({ name: "group-writable" }), "policy-denied");
    assert.match(e.message, /writable by its group/);
  });
  assert.equal(scripts.ran("group-writable"), false);
});

test("a hanging script times out, is killed with its children, and the daemon serves the next call", async () => {
  fs.rmSync(scripts.stateFile("hangs.child"), { force: true });
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.service.restart({ name: "hangs" }), "timeout");
    assert.equal(e.data.timeoutMs, CALL_TIMEOUT_MS);
    assert.equal((await m.service.status({ name: "machina-testd" })).name, "machina-testd", "the same session goes on");
  });
  const child = Number(fs.readFileSync(scripts.stateFile("hangs.child"), "utf8"));
  await waitFor(() => !processAlive(child), "the hanging script's child to be killed");
});

test("scripts get a cleared environment: PATH and LANG=C only", async () => {
  scripts.install("probe", "group-writable", 0o755);
  try {
    await withClient(suite.sandbox, (m) => m.service.start({ name: "group-writable" }));
    const ran = fs.readFileSync(scripts.stateFile("group-writable.ran"), "utf8");
    assert.match(ran, / LANG=C /);
    assert.doesNotMatch(ran, /CANARY_SECRET|MACHINA_|HOME=/);
  } finally {
    fs.chmodSync(path.join(scripts.initd, "group-writable"), 0o775);
    fs.rmSync(scripts.stateFile("group-writable.ran"), { force: true });
  }
});

test("service.list: every exact name, patterns only over scripts that exist, with status and actions", async () => {
  const { services } = await withClient(suite.sandbox, (m) => m.service.list());
  const byName = new Map(services.map((s) => [s.status.name, s]));
  assert.deepEqual([...byName.keys()].sort(), ["fails", "group-writable", "hangs", "machina-testd", "missing"], "ghost matches the pattern but does not exist");
  assert.deepEqual(byName.get("machina-testd")!.actions, ["status", "start", "stop", "restart", "reload"]);
  assert.deepEqual(byName.get("fails")!.actions, ["status", "start", "restart"]);
  assert.equal(byName.get("fails")!.status.state, "inactive");
  assert.equal(byName.get("missing")!.status.state, "unknown");
  assert.match(byName.get("missing")!.status.detail ?? "", /no init script/);
  assert.match(byName.get("group-writable")!.status.detail ?? "", /refusing to run it/);
  const cli = await machina(["service", "list"]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /^machina-testd: inactive  \[status, start, stop, restart, reload\]$/m);
});

test("discovery lists the service methods the policy grants, with the names and patterns for each action", async () => {
  const doc = await withClient(suite.sandbox, (m) => m.call("rpc.discover", {}));
  const methods = new Map((doc as { methods: { name: string; "x-policy"?: unknown }[] }).methods.map((x) => [x.name, x["x-policy"]]));
  assert.deepEqual(methods.get("service.stop"), { services: [{ name: "machina-testd" }] });
  assert.deepEqual(methods.get("service.start"), { services: [{ name: "machina-testd" }, { pattern: "^(fails|hangs|group-writable|ghost)$" }] });
  assert.ok(methods.has("service.list") && methods.has("service.status") && methods.has("service.reload"));
});
