/**
 * service.enable / service.disable with the init-script backend, through
 * Debian's real update-rc.d on the real /etc/init.d and /etc/rc?.d of a
 * Debian tree: machinad runs inside the systemd container
 * (harness/systemd-container-suite.ts) with `--service-backend initd`, so the
 * links it makes are the container's, never the test machine's. Outcomes are
 * the links on disk (read through the container's root) and what the
 * container's own tools say of them.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { before, describe, test } from "node:test";
import type { MachinaClient } from "@machina/client";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { runMachina } from "./harness/daemon.js";
import { containerSkipReason } from "./harness/systemd-container.js";
import { systemdContainerSuite } from "./harness/systemd-container-suite.js";

const POLICY = `version = 1

[clients]
users = ["root"]
groups = []

[[service]]
pattern = "^machina-(sysv|nolinks|nolevels|unsafe|missing)$"
actions = ["status", "enable", "disable"]

[[service]]
name = "machina-locked"
actions = ["status"]
`;

/** An LSB init script as a package would install it; `status` says it is not running. */
const script = (name: string, start = "2 3 4 5", stop = "0 1 6") => `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${name}
# Required-Start:
# Required-Stop:
# Default-Start:     ${start}
# Default-Stop:      ${stop}
# Short-Description: machina's update-rc.d test script
### END INIT INFO
case "$1" in
	status) echo "${name} is not running"; exit 3 ;;
	*) exit 0 ;;
esac
`;

const SCRIPTS: Record<string, string> = {
  "machina-sysv": script("machina-sysv"),
  "machina-nolinks": script("machina-nolinks"),
  "machina-nolevels": script("machina-nolevels", "", ""),
  "machina-unsafe": script("machina-unsafe"),
  "machina-locked": script("machina-locked"),
};

const LEVELS = ["S", "0", "1", "2", "3", "4", "5", "6"];

const skip = containerSkipReason() ?? false;

describe("enable/disable of init scripts through update-rc.d, in a Debian tree", { skip }, () => {
  const suite = systemdContainerSuite({
    container: { files: Object.fromEntries(Object.entries(SCRIPTS).map(([name, text]) => [`/etc/init.d/${name}`, text])) },
    containerDaemon: { policy: POLICY, args: ["--service-backend", "initd", "--call-timeout", "20000"] },
  });
  const sb = () => suite.inside.sandbox;
  const client = <T>(fn: (m: MachinaClient) => Promise<T>) => withClient(sb(), fn);

  /** The rc?.d links of `name` in the container: `rc2.d/S01machina-sysv -> ../init.d/machina-sysv`. */
  function links(name: string): string[] {
    const out: string[] = [];
    for (const level of LEVELS) {
      const dir = suite.container.path(`/etc/rc${level}.d`);
      for (const e of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
        if (e.slice(3) === name) out.push(`rc${level}.d/${e} -> ${fs.readlinkSync(`${dir}/${e}`)}`);
      }
    }
    return out;
  }
  const linksOf = (name: string, start: "S" | "K") => [
    `rc0.d/K01${name} -> ../init.d/${name}`,
    `rc1.d/K01${name} -> ../init.d/${name}`,
    ...["2", "3", "4", "5"].map((l) => `rc${l}.d/${start}01${name} -> ../init.d/${name}`),
    `rc6.d/K01${name} -> ../init.d/${name}`,
  ];

  before(async () => {
    for (const name of Object.keys(SCRIPTS)) await suite.container.check(["chmod", name === "machina-unsafe" ? "0775" : "0755", `/etc/init.d/${name}`]);
    // A package's postinst would have done this: the locked script is enabled, and the client may only read that.
    await suite.container.check(["update-rc.d", "machina-locked", "defaults"]);
  });

  test("enable makes the links from the LSB header; disable turns the start links into stop links; enable again turns them back", async () => {
    assert.deepEqual(links("machina-sysv"), []);
    await client(async (m) => {
      assert.equal((await m.service.status({ name: "machina-sysv" })).enabled, false, "rc?.d exist, no start link");
      const on = await m.service.enable({ name: "machina-sysv" });
      assert.deepEqual([on.name, on.state, on.enabled], ["machina-sysv", "inactive", true]);
      assert.deepEqual(links("machina-sysv"), linksOf("machina-sysv", "S"));
      assert.equal((await m.service.enable({ name: "machina-sysv" })).enabled, true, "enabling an enabled script succeeds");
      assert.deepEqual(links("machina-sysv"), linksOf("machina-sysv", "S"), "and changes nothing");

      const off = await m.service.disable({ name: "machina-sysv" });
      assert.equal(off.enabled, false);
      assert.deepEqual(links("machina-sysv"), linksOf("machina-sysv", "K"));
      assert.equal((await m.service.status({ name: "machina-sysv" })).enabled, false);

      assert.equal((await m.service.enable({ name: "machina-sysv" })).enabled, true);
      assert.deepEqual(links("machina-sysv"), linksOf("machina-sysv", "S"));
    });
    // systemd's view of the same links (its SysV compatibility reads rc?.d).
    assert.equal((await suite.container.exec(["/lib/systemd/systemd-sysv-install", "is-enabled", "machina-sysv"])).code, 0);
    const cli = await runMachina(sb(), ["service", "disable", "machina-sysv"]);
    assert.deepEqual([cli.code, cli.stdout, cli.stderr], [0, "machina-sysv: inactive, disabled\n  machina-sysv is not running\n", ""]);
    assert.notEqual((await suite.container.exec(["/lib/systemd/systemd-sysv-install", "is-enabled", "machina-sysv"])).code, 0);
  });

  test("disabling a script that has no links runs nothing and makes none", async () => {
    await client(async (m) => {
      const off = await m.service.disable({ name: "machina-nolinks" });
      assert.equal(off.enabled, false);
    });
    assert.deepEqual(links("machina-nolinks"), []);
  });

  test("refusals: the policy, an unsafe script, a missing one, bad names, a header update-rc.d rejects; links untouched", async () => {
    const locked = links("machina-locked");
    assert.deepEqual(locked, linksOf("machina-locked", "S"));
    await client(async (m) => {
      for (const call of [() => m.service.disable({ name: "machina-locked" }), () => m.service.enable({ name: "machina-locked" })]) {
        await rejectsWithKind(call(), "policy-denied");
      }
      const unsafe = await rejectsWithKind(m.service.enable({ name: "machina-unsafe" }), "policy-denied");
      assert.match(String(unsafe.data.reason), /writable by its group/);
      await rejectsWithKind(m.service.enable({ name: "machina-missing" }), "not-found");
      // Options of update-rc.d (which knows no --), paths, and what its Perl globs would expand.
      for (const name of ["-f", "--help", "../init.d/machina-sysv", "machina-*", "machina-{sysv,locked}", "machina-[s]ysv", "machina sysv"]) {
        assert.equal((await rejectsWithKind(m.service.enable({ name }), "invalid-params")).data.param, "/name", name);
      }
      // update-rc.d itself refuses: a header without Default-Start has nothing to enable.
      const e = await rejectsWithKind(m.service.enable({ name: "machina-nolevels" }), "backend-failed");
      assert.equal(e.data.exitCode, 1);
      assert.match(String(e.data.detail), /Default-Start contains no runlevels/);
    });
    assert.deepEqual(links("machina-locked"), locked);
    assert.deepEqual(links("machina-unsafe"), []);
    assert.deepEqual(links("machina-missing"), []);
  });
});
