/**
 * The rule `machinad policy polkit` prints, evaluated by a real polkitd: it is
 * installed in a real systemd container's /etc/polkit-1/rules.d/, and
 * unprivileged users ask systemd directly over D-Bus (busctl, no machinad in
 * between) to restart, stop or start units. systemd asks polkitd
 * (org.freedesktop.systemd1.manage-units, with the unit and verb as details);
 * polkitd runs the rule. Outcomes: the call's answer and the unit's MainPID as
 * systemd reports it (a restart starts a new process; a refusal leaves it).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { before, describe, test } from "node:test";
import { runAs, userWithId } from "./harness/as-user.js";
import { SYSTEM_PATH } from "./harness/command.js";
import { runMachinad, type RunResult } from "./harness/daemon.js";
import { containerSkipReason } from "./harness/systemd-container.js";
import { systemdContainerSuite } from "./harness/systemd-container-suite.js";

const POLICY = `version = 1

[clients]
users = ["panel"]
groups = ["restarters"]

[[service]]
pattern = "^example@[0-9]{4}\\\\.service$"
actions = ["status", "restart"]

[[service]]
name = "sshd"
actions = ["status"]
`;

/** Users in the container: the policy's client, a member of its group, and someone else. Same uids on the host (no user namespace). */
const USERS = { panel: 4201, groupie: 4202, intruder: 4203 } as const;

const unit = (description: string) => `[Unit]\nDescription=${description}\n\n[Service]\nExecStart=/bin/sleep infinity\n`;

const skip = containerSkipReason() ?? false;

describe("the generated polkit rule, evaluated by a real polkitd", { skip }, () => {
  const suite = systemdContainerSuite({
    container: {
      files: {
        "/etc/systemd/system/example@.service": unit("machina polkit test instance %i"),
        "/etc/systemd/system/sshd.service": unit("stand-in sshd"),
      },
    },
  });

  const mainPid = async (name: string) => (await suite.container.check(["systemctl", "show", "--property=MainPID", "--value", "--", name])).trim();

  /** A Manager method called as `user` inside the container, straight to systemd (no machinad). */
  const call = (user: string, method: string, name: string): Promise<RunResult> =>
    suite.container.exec(["busctl", "--system", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", method, "ss", name, "replace"], { user });

  before(async () => {
    const c = suite.container;
    await c.check(["groupadd", "restarters"]);
    for (const [name, uid] of Object.entries(USERS)) await c.check(["useradd", "--uid", String(uid), "--no-create-home", "--shell", "/usr/sbin/nologin", name]);
    await c.check(["usermod", "--append", "--groups", "restarters", "groupie"]);
    // The rule, exactly as a packager would produce it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-polkit-"));
    try {
      fs.writeFileSync(path.join(dir, "policy.toml"), POLICY);
      const r = await runMachinad(["policy", "polkit", path.join(dir, "policy.toml")]);
      assert.equal(r.code, 0, r.stderr);
      fs.writeFileSync(c.path("/etc/polkit-1/rules.d/50-machina.rules"), r.stdout, { mode: 0o644 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await c.check(["systemctl", "start", "example@0042.service", "example@42.service", "sshd.service"]);
  });

  test("the policy's client restarts example@0042.service itself: allowed by the rule, a new process", async () => {
    const before = await mainPid("example@0042.service");
    const r = await call("panel", "RestartUnit", "example@0042.service");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^o "\/org\/freedesktop\/systemd1\/job\/\d+"$/m);
    const after = await mainPid("example@0042.service");
    assert.notEqual(after, before);
    assert.notEqual(after, "0");
    // Membership of the policy's group is enough too.
    const g = await call("groupie", "RestartUnit", "example@0042.service");
    assert.equal(g.code, 0, g.stderr);
    assert.notEqual(await mainPid("example@0042.service"), after);
  });

  test("other units, other verbs and other users are refused by polkit, and nothing moves", async () => {
    const pids = { e0042: await mainPid("example@0042.service"), e42: await mainPid("example@42.service"), sshd: await mainPid("sshd.service") };
    const refusals: [string, string, string][] = [
      ["panel", "RestartUnit", "example@42.service"],
      ["panel", "RestartUnit", "sshd.service"],
      ["panel", "StopUnit", "example@0042.service"],
      ["panel", "StartUnit", "example@0043.service"],
      ["panel", "ReloadUnit", "example@0042.service"],
      ["intruder", "RestartUnit", "example@0042.service"],
    ];
    for (const [user, method, name] of refusals) {
      const r = await call(user, method, name);
      assert.notEqual(r.code, 0, `${user} ${method} ${name} must be refused`);
      // polkit's answer is auth_admin (its default; the rule said NOT_HANDLED), and nobody can authenticate here.
      assert.match(r.stderr, /Interactive authentication required/, `${user} ${method} ${name}: ${r.stderr}`);
    }
    assert.deepEqual({ e0042: await mainPid("example@0042.service"), e42: await mainPid("example@42.service"), sshd: await mainPid("sshd.service") }, pids);
    assert.equal((await suite.container.check(["systemctl", "is-active", "example@0043.service"]).catch(() => "inactive\n")).trim(), "inactive");
  });

  test("a non-root client on the host, on the container's bus, is decided by the same rule", async () => {
    const hostCall = (uid: number, method: string, name: string) =>
      runAs(userWithId(uid), ["busctl", `--address=${suite.container.busAddress}`, "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", method, "ss", name, "replace"], {
        env: { PATH: SYSTEM_PATH, LANG: "C.UTF-8" },
      });
    const before = await mainPid("example@0042.service");
    const ok = await hostCall(USERS.panel, "RestartUnit", "example@0042.service");
    assert.equal(ok.code, 0, ok.stderr);
    assert.notEqual(await mainPid("example@0042.service"), before);
    const after = await mainPid("example@0042.service");
    for (const [uid, name] of [
      [USERS.intruder, "example@0042.service"],
      [USERS.panel, "sshd.service"],
    ] as const) {
      const refused = await hostCall(uid, "RestartUnit", name);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /Interactive authentication required/);
    }
    assert.equal(await mainPid("example@0042.service"), after);
  });
});
