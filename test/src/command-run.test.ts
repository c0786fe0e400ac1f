/**
 * `command.run` through the real daemon: only the policy's [[command]]
 * entries, each argument checked against its position, no shell, a cleared
 * environment (LD_PRELOAD never passes), a user to run as, a timeout, an
 * output cap, binary stdin/stdout round-tripping through base64 and base85,
 * progress before the response — and every refusal leaves the sandbox as it
 * was. The `machina run` CLI on top.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { decodeBase85, encodeBase85, type ProgressParams } from "@machina/protocol";
import { assertServesNextClient, rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { MACHINA, cleanEnv, runMachinad } from "./harness/daemon.js";
import { rawSessionWhenFree } from "./harness/raw-client.js";
import { waitFor } from "./harness/wait.js";

/** A program others may rewrite (mode 0757): the daemon must refuse to run it as root. */
const swappable = path.join(fs.mkdtempSync("/tmp/machina-swappable-"), "tool");
const ranMarker = `${swappable}.ran`;
fs.writeFileSync(swappable, `#!/bin/sh\ntouch ${ranMarker}\n`);
fs.chmodSync(swappable, 0o757);
after(() => fs.rmSync(path.dirname(swappable), { recursive: true, force: true }));

const POLICY = `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]

[[command]]
name = "greet"
path = "/bin/echo"
args = [["hello", "goodbye"], "^[a-z]{1,10}$"]

[[command]]
name = "echo-any"
path = "/bin/echo"
args = ["^.*$"]

[[command]]
name = "cat"
path = "/bin/cat"
stdin = true

[[command]]
name = "show-env"
path = "/usr/bin/env"
env = ["LANG", "LD_PRELOAD"]

[[command]]
name = "whoami"
path = "/usr/bin/id"
user = "nobody"

[[command]]
name = "sleeper"
path = "/bin/sleep"
args = [["60"]]
timeout = 1

[[command]]
name = "flood"
path = "/usr/bin/yes"
max_output = 65536

[[command]]
name = "zeros"
path = "/usr/bin/head"
args = [["-c"], ["400000"], ["/dev/zero"]]
max_output = 524288

[[command]]
name = "missing"
path = "/nonexistent/program"

[[command]]
name = "swappable"
path = "${swappable}"

# A shell only to start children the ways real programs do; the daemon itself never uses one.
[[command]]
name = "background"
path = "/bin/sh"
args = [["-c"], "^sleep [0-9]+ & echo started$"]

[[command]]
name = "escape"
path = "/bin/sh"
args = [["-c"], "^setsid -f sleep [0-9]+ ; echo started$"]

[[command]]
name = "escape-and-hang"
path = "/bin/sh"
args = [["-c"], "^setsid -f sleep [0-9]+ ; sleep [0-9]+ & sleep 60$"]
timeout = 1
`;

const suite = daemonSuite({ policy: POLICY });

/** Asserts that `call` is refused with `kind` and leaves every file of the sandbox as it was. */
async function refusedUnchanged(call: () => Promise<unknown>, kind: string): Promise<{ message: string; data: Record<string, unknown> }> {
  const before = suite.sandbox.snapshot();
  const e = await rejectsWithKind(call(), kind);
  suite.sandbox.assertUnchanged(before);
  return e;
}

test("an allowed command runs with exactly its arguments, and its output comes back", async () => {
  await withClient(suite.sandbox, async (m) => {
    const r = await m.command.run({ name: "greet", args: ["hello", "world"] });
    assert.deepEqual(r, { exitCode: 0, signal: null, timedOut: false, truncated: false, stdout: "hello world\n", stderr: "" });
    const id = await m.command.run({ name: "whoami" });
    assert.match(id.stdout, /^uid=65534\(nobody\) gid=65534\(nogroup\) groups=65534\(nogroup\)\n$/, "runs as the entry's user, without root's groups");
  });
});

test("no shell: an argument is one argv entry, never interpreted", async () => {
  const marker = path.join(suite.sandbox.outside, "pwned");
  await withClient(suite.sandbox, async (m) => {
    const arg = `$(touch ${marker}); touch ${marker} \`touch ${marker}\``;
    const r = await m.command.run({ name: "echo-any", args: [arg] });
    assert.equal(r.stdout, `${arg}\n`);
  });
  assert.equal(fs.existsSync(marker), false);
});

test("arguments outside the entry's choices or regex, a wrong count, or an unknown name are refused and nothing runs", async () => {
  await withClient(suite.sandbox, async (m) => {
    for (const args of [["hello"], ["hello", "world", "extra"], ["hi", "world"], ["hello", "World"], ["hello", "a;id"], ["hello", "abc\nid"], ["--help", "x"], []]) {
      const e = await refusedUnchanged(() => m.command.run({ name: "greet", args }), "policy-denied");
      assert.equal(e.data.target, "greet");
    }
    await refusedUnchanged(() => m.command.run({ name: "rm", args: ["-rf", "/"] }), "policy-denied");
    // A path is not a name: refused by the schema before any lookup.
    await refusedUnchanged(() => m.command.run({ name: "/bin/sh", args: ["-c", "id"] }), "invalid-params");
    await refusedUnchanged(() => m.command.run({ name: "../../bin/sh" }), "invalid-params");
    await refusedUnchanged(() => m.command.run({ name: "greet", args: ["hello", "x"], stdin: { data: "x" } }), "policy-denied");
  });
  await assertServesNextClient(suite.sandbox);
});

test("the environment is cleared except the allowlist; LD_PRELOAD is refused even when allowlisted", async () => {
  await withClient(suite.sandbox, async (m) => {
    const r = await m.command.run({ name: "show-env", env: { LANG: "C.UTF-8" } });
    assert.deepEqual(r.stdout.trim().split("\n").sort(), ["LANG=C.UTF-8", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]);
    const evil = path.join(suite.sandbox.outside, "evil.so");
    const attempts: Record<string, string>[] = [{ LD_PRELOAD: evil }, { LANG: "C", LD_PRELOAD: evil }, { LD_LIBRARY_PATH: suite.sandbox.outside }, { HOME: "/tmp" }, { PATH: suite.sandbox.outside }];
    for (const env of attempts) {
      const e = await refusedUnchanged(() => m.command.run({ name: "show-env", env }), "policy-denied");
      assert.match(e.message, /never passed|allowlist/);
    }
  });
});

test("binary stdout round-trips through base64 and base85, and stdin in either", async () => {
  const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(4099)]);
  await withClient(suite.sandbox, async (m) => {
    const b64 = await m.command.run({ name: "cat", stdin: { data: bytes.toString("base64"), encoding: "base64" }, stdout: "base64", stderr: "base64" });
    assert.deepEqual(Buffer.from(b64.stdout, "base64"), bytes);
    assert.equal(b64.stderr, "");
    const b85 = await m.command.run({ name: "cat", stdin: { data: encodeBase85(bytes), encoding: "base85" }, stdout: "base85" });
    assert.deepEqual(Buffer.from(decodeBase85(b85.stdout)), bytes);
    assert.equal(b85.stdout, encodeBase85(bytes));
    const text = await m.command.run({ name: "cat", stdin: { data: "héllo ✓\n" } });
    assert.equal(text.stdout, "héllo ✓\n");
    await refusedUnchanged(() => m.command.run({ name: "cat", stdin: { data: "not base64!", encoding: "base64" } }), "invalid-params");
    await refusedUnchanged(() => m.command.run({ name: "cat", stdin: { data: "~~~~~", encoding: "base85" } }), "invalid-params");
  });
});

test("a command that outlives its timeout is stopped and says so", async () => {
  await withClient(suite.sandbox, async (m) => {
    const r = await m.command.run({ name: "sleeper", args: ["60"] });
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, "SIGTERM");
  });
  await assertServesNextClient(suite.sandbox);
});

/** A number no other process's `sleep` argument is likely to be. */
const marker = () => String(7_000_000 + Math.floor(Math.random() * 1_000_000));

/** Live processes (not zombies awaiting their reaper) whose command line is `sleep SECONDS`. */
function sleepers(seconds: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8") !== `sleep\0${seconds}\0`) continue;
      if (/^\d+ \(.*\) [ZX] /.test(fs.readFileSync(`/proc/${entry}/stat`, "utf8"))) continue;
      found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test("nothing a command starts outlives it: a background child, or one that left with setsid, is gone when the call answers", async () => {
  const bg = marker();
  const escaped = marker();
  try {
    await withClient(suite.sandbox, async (m) => {
      const a = await m.command.run({ name: "background", args: ["-c", `sleep ${bg} & echo started`] });
      assert.deepEqual([a.exitCode, a.stdout], [0, "started\n"]);
      assert.deepEqual(sleepers(bg), [], "the backgrounded sleep is gone");
      const b = await m.command.run({ name: "escape", args: ["-c", `setsid -f sleep ${escaped} ; echo started`] });
      assert.deepEqual([b.exitCode, b.stdout], [0, "started\n"]);
      assert.deepEqual(sleepers(escaped), [], "the sleep in a session of its own is gone");
    });
  } finally {
    for (const pid of [...sleepers(bg), ...sleepers(escaped)]) process.kill(pid, "SIGKILL");
  }
  await assertServesNextClient(suite.sandbox);
});

test("nothing a command starts outlives its timeout either, setsid children included", async () => {
  const escaped = marker();
  const grouped = marker();
  try {
    await withClient(suite.sandbox, async (m) => {
      const r = await m.command.run({ name: "escape-and-hang", args: ["-c", `setsid -f sleep ${escaped} ; sleep ${grouped} & sleep 60`] });
      assert.equal(r.timedOut, true);
      assert.deepEqual(sleepers(grouped), [], "the background sleep in its group is gone");
      assert.deepEqual(sleepers(escaped), [], "the sleep in a session of its own is gone");
    });
  } finally {
    for (const pid of [...sleepers(escaped), ...sleepers(grouped)]) process.kill(pid, "SIGKILL");
  }
  await assertServesNextClient(suite.sandbox);
});

test("a command that floods its output is cut at the cap and stopped", async () => {
  await withClient(suite.sandbox, async (m) => {
    const r = await m.command.run({ name: "flood" });
    assert.equal(r.truncated, true);
    assert.equal(r.timedOut, false);
    assert.equal(r.signal, "SIGKILL");
    assert.equal(r.stdout.length, 65536);
    assert.match(r.stdout, /^(y\n)+$/);
  });
  await assertServesNextClient(suite.sandbox);
});

test("binary output asked for as text is cut to fit one response line, base64 carries it whole", async () => {
  await withClient(suite.sandbox, async (m) => {
    // 400000 NUL bytes are 2.4 MB of JSON as text (\u0000 each): more than the client's 1 MiB line.
    const text = await m.command.run({ name: "zeros", args: ["-c", "400000", "/dev/zero"] });
    assert.equal(text.exitCode, 0);
    assert.equal(text.truncated, true);
    assert.ok(text.stdout.length > 0 && text.stdout.length < 400000);
    assert.match(text.stdout, /^\0+$/);
    const b64 = await m.command.run({ name: "zeros", args: ["-c", "400000", "/dev/zero"], stdout: "base64" });
    assert.equal(b64.truncated, false);
    assert.deepEqual(Buffer.from(b64.stdout, "base64"), Buffer.alloc(400000));
  });
});

test("a program that cannot be started is backend-failed", async () => {
  await withClient(suite.sandbox, async (m) => {
    const e = await refusedUnchanged(() => m.command.run({ name: "missing" }), "backend-failed");
    assert.equal(e.data.backend, "command");
  });
});

test("a program another user could change (the file, or a directory on its way) is policy-denied and never runs", async () => {
  await withClient(suite.sandbox, async (m) => {
    const e = await refusedUnchanged(() => m.command.run({ name: "swappable" }), "policy-denied");
    assert.doesNotMatch(e.message, /757|writable/, "why is in the log, not the answer");
    assert.ok(!fs.existsSync(ranMarker), "the program did not run");
    // Only root can change the file now, but its directory is writable by others (not sticky).
    fs.chmodSync(swappable, 0o755);
    fs.chmodSync(path.dirname(swappable), 0o777);
    await refusedUnchanged(() => m.command.run({ name: "swappable" }), "policy-denied");
    assert.ok(!fs.existsSync(ranMarker), "the program did not run");
    // Both fixed: it runs.
    fs.chmodSync(path.dirname(swappable), 0o755);
    const ran = await m.command.run({ name: "swappable" });
    assert.equal(ran.exitCode, 0);
    assert.ok(fs.existsSync(ranMarker), "the program ran");
  });
});

test("progress: a notification naming the call arrives before its response", async () => {
  const c = await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key);
  try {
    c.sendMessage({ jsonrpc: "2.0", id: "run-7", method: "command.run", params: { name: "greet", args: ["goodbye", "moon"] } });
    const first = (await c.next()) as { method?: string; id?: unknown; params?: ProgressParams };
    assert.equal(first.method, "progress");
    assert.equal(first.id, undefined, "a notification has no id of its own");
    assert.deepEqual({ ...first.params, message: undefined }, { id: "run-7", phase: "running", percent: null, message: undefined });
    const second = (await c.nextResponse()) as { id?: unknown; result?: { stdout: string } };
    assert.equal(second.id, "run-7");
    assert.equal(second.result?.stdout, "goodbye moon\n");
  } finally {
    c.close();
  }
  const seen: ProgressParams[] = [];
  await withClient(suite.sandbox, async (m) => {
    await m.command.run({ name: "greet", args: ["hello", "you"] }, { onProgress: (p) => seen.push(p) });
  });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.phase, "running");
});

test("discovery lists the commands; policy explain describes them", async () => {
  await withClient(suite.sandbox, async (m) => {
    const doc = (await m.discover()) as unknown as { methods: { name: string; "x-policy"?: { commands: { name: string; args: unknown }[] } }[] };
    const run = doc.methods.find((x) => x.name === "command.run");
    assert.ok(run, "command.run is offered");
    const greet = run["x-policy"]?.commands.find((c) => c.name === "greet");
    assert.deepEqual(greet?.args, [{ choices: ["hello", "goodbye"] }, { pattern: "^[a-z]{1,10}$" }]);
    assert.equal(doc.methods.some((x) => x.name.startsWith("package.")), false, "no [package]: no package methods");
  });
  const explained = await runMachinad(["policy", "explain", suite.sandbox.policyFile]);
  assert.equal(explained.code, 0, explained.stderr);
  assert.match(explained.stdout, /greet: runs \/bin\/echo with arg 1 one of "hello" \| "goodbye", arg 2 matching/);
  assert.match(explained.stdout, /NOTE: LD_PRELOAD is never passed/);
});

/** Runs the machina CLI with raw stdin/stdout bytes, retrying while the daemon is still busy with the previous session. */
async function machinaBytes(args: string[], input: Buffer = Buffer.alloc(0)): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return waitFor(async () => {
    const r = await new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [MACHINA, "--socket", suite.sandbox.socket, "--secret-file", suite.sandbox.secretFile, ...args], { env: cleanEnv() });
      const out: Buffer[] = [];
      let stderr = "";
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
      child.stdin.end(input);
    });
    return r.code === 3 && /busy/.test(r.stderr) ? undefined : r;
  }, "machina run");
}

test("machina run: output byte for byte, plain progress lines, exit statuses", async () => {
  const ok = await machinaBytes(["run", "greet", "--", "hello", "cli"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.toString(), "hello cli\n");
  assert.match(ok.stderr, /^progress: running started \/bin\/echo\n$/);
  const bytes = randomBytes(1000);
  const cat = await machinaBytes(["run", "--stdin", "cat"], bytes);
  assert.equal(cat.code, 0, cat.stderr);
  assert.deepEqual(cat.stdout, bytes);
  const refused = await machinaBytes(["run", "greet", "--", "hello", "NOPE"]);
  assert.equal(refused.code, 1);
  // The refused value is not repeated (the reason also goes to the audit log, which never holds values).
  assert.match(refused.stderr, /^machina: policy-denied: greet: argument 2 is not allowed/m);
  assert.doesNotMatch(refused.stderr, /NOPE/);
  const slow = await machinaBytes(["run", "sleeper", "60"]);
  assert.equal(slow.code, 1);
  assert.match(slow.stderr, /sleeper did not finish within its time limit/);
  const json = await machinaBytes(["--json", "run", "--encoding", "base85", "greet", "hello", "json"]);
  assert.equal(json.code, 0, json.stderr);
  const result = JSON.parse(json.stdout.toString());
  assert.equal(Buffer.from(decodeBase85(result.stdout)).toString(), "hello json\n");
});
