/**
 * service.log, and enable/disable, through the real machinad with the
 * init-script backend (`--service-backend initd --initd-dir DIR`) and real LSB
 * init scripts run as root: the log file each `[[service]]` entry names below
 * the daemon's --root (the sandbox), read through the typed client and the
 * `machina service log` CLI (-n, -f), its cursor across appends and a
 * rotation; a failed start carrying the log's last 25 lines, written there by
 * the script itself; containment refusals (a symbolic link out of the root,
 * a linked directory, a hard link) with nothing of the target read; and
 * update-rc.d refused for an init directory other than /etc/init.d, with the
 * host's /etc/rc?.d untouched. (update-rc.d itself runs in the systemd
 * container: service-initd-boot.test.ts.)
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import type { MachinaClient } from "@machina/client";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { MACHINA, cleanEnv, runMachina, runMachinad } from "./harness/daemon.js";
import { InitScripts } from "./harness/init-scripts.js";
import { waitFor } from "./harness/wait.js";

const scripts = new InitScripts();
for (const s of ["machina-testd", "misconfigured", "fails"]) scripts.install(s);
after(() => scripts.cleanup());

const POLICY = `version = 1

[clients]
users = ["root"]
groups = []

[[service]]
name = "machina-testd"
actions = ["status", "start", "stop", "enable", "disable", "log"]
log = "/var/log/machina-testd.log"

[[service]]
name = "misconfigured"
actions = ["status", "start", "restart", "log"]
log = "/var/log/misconfigured/error.log"

[[service]]
name = "fails"
actions = ["status", "start"]
log = "/var/log/fails.log"

[[service]]
name = "escape"
actions = ["log"]
log = "/var/log/escape.log"

[[service]]
name = "linked-dir"
actions = ["log"]
log = "/var/log/linked/app.log"

[[service]]
name = "hard-linked"
actions = ["log"]
log = "/var/log/hard.log"

[[service]]
name = "quiet"
actions = ["log"]
log = "/var/log/quiet.log"

[[service]]
name = "no-log-file"
actions = ["status", "log"]
`;

const suite = daemonSuite({ policy: POLICY, args: ["--service-backend", "initd", "--initd-dir", scripts.initd] });
const sb = () => suite.sandbox;

/** Writes a file below the sandbox's --root, making its directories. */
function writeBelowRoot(file: string, text: string, append = false): void {
  fs.mkdirSync(path.dirname(sb().path(file)), { recursive: true });
  if (append) fs.appendFileSync(sb().path(file), text);
  else fs.writeFileSync(sb().path(file), text);
}

const numbered = (prefix: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}`);
const messages = (r: { lines: { message: string }[] }) => r.lines.map((l) => l.message);

test("log: the last lines of the policy's file, then only what is appended after the cursor, across a rotation", async () => {
  writeBelowRoot("/var/log/machina-testd.log", numbered("testd", 1, 40).join("\n") + "\n");
  await withClient(sb(), async (m) => {
    const last = await m.service.log({ name: "machina-testd", lines: 3 });
    assert.deepEqual({ ...last, cursor: undefined }, {
      name: "machina-testd",
      source: "/var/log/machina-testd.log",
      lines: numbered("testd", 38, 40).map((message) => ({ message })),
      cursor: undefined,
      more: false,
    });
    const byDefault = await m.service.log({ name: "machina-testd" });
    assert.deepEqual(messages(byDefault), numbered("testd", 1, 40), "100 lines by default: the whole file");
    assert.deepEqual(await m.service.log({ name: "machina-testd", cursor: last.cursor! }), { ...last, lines: [] }, "nothing new");

    writeBelowRoot("/var/log/machina-testd.log", numbered("testd", 41, 45).join("\n") + "\n", true);
    const two = await m.service.log({ name: "machina-testd", lines: 2, cursor: last.cursor! });
    assert.deepEqual([messages(two), two.more], [numbered("testd", 41, 42), true]);
    const rest = await m.service.log({ name: "machina-testd", cursor: two.cursor! });
    assert.deepEqual([messages(rest), rest.more], [numbered("testd", 43, 45), false]);

    // logrotate: rename, create; the service goes on logging to the new file.
    writeBelowRoot("/var/log/machina-testd.log", "testd 46\n", true);
    fs.renameSync(sb().path("/var/log/machina-testd.log"), sb().path("/var/log/machina-testd.log.1"));
    writeBelowRoot("/var/log/machina-testd.log", "testd 47\n");
    const old = await m.service.log({ name: "machina-testd", cursor: rest.cursor! });
    assert.deepEqual([messages(old), old.more], [["testd 46"], true], "the rest of the rotated file first");
    const fresh = await m.service.log({ name: "machina-testd", cursor: old.cursor! });
    assert.deepEqual([messages(fresh), fresh.more], [["testd 47"], false]);

    for (const cursor of ["garbage", "j1.s=0123;i=1", rest.cursor!.replace(/^f1\./, "f2.")]) {
      const e = await rejectsWithKind(m.service.log({ name: "machina-testd", cursor }), "invalid-params");
      assert.equal(e.data.param, "/cursor");
    }
    for (const lines of [0, 1001, 2.5]) await rejectsWithKind(m.service.log({ name: "machina-testd", lines }), "invalid-params");
  });
});

test("the CLI: service log NAME -n N prints the lines; -f goes on printing what is appended, each line once", async () => {
  writeBelowRoot("/var/log/machina-testd.log", numbered("cli", 1, 20).join("\n") + "\n");
  const tail = await runMachina(sb(), ["service", "log", "machina-testd", "-n", "2"]);
  assert.deepEqual([tail.code, tail.stdout, tail.stderr], [0, "cli 19\ncli 20\n", ""]);
  const json = await runMachina(sb(), ["--json", "service", "log", "machina-testd", "-n", "1"]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).lines, [{ message: "cli 20" }]);

  const follow = spawn(process.execPath, [MACHINA, "--socket", sb().socket, "--secret-file", sb().secretFile, "service", "log", "machina-testd", "-n", "3", "-f"], {
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  follow.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  follow.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => follow.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  try {
    await waitFor(() => out === "cli 18\ncli 19\ncli 20\n" || undefined, "the last three lines", () => `stdout: ${out}\nstderr: ${err}`);
    writeBelowRoot("/var/log/machina-testd.log", "cli 21\ncli 22\n", true);
    await waitFor(() => out.endsWith("cli 22\n") || undefined, "the appended lines", () => `stdout: ${out}\nstderr: ${err}`);
    writeBelowRoot("/var/log/machina-testd.log", "cli 23\n", true);
    await waitFor(() => out.endsWith("cli 23\n") || undefined, "one more line", () => `stdout: ${out}\nstderr: ${err}`);
  } finally {
    follow.kill("SIGTERM");
  }
  await exited;
  assert.equal(out, numbered("cli", 18, 23).join("\n") + "\n", "every line once, in order");
  assert.equal(err, "");

  const usage = await runMachina(sb(), ["service", "log", "machina-testd", "-n", "5000"]);
  assert.equal(usage.code, 2);
});

test("a failed start answers backend-failed with the last 25 lines the script wrote to its log; an entry without log gets none", async () => {
  fs.mkdirSync(scripts.state, { recursive: true });
  fs.writeFileSync(scripts.stateFile("misconfigured.log-to"), sb().path("/var/log/misconfigured/error.log"));
  writeBelowRoot("/var/log/misconfigured/error.log", "misconfigured: an older run\n");
  await withClient(sb(), async (m) => {
    const e = await rejectsWithKind(m.service.start({ name: "misconfigured" }), "backend-failed");
    assert.equal(e.data.exitCode, 6);
    assert.equal(e.data.detail, "misconfigured: not starting: the configuration is invalid", "the script's own output stays in detail");
    assert.deepEqual(e.data.log, [
      ...numbered("misconfigured: checking the configuration, step", 7, 30).map((message) => ({ message })),
      { message: "misconfigured: /etc/misconfigured.conf: line 3: unknown directive 'Listen'" },
    ]);
    const restart = await rejectsWithKind(m.service.restart({ name: "misconfigured" }), "backend-failed");
    assert.equal((restart.data.log as unknown[]).length, 25);

    writeBelowRoot("/var/log/fails.log", "fails: something\n");
    const other = await rejectsWithKind(m.service.start({ name: "fails" }), "backend-failed");
    assert.equal(other.data.log, undefined, "the policy does not allow log on fails");
    await rejectsWithKind(m.service.log({ name: "fails" }), "policy-denied");
  });
  const cli = await runMachina(sb(), ["service", "start", "misconfigured"]);
  assert.equal(cli.code, 1);
  const shown = cli.stdout.split("\n").filter(Boolean);
  assert.equal(shown.length, 25);
  assert.equal(shown[24], "  misconfigured: /etc/misconfigured.conf: line 3: unknown directive 'Listen'");
  assert.equal(cli.stderr.split("\n").filter(Boolean).length, 1, cli.stderr);
  assert.match(cli.stderr, /^machina: backend-failed: misconfigured start failed/);
});

test("containment: a log file that is a symbolic link, below a linked directory or hard-linked is refused, and nothing of its target is read", async () => {
  const secret = "outside the root: must not be read";
  fs.writeFileSync(path.join(sb().outside, "secret"), `${secret}\n`);
  fs.mkdirSync(path.join(sb().outside, "dir"));
  fs.writeFileSync(path.join(sb().outside, "dir", "app.log"), `${secret}\n`);
  fs.mkdirSync(sb().path("/var/log"), { recursive: true });
  fs.symlinkSync(path.join(sb().outside, "secret"), sb().path("/var/log/escape.log"));
  fs.symlinkSync(path.join(sb().outside, "dir"), sb().path("/var/log/linked"));
  fs.linkSync(path.join(sb().outside, "secret"), sb().path("/var/log/hard.log"));
  await withClient(sb(), async (m) => {
    for (const [name, file, why] of [
      ["escape", "/var/log/escape.log", /symbolic link/],
      ["linked-dir", "/var/log/linked/app.log", /resolves to another file/],
      ["hard-linked", "/var/log/hard.log", /2 hard links/],
    ] as const) {
      const e = await rejectsWithKind(m.service.log({ name }), "policy-denied");
      assert.equal(e.data.target, file);
      assert.match(String(e.data.reason), why);
      assert.ok(!JSON.stringify(e.data).includes(secret) && !e.message.includes(secret), "nothing of the target");
      assert.ok(!e.message.includes(sb().dir), "nor where --root is");
    }
    const missing = await rejectsWithKind(m.service.log({ name: "quiet" }), "not-found");
    assert.equal(missing.data.target, "/var/log/quiet.log");
    const none = await rejectsWithKind(m.service.log({ name: "no-log-file" }), "policy-denied");
    assert.match(String(none.data.reason), /names no log file for this service .* the initd backend keeps no log of its own/);
  });
  assert.equal(fs.readFileSync(path.join(sb().outside, "secret"), "utf8"), `${secret}\n`);
});

test("names are checked before anything is read, and the policy decides which logs may be read", async () => {
  writeBelowRoot("/var/log/machina-testd.log", "x\n");
  await withClient(sb(), async (m) => {
    for (const name of ["-x", "../machina-testd", "/var/log/machina-testd.log", "machina-testd\n", "a b", "*"]) {
      const e = await rejectsWithKind(m.service.log({ name }), "invalid-params");
      assert.equal(e.data.param, "/name");
    }
    for (const name of ["sshd", "machina-testd.log", "fails"]) await rejectsWithKind(m.service.log({ name }), "policy-denied");
    for (const name of ["misconfigured", "sshd"]) await rejectsWithKind(m.service.enable({ name }), "policy-denied");
  });
});

/** Every rc?.d link of the host, with its target. */
function hostRcLinks(): string[] {
  const out: string[] = [];
  for (const level of ["S", "0", "1", "2", "3", "4", "5", "6"]) {
    const dir = `/etc/rc${level}.d`;
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
      const p = path.join(dir, e);
      out.push(`${p} -> ${fs.lstatSync(p).isSymbolicLink() ? fs.readlinkSync(p) : "(file)"}`);
    }
  }
  return out;
}

test("enable: update-rc.d is not run for an init directory other than /etc/init.d; disabling a script without links has nothing to do", async () => {
  const before = hostRcLinks();
  await withClient(sb(), async (m: MachinaClient) => {
    const e = await rejectsWithKind(m.service.enable({ name: "machina-testd" }), "backend-failed");
    assert.match(e.message, /update-rc\.d works only on \/etc\/init\.d and \/etc\/rc\?\.d, and this daemon's init scripts are elsewhere/);
    assert.equal(e.data.retryable, false);
    assert.ok(!e.message.includes(scripts.initd), "the init directory's path stays in the daemon");
    const disabled = await m.service.disable({ name: "machina-testd" });
    assert.deepEqual([disabled.name, disabled.state, disabled.enabled], ["machina-testd", "inactive", undefined], "no rc?.d beside the init directory: enabled cannot be told");
  });
  assert.deepEqual(hostRcLinks(), before, "the host's /etc/rc?.d is untouched");
  assert.ok(!fs.readdirSync(scripts.dir).some((e) => /^rc.\.d$/.test(e)), "and nothing was made beside the init directory");
});

test("discovery: service.log's x-policy names each entry's log file", async () => {
  const doc = (await withClient(sb(), (m) => m.call("rpc.discover", {}))) as { methods: { name: string; "x-policy"?: unknown }[] };
  const log = doc.methods.find((x) => x.name === "service.log");
  assert.deepEqual(log?.["x-policy"], {
    services: [
      { name: "machina-testd", log: "/var/log/machina-testd.log" },
      { name: "misconfigured", log: "/var/log/misconfigured/error.log" },
      { name: "escape", log: "/var/log/escape.log" },
      { name: "linked-dir", log: "/var/log/linked/app.log" },
      { name: "hard-linked", log: "/var/log/hard.log" },
      { name: "quiet", log: "/var/log/quiet.log" },
      { name: "no-log-file" },
    ],
  });
  const enable = doc.methods.find((x) => x.name === "service.enable");
  assert.deepEqual(enable?.["x-policy"], { services: [{ name: "machina-testd" }] });
});

test("machinad policy explain says where each log is read and what enable/disable change; policy polkit says what it cannot express", async () => {
  const explained = await runMachinad(["policy", "explain", sb().policyFile]);
  assert.equal(explained.code, 0, explained.stderr);
  assert.match(explained.stdout, /^ {2}machina-testd: status, start, stop, enable, disable, log \(log: the file \/var\/log\/machina-testd\.log below --root\)$/m);
  assert.match(explained.stdout, /^ {2}no-log-file: status, log \(log: the systemd journal of the unit; init scripts need a log file\)$/m);
  assert.match(explained.stdout, /^ {2}fails: status, start$/m, "no log action: no log source");
  assert.match(explained.stdout, /enable\/disable change what starts at boot: systemd's unit-file links, or \/etc\/rc\?\.d through update-rc\.d/);
  assert.match(explained.stdout, /a failed start, restart or reload then also carries its last 25 lines/);

  const polkit = await runMachinad(["policy", "polkit", sb().policyFile]);
  assert.equal(polkit.code, 0, polkit.stderr);
  assert.match(polkit.stderr, /warning: service\[0\] allow enable\/disable: systemd checks those with the polkit action org\.freedesktop\.systemd1\.manage-unit-files .* polkit cannot limit them to one unit/);
  assert.match(polkit.stdout, /^\/\/ Not granted: enable\/disable \(service\[0\]\)/m);
  assert.match(polkit.stdout, /\{ unit: "machina-testd\.service", verbs: \["start","stop"\] \}/, "only the verbs polkit checks per unit");
});
