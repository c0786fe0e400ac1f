/**
 * machinad's service options and subcommand, end to end: `--service-backend`
 * choices, a systemd backend whose bus is unreachable (a clear, retryable
 * failure — never a hung session), and `machinad policy polkit FILE`.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { afterEach, test } from "node:test";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonStartFailure, runMachinad, startDaemon } from "./harness/daemon.js";
import { Sandbox } from "./harness/sandbox.js";

const POLICY = `version = 1

[clients]
users = ["www-data"]
groups = []

[[service]]
pattern = "^example@[0-9]{4}\\\\.service$"
actions = ["status", "restart"]
`;

const ROOT_POLICY = POLICY.replace('users = ["www-data"]', 'users = ["root"]');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

test("an unknown --service-backend is a usage error (exit 2)", async () => {
  const sb = Sandbox.create({ policy: ROOT_POLICY });
  cleanups.push(() => sb.cleanup());
  const r = await daemonStartFailure(sb, { args: ["--service-backend", "upstart"] });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /upstart/);
});

test("systemd over an unreachable bus: backend-failed (retryable), and the session goes on", async () => {
  const sb = Sandbox.create({ policy: ROOT_POLICY });
  cleanups.push(() => sb.cleanup());
  const d = await startDaemon(sb, {
    args: ["--service-backend", "systemd", "--call-timeout", "5000"],
    env: { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${path.join(sb.dir, "no-bus")}` },
  });
  cleanups.push(() => d.stop());
  await withClient(sb, async (m) => {
    for (let i = 0; i < 2; i++) {
      const e = await rejectsWithKind(m.service.restart({ name: "example@0042.service" }), "backend-failed");
      assert.equal(e.data.retryable, true);
      assert.equal(e.data.backend, "systemd");
    }
    await rejectsWithKind(m.service.restart({ name: "sshd" }), "policy-denied");
  });
  assert.equal(d.running, true);
});

test("machinad policy polkit prints a rule equivalent to [[service]], checking unit and verb", async () => {
  const sb = Sandbox.create({ policy: POLICY });
  cleanups.push(() => sb.cleanup());
  const r = await runMachinad(["policy", "polkit", sb.policyFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /org\.freedesktop\.systemd1\.manage-units/);
  let rule: ((a: unknown, s: unknown) => unknown) | undefined;
  vm.runInNewContext(r.stdout, { polkit: { Result: { YES: "yes", NOT_HANDLED: null }, addRule: (f: typeof rule) => (rule = f) } });
  const decide = (unit: string, verb: string, user: string) =>
    rule!({ id: "org.freedesktop.systemd1.manage-units", lookup: (k: string) => ({ unit, verb })[k as "unit" | "verb"] }, { user, isInGroup: () => false });
  assert.equal(decide("example@0042.service", "restart", "www-data"), "yes");
  assert.equal(decide("sshd.service", "restart", "www-data"), null);
  assert.equal(decide("example@0042.service", "stop", "www-data"), null);
  assert.equal(decide("example@0042.service", "restart", "mallory"), null);

  fs.writeFileSync(path.join(sb.dir, "bad.toml"), 'version = 1\n[[service]]\nname = "../x"\nactions = ["restart"]\n');
  const bad = await runMachinad(["policy", "polkit", path.join(sb.dir, "bad.toml")]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, "", "no rule from an invalid policy");
  const missing = await runMachinad(["policy", "polkit", path.join(sb.dir, "missing.toml")]);
  assert.equal(missing.code, 1);
});
