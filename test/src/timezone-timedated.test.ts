/**
 * system.getTimezone / system.setTimezone under systemd: machinad runs inside
 * a real systemd container (harness/systemd-container.ts) with `--root /`,
 * so it picks the timedatectl backend by itself, and timedatectl asks the
 * container's real systemd-timedated (bus-activated) over the system bus.
 * Outcomes are read back from timedated and from the container's /etc.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, test } from "node:test";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { containerSkipReason } from "./harness/systemd-container.js";
import { systemdContainerSuite } from "./harness/systemd-container-suite.js";

const POLICY = `version = 1

[clients]
users = ["root"]

[timezone]
set = true
`;

const skip = containerSkipReason() ?? false;

describe("the timezone through a real systemd-timedated", { skip }, () => {
  const suite = systemdContainerSuite({ containerDaemon: { policy: POLICY } });

  /** The zone as systemd-timedated reports it. */
  const timedated = async () => (await suite.container.check(["timedatectl", "show", "--property=Timezone", "--value"])).trim();
  const localtime = () => fs.readlinkSync(suite.container.path("/etc/localtime"));

  test("get answers timedated's zone; set changes it through timedated, and /etc/localtime follows", async () => {
    const initial = await timedated();
    await withClient(suite.inside.sandbox, async (m) => {
      assert.deepEqual(await m.system.getTimezone(), { zone: initial });
      assert.deepEqual(await m.system.setTimezone({ zone: "Europe/Berlin" }), { zone: "Europe/Berlin", previous: initial });
      assert.equal(await timedated(), "Europe/Berlin");
      assert.equal(localtime(), "../usr/share/zoneinfo/Europe/Berlin");
      assert.deepEqual(await m.system.getTimezone(), { zone: "Europe/Berlin" });
      assert.deepEqual(await m.system.setTimezone({ zone: "America/Argentina/Buenos_Aires" }), { zone: "America/Argentina/Buenos_Aires", previous: "Europe/Berlin" });
    });
    assert.equal(await timedated(), "America/Argentina/Buenos_Aires");
    assert.equal(localtime(), "../usr/share/zoneinfo/America/Argentina/Buenos_Aires");
    // (bookworm's timedated writes only /etc/localtime; /etc/timezone keeps whatever it had.)
  });

  test("zones not in the tz database are refused before timedatectl runs; the zone stays", async () => {
    const before = await timedated();
    await withClient(suite.inside.sandbox, async (m) => {
      for (const zone of ["../../etc/passwd", "Mars/Olympus_Mons", "-h", "Europe/Berlin\n"]) {
        const e = await rejectsWithKind(m.system.setTimezone({ zone }), "invalid-params");
        assert.equal(e.data.param, "/zone");
      }
    });
    assert.equal(await timedated(), before);
  });

  test("timedated unavailable: backend-failed with timedatectl's reason, and the zone stays", async () => {
    const before = await timedated();
    await suite.container.check(["systemctl", "stop", "systemd-timedated.service"]);
    await suite.container.check(["systemctl", "mask", "--runtime", "systemd-timedated.service"]);
    try {
      await withClient(suite.inside.sandbox, async (m) => {
        const e = await rejectsWithKind(m.system.setTimezone({ zone: "Asia/Tokyo" }), "backend-failed");
        assert.equal(e.data.backend, "timedatectl");
        // systemd's UnitMasked error reaches timedatectl as ERFKILL, hence its odd wording.
        assert.match(String(e.data.detail), /RF-kill/);
        assert.equal(e.message, `timedatectl failed: ${String(e.data.detail)}`);
      });
    } finally {
      await suite.container.check(["systemctl", "unmask", "--runtime", "systemd-timedated.service"]);
    }
    assert.equal(await timedated(), before);
    assert.equal(localtime(), `../usr/share/zoneinfo/${before}`);
  });
});
