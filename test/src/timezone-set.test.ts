/**
 * The timezone through the real daemon on a sandbox root (no systemd here,
 * and a sandbox root never uses timedatectl): `/etc/localtime` and
 * `/etc/timezone` below the root are replaced atomically; zone names are
 * looked up in the tz database as whole names, so path tricks and unknown
 * zones are refused with nothing changed; the policy's `[timezone]` decides
 * whether the zone may be read or set. The `machina timezone` CLI on top.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { afterEach, test } from "node:test";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { MACHINA, cleanEnv, run, startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { Sandbox } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";

function policy(timezone: string): string {
  return `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]
${timezone}
`;
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** A sandbox whose root is set to Etc/UTC the Debian way, and a daemon on it. */
async function daemonWith(timezone: string): Promise<{ sb: Sandbox; d: DaemonProcess }> {
  const sb = Sandbox.create({ policy: policy(timezone) });
  cleanups.push(() => sb.cleanup());
  fs.symlinkSync("/usr/share/zoneinfo/Etc/UTC", sb.path("/etc/localtime"));
  sb.write("/etc/timezone", "Etc/UTC\n");
  const d = await startDaemon(sb);
  cleanups.push(() => d.stop());
  return { sb, d };
}

test("get and set: the link and the file under the root change, atomically replaced", async () => {
  const { sb } = await daemonWith("[timezone]\nset = true");
  const before = sb.stat("/etc/timezone").ino;
  await withClient(sb, async (m) => {
    assert.deepEqual(await m.system.getTimezone(), { zone: "Etc/UTC" });
    assert.deepEqual(await m.system.setTimezone({ zone: "Europe/Berlin" }), { zone: "Europe/Berlin", previous: "Etc/UTC" });
    assert.deepEqual(await m.system.getTimezone(), { zone: "Europe/Berlin" });
    assert.deepEqual(await m.system.setTimezone({ zone: "America/Argentina/Buenos_Aires" }), { zone: "America/Argentina/Buenos_Aires", previous: "Europe/Berlin" });
  });
  assert.equal(fs.readlinkSync(sb.path("/etc/localtime")), "/usr/share/zoneinfo/America/Argentina/Buenos_Aires");
  assert.equal(sb.read("/etc/timezone"), "America/Argentina/Buenos_Aires\n");
  assert.notEqual(sb.stat("/etc/timezone").ino, before, "replaced by rename, not rewritten in place");
  assert.deepEqual(fs.readdirSync(sb.path("/etc")).filter((n) => n.startsWith(".")), [], "no temporary files left");
});

test("path tricks and unknown zones are refused, and nothing changes", async () => {
  const { sb } = await daemonWith("[timezone]\nset = true");
  const before = sb.snapshot();
  await withClient(sb, async (m) => {
    for (const zone of ["../../etc/passwd", "Europe/../../../etc/passwd", "/etc/passwd", "Europe/Berlin\n", "..", "Europe//Berlin", "-o", ""]) {
      const e = await rejectsWithKind(m.system.setTimezone({ zone }), "invalid-params");
      assert.ok(e.data.param === "/zone", JSON.stringify(e.data));
      sb.assertUnchanged(before);
    }
    for (const zone of ["Mars/Olympus_Mons", "Europe/Atlantis", "zone", "tzdata", "right", "posix"]) {
      const e = await rejectsWithKind(m.system.setTimezone({ zone }), "invalid-params");
      assert.match(e.message, /not a zone of this system's tz database/);
      sb.assertUnchanged(before);
    }
    assert.deepEqual(await m.system.getTimezone(), { zone: "Etc/UTC" });
  });
});

test("a policy with [timezone] but not set = true allows reading only; none allows nothing", async () => {
  const readOnly = await daemonWith("[timezone]");
  let before = readOnly.sb.snapshot();
  await withClient(readOnly.sb, async (m) => {
    assert.deepEqual(await m.system.getTimezone(), { zone: "Etc/UTC" });
    const e = await rejectsWithKind(m.system.setTimezone({ zone: "Europe/Berlin" }), "policy-denied");
    assert.equal(e.data.target, "system.setTimezone");
    const doc = (await m.discover()) as unknown as { methods: { name: string }[] };
    assert.deepEqual(doc.methods.map((x) => x.name).filter((n) => n.startsWith("system.")), ["system.getTimezone"]);
  });
  readOnly.sb.assertUnchanged(before);

  const none = await daemonWith("");
  before = none.sb.snapshot();
  await withClient(none.sb, async (m) => {
    await rejectsWithKind(m.system.getTimezone(), "policy-denied");
    await rejectsWithKind(m.system.setTimezone({ zone: "Europe/Berlin" }), "policy-denied");
  });
  none.sb.assertUnchanged(before);
});

test("machina timezone: get, set, and a refusal's exit status", async () => {
  const { sb } = await daemonWith("[timezone]\nset = true");
  const machina = (args: string[]) =>
    waitFor(async () => {
      const r = await run(MACHINA, ["--socket", sb.socket, "--secret-file", sb.secretFile, ...args], { env: cleanEnv() });
      return r.code === 3 && /busy/.test(r.stderr) ? undefined : r;
    }, "machina");
  const get = await machina(["timezone"]);
  assert.deepEqual([get.code, get.stdout], [0, "Etc/UTC\n"]);
  const set = await machina(["timezone", "set", "Asia/Tokyo"]);
  assert.deepEqual([set.code, set.stdout], [0, "Asia/Tokyo (was Etc/UTC)\n"], set.stderr);
  assert.equal(sb.read("/etc/timezone"), "Asia/Tokyo\n");
  const bad = await machina(["timezone", "set", "../../etc/passwd"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^machina: invalid-params: /);
  const usage = await machina(["timezone", "set"]);
  assert.equal(usage.code, 2);
  assert.equal(sb.read("/etc/timezone"), "Asia/Tokyo\n");
});
