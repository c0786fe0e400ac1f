/**
 * service.log and service.enable / service.disable against a real systemd:
 * systemd 252 booted as PID 1 in a systemd-nspawn container
 * (harness/systemd-container.ts), with machinad running inside it the way it
 * runs on a Debian machine (`--root /`, the systemd backend found by itself),
 * so journalctl reads the container's real journal.
 *
 * Outcomes are read back from systemd itself inside the container —
 * `journalctl --output=json` for the lines, `systemctl is-enabled` and the
 * [Install] links on disk for enable/disable — not only from machinad's
 * answers.
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
name = "machina-logs"
actions = ["status", "start", "log"]

[[service]]
name = "machina-fail"
actions = ["status", "start", "restart", "log"]

[[service]]
name = "machina-fail-quiet"
actions = ["status", "start"]

[[service]]
name = "machina-boot"
actions = ["status", "enable", "disable"]

[[service]]
name = "machina-static"
actions = ["status", "enable", "disable"]

[[service]]
name = "machina-locked"
actions = ["status", "log"]

[[service]]
pattern = "^example@[0-9]{4}\\\\.service$"
actions = ["status", "enable", "disable"]

[[service]]
name = "machina-ghost"
actions = ["enable", "log"]
`;

const unit = (description: string, service: string, install = "") => `# machina's service.log tests\n[Unit]\nDescription=${description}\n\n[Service]\n${service}${install}`;
const WANTED = "\n[Install]\nWantedBy=multi-user.target\n";
/** A oneshot that writes `lines` lines to stdout (the journal) and exits with `status`; `$$` is a `$` for the shell. */
const talker = (prefix: string, lines: number, status: number, last = "") =>
  `Type=oneshot\nExecStart=/bin/sh -c 'i=1; while [ $$i -le ${lines} ]; do echo "${prefix}: step $$i"; i=$$((i + 1)); done;${last ? ` echo "${last}" >&2;` : ""} exit ${status}'\n`;

const UNITS: Record<string, string> = {
  "machina-logs.service": unit("machina test: logs 30 lines", talker("machina-logs", 30, 0)),
  "machina-fail.service": unit("machina test: logs, then fails to start", talker("machina-fail", 30, 1, "machina-fail: /etc/machina-fail.conf: line 3: unknown directive")),
  "machina-fail-quiet.service": unit("machina test: fails, its log not readable by the client", talker("machina-fail-quiet", 3, 1)),
  "machina-boot.service": unit("machina test: may start at boot", "ExecStart=/bin/sleep infinity\n", WANTED),
  "machina-static.service": unit("machina test: no [Install] section", "ExecStart=/bin/sleep infinity\n"),
  "machina-locked.service": unit("machina test: enabled, and the client may not change that", "ExecStart=/bin/sleep infinity\n", WANTED),
  "example@.service": unit("machina test instance %i", "ExecStart=/bin/sleep infinity\n", WANTED),
};

const skip = containerSkipReason() ?? false;

describe("service.log and enable/disable against a real systemd and its journal", { skip }, () => {
  const suite = systemdContainerSuite({
    container: { files: Object.fromEntries(Object.entries(UNITS).map(([name, text]) => [`/etc/systemd/system/${name}`, text])) },
    containerDaemon: { policy: POLICY, args: ["--call-timeout", "10000"] },
  });
  const sb = () => suite.inside.sandbox;
  const client = <T>(fn: (m: MachinaClient) => Promise<T>) => withClient(sb(), fn);

  /** The unit's journal entries as journalctl inside the container shows them (after journald has written everything). */
  async function journal(name: string, args: string[] = []): Promise<{ MESSAGE: string; __CURSOR: string }[]> {
    await suite.container.check(["journalctl", "--sync"]);
    const out = await suite.container.check(["journalctl", "--no-pager", "--output=json", `--unit=${name}`, ...args]);
    return out
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { MESSAGE: string; __CURSOR: string });
  }

  const isEnabled = async (name: string) => (await suite.container.exec(["systemctl", "is-enabled", name])).stdout.trim();
  const wantsLink = (name: string) => fs.lstatSync(suite.container.path(`/etc/systemd/system/multi-user.target.wants/${name}`), { throwIfNoEntry: false })?.isSymbolicLink() === true;
  const activeState = async (name: string) => (await suite.container.check(["systemctl", "show", "--property=ActiveState", "--value", name])).trim();

  before(async () => {
    await suite.container.check(["systemctl", "enable", "machina-locked.service"]);
  });

  test("log: the unit's last journal lines, then exactly what it logged after the cursor, as journalctl has them", async () => {
    await suite.container.check(["systemctl", "start", "machina-logs.service"]);
    const first = await journal("machina-logs.service");
    assert.ok(first.some((e) => e.MESSAGE === "machina-logs: step 30"), "the unit logged");
    await client(async (m) => {
      const last = await m.service.log({ name: "machina-logs", lines: 5 });
      assert.equal(last.name, "machina-logs.service");
      assert.equal(last.source, "journal");
      assert.deepEqual(last.lines.map((l) => l.message), first.slice(-5).map((e) => e.MESSAGE));
      assert.equal(last.more, false);
      const step = last.lines.find((l) => l.message.startsWith("machina-logs: step"))!;
      assert.ok(step, "the unit's own lines are there, with systemd's about it");
      assert.deepEqual([step.source, step.priority, typeof step.pid], ["sh", 6, "number"]);
      assert.ok(!Number.isNaN(Date.parse(step.time!)), "a timestamp");
      assert.deepEqual(await m.service.log({ name: "machina-logs.service", cursor: last.cursor! }), { ...last, lines: [] }, "nothing new: the same cursor");

      await suite.container.check(["systemctl", "start", "machina-logs.service"]);
      const cursor = last.cursor!.replace(/^j1\./, "");
      const after = await journal("machina-logs.service", [`--after-cursor=${cursor}`]);
      assert.ok(after.length > 30, `${after.length} entries after the cursor`);
      const page = await m.service.log({ name: "machina-logs", lines: 10, cursor: last.cursor! });
      assert.deepEqual([page.lines.map((l) => l.message), page.more], [after.slice(0, 10).map((e) => e.MESSAGE), true]);
      const rest = await m.service.log({ name: "machina-logs", lines: 1000, cursor: page.cursor! });
      assert.deepEqual([rest.lines.map((l) => l.message), rest.more], [after.slice(10).map((e) => e.MESSAGE), false]);
      assert.equal(rest.cursor, `j1.${after[after.length - 1]!.__CURSOR}`);

      for (const bad of ["garbage", "s=abc", "j1.", "j1.s=xyz;i=1", "j1.s=1;i=2 --since=2000-01-01", "f1.1.2.3.0123456789abcdef", `${last.cursor!}\n`]) {
        const e = await rejectsWithKind(m.service.log({ name: "machina-logs", cursor: bad }), "invalid-params");
        assert.equal(e.data.param, "/cursor", bad);
      }
      assert.deepEqual(await m.service.log({ name: "machina-ghost" }), { name: "machina-ghost.service", source: "journal", lines: [], more: false }, "a unit with no journal yet");
    });
    const cli = await runMachina(sb(), ["service", "log", "machina-logs", "-n", "3"]);
    assert.equal(cli.code, 0, cli.stderr);
    const shown = cli.stdout.split("\n").filter(Boolean);
    assert.equal(shown.length, 3);
    const tail = (await journal("machina-logs.service")).slice(-3);
    shown.forEach((line, i) => assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z \\S+\\[\\d+\\]: ${tail[i]!.MESSAGE.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)));
  });

  test("a unit that fails to start is backend-failed with its last 25 journal lines, its own and systemd's; without log on its entry, none", async () => {
    await client(async (m) => {
      const e = await rejectsWithKind(m.service.start({ name: "machina-fail" }), "backend-failed");
      assert.equal(e.data.detail, "job result: failed; unit result: exit-code");
      const log = e.data.log as { message: string }[];
      const journalled = (await journal("machina-fail.service")).slice(-25).map((x) => x.MESSAGE);
      assert.deepEqual(log.map((l) => l.message), journalled, "the journal's last 25 lines, read right after the failure");
      assert.ok(log.some((l) => l.message === "machina-fail: /etc/machina-fail.conf: line 3: unknown directive"), "the unit's own last words");
      assert.match(log[log.length - 1]!.message, /Failed to start machina-fail\.service/);
      const restart = await rejectsWithKind(m.service.restart({ name: "machina-fail" }), "backend-failed");
      assert.equal((restart.data.log as unknown[]).length, 25);

      const quiet = await rejectsWithKind(m.service.start({ name: "machina-fail-quiet" }), "backend-failed");
      assert.equal(quiet.data.log, undefined, "its entry does not allow log");
      await rejectsWithKind(m.service.log({ name: "machina-fail-quiet" }), "policy-denied");
    });
    const cli = await runMachina(sb(), ["service", "start", "machina-fail"]);
    assert.equal(cli.code, 1);
    assert.equal(cli.stdout.split("\n").filter(Boolean).length, 25);
    assert.match(cli.stdout, /^ {2}\S+ sh\[\d+\]: machina-fail: \/etc\/machina-fail\.conf: line 3: unknown directive$/m);
    assert.match(cli.stderr, /^machina: backend-failed: machina-fail\.service start: the systemd job ended "failed"/);
  });

  test("enable and disable: the unit's [Install] links, read back with systemctl is-enabled; the unit's state is not changed", async () => {
    assert.equal(await isEnabled("machina-boot.service"), "disabled");
    await client(async (m) => {
      assert.equal((await m.service.status({ name: "machina-boot" })).enabled, false);
      const enabled = await m.service.enable({ name: "machina-boot" });
      assert.deepEqual([enabled.name, enabled.enabled, enabled.state], ["machina-boot.service", true, "inactive"]);
      assert.equal(await isEnabled("machina-boot.service"), "enabled");
      assert.ok(wantsLink("machina-boot.service"), "multi-user.target.wants/machina-boot.service");
      assert.equal((await m.service.enable({ name: "machina-boot" })).enabled, true, "enabling an enabled unit succeeds");
      const disabled = await m.service.disable({ name: "machina-boot.service" });
      assert.equal(disabled.enabled, false);
      assert.equal(await isEnabled("machina-boot.service"), "disabled");
      assert.ok(!wantsLink("machina-boot.service"));

      const instance = await m.service.enable({ name: "example@0042" });
      assert.equal(instance.enabled, true);
      assert.equal(await isEnabled("example@0042.service"), "enabled");
      assert.ok(wantsLink("example@0042.service"), "an instance of a template");
      await m.service.disable({ name: "example@0042.service" });
      assert.equal(await isEnabled("example@0042.service"), "disabled");
    });
    assert.equal(await activeState("machina-boot.service"), "inactive", "enable is not --now");
    const cli = await runMachina(sb(), ["service", "enable", "machina-boot"]);
    assert.deepEqual([cli.code, cli.stdout, cli.stderr], [0, "machina-boot.service: inactive (dead), enabled\n", ""]);
    assert.equal(await isEnabled("machina-boot.service"), "enabled");
    const off = await runMachina(sb(), ["service", "disable", "machina-boot"]);
    assert.deepEqual([off.code, off.stdout], [0, "machina-boot.service: inactive (dead), disabled\n"]);
  });

  test("refusals: a unit without [Install], one the policy does not let the client change, one that does not exist; nothing changes", async () => {
    await client(async (m) => {
      const e = await rejectsWithKind(m.service.enable({ name: "machina-static" }), "backend-failed");
      assert.match(e.message, /no \[Install\] section/);
      assert.equal((await m.service.status({ name: "machina-static" })).enabled, undefined, "static: neither enabled nor disabled");
      for (const call of [() => m.service.disable({ name: "machina-locked" }), () => m.service.enable({ name: "machina-logs" }), () => m.service.disable({ name: "sshd" })]) {
        const refused = await rejectsWithKind(call(), "policy-denied");
        assert.match(String(refused.data.reason), /does not allow (enable|disable)/);
      }
      await rejectsWithKind(m.service.log({ name: "machina-boot" }), "policy-denied");
      await rejectsWithKind(m.service.enable({ name: "machina-ghost" }), "not-found");
      for (const name of ["-x", "machina-*", "../machina-boot", "machina-boot.socket", "example@.service", "a b"]) {
        for (const call of [() => m.service.enable({ name }), () => m.service.log({ name })]) assert.equal((await rejectsWithKind(call(), "invalid-params")).data.param, "/name", name);
      }
    });
    assert.equal(await isEnabled("machina-static.service"), "static");
    assert.equal(await isEnabled("machina-locked.service"), "enabled");
    assert.ok(wantsLink("machina-locked.service"));
    assert.equal(await isEnabled("machina-logs.service"), "static");
  });
});
