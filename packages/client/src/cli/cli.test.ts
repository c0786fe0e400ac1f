import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { encodeBase64, generateKey } from "@machina/protocol";
import { FakeServer, wireError, type FakeRequest, type FakeServerOptions } from "../testing/fake-server.js";
import { COMMANDS } from "#src/cli/commands/index.js";
import { runCli } from "#src/cli/program.js";

// The built CLI (dist/, where the tests' own build, dist-test/, is not).
const MAIN = fileURLToPath(import.meta.resolve("#src/cli/main.js"));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process. */
async function run(argv: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from([options.stdin ?? ""]),
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}

/** Runs the real binary. */
function runBinary(argv: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [MAIN, ...argv],
      { env: { PATH: process.env["PATH"] ?? "", ...env }, timeout: 20000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

function oneErrorLine(outcome: Outcome, prefix: string): void {
  assert.equal(outcome.stderr.endsWith("\n"), true, outcome.stderr);
  assert.equal(outcome.stderr.trimEnd().split("\n").length, 1, `one line: ${outcome.stderr}`);
  assert.ok(outcome.stderr.startsWith(prefix), `${JSON.stringify(outcome.stderr)} starts with ${prefix}`);
  assert.equal(/\n\s+at /.test(outcome.stderr), false, "no stack trace");
}

interface Daemon {
  server: FakeServer;
  /** Global options that reach the fake daemon. */
  args: string[];
  calls: FakeRequest[];
}

async function withDaemon(onCall: FakeServerOptions["onCall"], body: (d: Daemon) => Promise<void>, extra: FakeServerOptions = {}): Promise<void> {
  const calls: FakeRequest[] = [];
  const server = await FakeServer.start({
    ...extra,
    onCall: (request, connection) => {
      calls.push(request);
      return onCall?.(request, connection);
    },
  });
  const secretFile = path.join(server.dir, "secret");
  await writeFile(secretFile, server.secret + "\n", { mode: 0o600 });
  try {
    await body({ server, calls, args: ["--socket", server.socketPath, "--secret-file", secretFile, "--socket-owner", "any"] });
  } finally {
    await server.stop();
  }
}

const HOSTS_DIFF = "--- a/etc/hosts\n+++ b/etc/hosts\n@@ -1 +1 @@\n-127.0.0.1 localhost\n+127.0.0.1 localhost box\n";
const HOSTS_TAG = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5";
const NEW_TAG = "bmV3dGFnbmV3dGFnbmV3dGFnbmV3dGFnbmV3dGFnbmV3";
const HOSTS_CHANGE = { file: "/etc/hosts", scope: "text", diff: HOSTS_DIFF, tag: HOSTS_TAG };

function daemonAnswers(request: FakeRequest) {
  const params = request.params as Record<string, unknown>;
  switch (request.method) {
    case "augeas.get":
      if (params["path"] === "/files/etc/hostname/hostname") return { result: { value: "box" } };
      if (params["path"] === "/files/etc/hosts/1/novalue") return { result: { value: null } };
      return wireError("policy-denied", `reading ${String(params["path"])} is not allowed`, {
        reason: "no read pattern of /etc/shadow matches it",
        target: String(params["path"]),
      });
    case "augeas.match":
      return { result: { paths: ["/files/etc/hosts/1", "/files/etc/hosts/2"] } };
    case "augeas.apply": {
      const changes = params["changes"] as { op: string; path?: string; exists?: string }[];
      const bad = changes.findIndex((c) => c.path?.includes("shadow"));
      if (bad !== -1) {
        return wireError("policy-denied", `writing ${changes[bad]!.path} is not allowed`, { reason: "not in the policy", change: bad });
      }
      const expect = params["expect"] as Record<string, string> | undefined;
      if (expect && expect["/etc/hosts"] !== HOSTS_TAG) {
        return wireError("conflict", "/etc/hosts is not the version you expected: it changed on disk since you saw it (its tag differs); nothing was written", { file: "/etc/hosts" });
      }
      const failed = changes.findIndex((c) => c.op === "guard" && c.exists === "/files/etc/hosts/9");
      if (failed !== -1) {
        const nothing = { changes: [], saved: false, files: [], changed: false, tags: {} };
        return { result: { applied: false, guard: { change: failed, reason: "no node matches /files/etc/hosts/9" }, ...nothing } };
      }
      const preview = params["preview"] === true;
      return {
        result: {
          applied: true,
          changes: [HOSTS_CHANGE],
          saved: !preview,
          files: preview ? [] : ["/etc/hosts"],
          changed: !preview,
          tags: preview ? {} : { "/etc/hosts": NEW_TAG },
        },
      };
    }
    case "augeas.save":
      return { result: { files: [], changed: false, tags: {} } };
    case "augeas.preview":
      return { result: { changes: [] } };
    case "augeas.discard":
      return { result: {} };
    case "rpc.discover":
      return {
        result: {
          openrpc: "1.2.6",
          info: { title: "machinad", version: "0.1.0" },
          methods: [
            { name: "augeas.get", summary: "Read the value of one node." },
            { name: "augeas.match", summary: "List the readable nodes a path matches." },
          ],
        },
      };
    case "future.method":
      return { result: { echoed: params } };
  }
  return wireError("not-found", `no method ${request.method}`);
}

test("usage errors exit 2 with one line on stderr", async () => {
  const cases: [string[], string][] = [
    [["frobnicate"], "machina: unknown command 'frobnicate'"],
    [["get"], "machina: missing required argument 'PATH'"],
    [["set", "/files/a"], "machina: missing required argument 'VALUE'"],
    [["get", "/files/a", "extra"], "machina: too many arguments"],
    [["--bogus", "get", "/files/a"], "machina: unknown option '--bogus'"],
    [["--timeout", "soon", "get", "/files/a"], "machina: --timeout must be a non-negative integer"],
    [["--socket-owner", "root", "get", "/files/a"], "machina: --socket-owner must be a non-negative integer"],
    [["call", "augeas.get", "{not json"], "machina: JSON is not valid JSON"],
    [["call", "augeas.get", "[1]"], "machina: JSON must be a JSON object"],
    [["apply", "/nonexistent/script.aug"], "machina: cannot read /nonexistent/script.aug: no such file"],
    [["service", "log"], "machina: service log needs a NAME"],
    [["service", "boot", "nginx"], "machina: unknown service action 'boot' (one of list, log, status, start, stop, restart, reload, enable, disable)"],
    [["service", "restart", "nginx", "-f"], "machina: -n and -f are options of service log"],
    [["service", "log", "nginx", "-n", "0"], "machina: --lines must be a whole number from 1 to 1000, not '0'"],
    [["service", "log", "nginx", "-n", "1001"], "machina: --lines must be a whole number from 1 to 1000, not '1001'"],
    [["service", "log", "nginx", "--lines", "ten"], "machina: --lines must be a whole number from 1 to 1000, not 'ten'"],
  ];
  for (const [argv, prefix] of cases) {
    const outcome = await run(argv);
    assert.equal(outcome.code, 2, `${argv.join(" ")}: ${outcome.stderr}`);
    oneErrorLine(outcome, prefix);
  }
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage: machina/);
});

test("a script that does not parse exits 2 with FILE:LINE, before connecting", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    const script = path.join(d.server.dir, "edit.aug");
    await writeFile(script, "# edits\nset /files/etc/hosts/1/alias x\nset /files/etc/hosts/1/canonical\n");
    const outcome = await run([...d.args, "apply", script]);
    assert.equal(outcome.code, 2);
    oneErrorLine(outcome, `machina: ${script}:3: set: missing VALUE`);
    const stdin = await run([...d.args, "apply"], { stdin: "\n\nbogus x\n" });
    assert.equal(stdin.code, 2);
    oneErrorLine(stdin, "machina: <stdin>:3: unknown command 'bogus'");
    const empty = await run([...d.args, "apply", "-"], { stdin: "# nothing\n" });
    assert.equal(empty.code, 2);
    oneErrorLine(empty, "machina: <stdin>: the script has no changes");
    assert.equal(d.server.connections.length, 0);
  });
});

test("--json usage errors are one JSON line", async () => {
  const outcome = await run(["--json", "frobnicate"]);
  assert.equal(outcome.code, 2);
  assert.deepEqual(JSON.parse(outcome.stderr), { error: { kind: "usage", message: "unknown command 'frobnicate'" } });
});

test("--help mentions every command, and every command has accurate help", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.stderr, "");
  for (const command of COMMANDS) assert.match(help.stdout, new RegExp(`^  ${command.name}\\b`, "m"), command.name);
  for (const name of ["get", "set", "match", "rm", "save", "preview", "discard", "discover", "call", "apply"]) {
    assert.ok(COMMANDS.some((c) => c.name === name), name);
  }
  assert.match(help.stdout, /--socket <PATH>/);
  assert.match(help.stdout, /--secret-file <FILE>/);
  assert.match(help.stdout, /--json/);
  assert.match(help.stdout, /--timeout <MS>/);
  assert.match(help.stdout, /MACHINA_SOCKET/);
  assert.match(help.stdout, /Exit status:/);
  const usages: Record<string, string> = {
    get: "get [options] <PATH>",
    set: "set [options] <PATH> [VALUE]",
    match: "match [options] <PATH>",
    rm: "rm [options] <PATH>",
    apply: "apply [options] [FILE]",
    save: "save [options]",
    preview: "preview [options]",
    discard: "discard [options]",
    history: "history [options] [FILE]",
    rollback: "rollback [options] <ID> [FILE]",
    discover: "discover [options]",
    call: "call [options] <METHOD> [JSON]",
    package: "package [options] <ACTION> [NAME]",
    timezone: "timezone [options] [ACTION] [ZONE]",
    run: "run [options] <NAME> [ARGS...]",
    service: "service [options] <ACTION> [NAME]",
  };
  for (const command of COMMANDS) {
    const outcome = await run([command.name, "--help"]);
    assert.equal(outcome.code, 0, command.name);
    assert.ok(outcome.stdout.startsWith(`Usage: machina ${usages[command.name]}`), outcome.stdout);
  }
  const apply = await run(["help", "apply"]);
  assert.equal(apply.code, 0);
  for (const word of [
    "set PATH VALUE",
    "setm BASE SUB",
    "rm PATH",
    "ins LABEL before|after PATH",
    "mv SRC DST",
    "rename PATH LABEL",
    "clear PATH",
    "clearm BASE SUB",
    "touch PATH",
    "onlyif get PATH == VALUE",
    "onlyif match PATH size OP N",
    "onlyif exists PATH",
    "onlyif missing PATH",
    "--preview",
    "--expect <FILE=TAG>",
    "tag FILE TAG",
  ]) {
    assert.ok(apply.stdout.includes(word), word);
  }
});

test("no socket, or a bad secret file, exits 3", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    const noSocket = await run(["--socket", path.join(d.server.dir, "none.sock"), "--secret-file", d.args[3]!, "get", "/files/a"]);
    assert.equal(noSocket.code, 3);
    oneErrorLine(noSocket, "machina: connection: ");
    assert.match(noSocket.stderr, /none\.sock/);

    const badSecret = path.join(d.server.dir, "bad-secret");
    await writeFile(badSecret, "not-a-key\n");
    const bad = await run(["--socket", d.server.socketPath, "--secret-file", badSecret, "--socket-owner", "any", "get", "/files/a"]);
    assert.equal(bad.code, 3);
    oneErrorLine(bad, `machina: connection: the secret file ${badSecret} is malformed`);
    assert.equal(bad.stderr.includes("not-a-key"), false);

    const missing = await run(["--socket", d.server.socketPath, "--secret-file", path.join(d.server.dir, "nope"), "get", "/files/a"]);
    assert.equal(missing.code, 3);
    oneErrorLine(missing, "machina: connection: cannot read the secret file");

    const wrongKey = path.join(d.server.dir, "other-secret");
    await writeFile(wrongKey, encodeBase64(generateKey()));
    const wrong = await run(["--socket", d.server.socketPath, "--secret-file", wrongKey, "--socket-owner", "any", "get", "/files/a"]);
    assert.equal(wrong.code, 3);
    oneErrorLine(wrong, "machina: auth-failed: ");
  });
});

test("another client holding the session exits 3 (busy)", async () => {
  await withDaemon(
    undefined,
    async (d) => {
      const outcome = await run([...d.args, "get", "/files/a"]);
      assert.equal(outcome.code, 3);
      oneErrorLine(outcome, "machina: busy: another client holds the session");
    },
    {
      onConnection: (c) => {
        const busy = wireError("busy", "another client holds the session");
        c.end({ jsonrpc: "2.0", id: null, ...busy });
        return false;
      },
    },
  );
});

test("get prints the value; a node without a value prints nothing", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    assert.deepEqual(await run([...d.args, "get", "/files/etc/hostname/hostname"]), { code: 0, stdout: "box\n", stderr: "" });
    assert.deepEqual(await run([...d.args, "get", "/files/etc/hosts/1/novalue"]), { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(await run([...d.args, "--json", "get", "/files/etc/hosts/1/novalue"]), {
      code: 0,
      stdout: '{"value":null}\n',
      stderr: "",
    });
    assert.deepEqual(d.calls.map((c) => c.params), [
      { path: "/files/etc/hostname/hostname" },
      { path: "/files/etc/hosts/1/novalue" },
      { path: "/files/etc/hosts/1/novalue" },
    ]);
  });
});

test("the environment supplies the socket and secret file", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    const outcome = await run(["--socket-owner", "any", "get", "/files/etc/hostname/hostname"], {
      env: { MACHINA_SOCKET: d.server.socketPath, MACHINA_SECRET_FILE: d.args[3]! },
    });
    assert.deepEqual(outcome, { code: 0, stdout: "box\n", stderr: "" });
  });
});

test("a policy-denied answer exits 1 with one line naming the reason", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    const outcome = await run([...d.args, "get", "/files/etc/shadow/root"]);
    assert.equal(outcome.code, 1);
    assert.equal(outcome.stdout, "");
    oneErrorLine(outcome, "machina: policy-denied: reading /files/etc/shadow/root is not allowed");
    assert.match(outcome.stderr, /reason: no read pattern of \/etc\/shadow matches it/);

    const json = await run([...d.args, "--json", "get", "/files/etc/shadow/root"]);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stderr) as { error: { kind: string; code: number; data: Record<string, unknown> } };
    assert.equal(report.error.kind, "policy-denied");
    assert.equal(report.error.code, -32004);
    assert.equal(report.error.data["target"], "/files/etc/shadow/root");
  });
});

test("match prints one path per line", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    const outcome = await run([...d.args, "match", "/files/etc/hosts/*"]);
    assert.deepEqual(outcome, { code: 0, stdout: "/files/etc/hosts/1\n/files/etc/hosts/2\n", stderr: "" });
  });
});

test("set and rm apply and save in one call and print the diff", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    const set = await run([...d.args, "set", "/files/etc/hosts/1/alias[last()+1]", "box"]);
    assert.deepEqual(set, { code: 0, stdout: HOSTS_DIFF, stderr: "" });
    const rm = await run([...d.args, "--json", "rm", "/files/etc/hosts/2"]);
    assert.equal(rm.code, 0);
    assert.deepEqual(JSON.parse(rm.stdout), {
      applied: true,
      changes: [HOSTS_CHANGE],
      saved: true,
      files: ["/etc/hosts"],
      changed: true,
      tags: { "/etc/hosts": NEW_TAG },
    });
    assert.deepEqual(
      d.calls.map((c) => [c.method, c.params]),
      [
        ["augeas.apply", { changes: [{ op: "set", path: "/files/etc/hosts/1/alias[last()+1]", value: "box" }] }],
        ["augeas.apply", { changes: [{ op: "remove", path: "/files/etc/hosts/2" }] }],
      ],
    );
  });
});

test("apply sends the whole script in one call; --preview asks for a preview", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    const script = path.join(d.server.dir, "hosts.aug");
    await writeFile(script, '# add an alias\nset /files/etc/hosts/*[canonical = "localhost"]/alias[last()+1] box\nrm /files/etc/hosts/3\nsave\n');
    const applied = await run([...d.args, "apply", script]);
    assert.deepEqual(applied, { code: 0, stdout: HOSTS_DIFF, stderr: "" });
    const previewed = await run([...d.args, "apply", "--preview", "-"], { stdin: "clear /files/etc/hosts/1/alias\n" });
    assert.deepEqual(previewed, { code: 0, stdout: `tag /etc/hosts ${HOSTS_TAG}\n${HOSTS_DIFF}`, stderr: "" });
    assert.deepEqual(
      d.calls.map((c) => c.params),
      [
        {
          changes: [
            { op: "set", path: '/files/etc/hosts/*[canonical = "localhost"]/alias[last()+1]', value: "box" },
            { op: "remove", path: "/files/etc/hosts/3" },
          ],
        },
        { changes: [{ op: "clear", path: "/files/etc/hosts/1/alias" }], preview: true },
      ],
    );
  });
});

test("apply --expect sends the tags; a conflict exits 1 naming the file", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    const script = "set /files/etc/hosts/1/alias box\n";
    const applied = await run([...d.args, "apply", "--expect", `/etc/hosts=${HOSTS_TAG}`, "--expect", "/etc/a=b=absent", "-"], { stdin: script });
    assert.deepEqual(applied, { code: 0, stdout: HOSTS_DIFF, stderr: "" });
    const stale = await run([...d.args, "apply", "--expect", "/etc/hosts=absent", "-"], { stdin: script });
    assert.equal(stale.code, 1);
    oneErrorLine(stale, "machina: conflict: /etc/hosts is not the version you expected");
    assert.deepEqual(
      d.calls.map((c) => (c.params as { expect?: unknown }).expect),
      [{ "/etc/hosts": HOSTS_TAG, "/etc/a=b": "absent" }, { "/etc/hosts": "absent" }],
    );
    const saved = await run([...d.args, "--json", "save", "--expect", `/etc/hosts=${HOSTS_TAG}`]);
    assert.deepEqual(saved, { code: 0, stdout: '{"files":[],"changed":false,"tags":{}}\n', stderr: "" });
    assert.deepEqual(d.calls.at(-1)?.params, { expect: { "/etc/hosts": HOSTS_TAG } });
  });
  for (const bad of ["/etc/hosts", "etc/hosts=x", "/etc/hosts="]) {
    const outcome = await run(["apply", "--expect", bad, "-"], { stdin: "rm /files/a\n" });
    assert.equal(outcome.code, 2, bad);
    oneErrorLine(outcome, `machina: --expect takes FILE=TAG (e.g. /etc/hosts=TAG from machina apply --preview), not '${bad}'`);
  }
  const twice = await run(["save", "--expect", "/etc/hosts=a", "--expect", "/etc/hosts=b"]);
  assert.equal(twice.code, 2);
  oneErrorLine(twice, "machina: --expect names /etc/hosts twice");
});

test("a guard that does not hold: 'not applied' on stderr, exit 0, nothing on stdout; --json has the fields", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    const script = "# only if entry 9 exists\nset /files/etc/hosts/9/alias box\n\nonlyif exists /files/etc/hosts/9\n";
    const outcome = await run([...d.args, "apply", "-"], { stdin: script });
    assert.deepEqual(outcome, { code: 0, stdout: "", stderr: "not applied: guard on line 4 failed: no node matches /files/etc/hosts/9\n" });
    const json = await run([...d.args, "--json", "apply", "-"], { stdin: script });
    assert.equal(json.code, 0);
    assert.equal(json.stderr, "");
    assert.deepEqual(JSON.parse(json.stdout), {
      applied: false,
      guard: { change: 1, reason: "no node matches /files/etc/hosts/9" },
      changes: [],
      saved: false,
      files: [],
      changed: false,
      tags: {},
    });
    assert.deepEqual((d.calls[0]!.params as { changes: unknown[] }).changes, [
      { op: "set", path: "/files/etc/hosts/9/alias", value: "box" },
      { op: "guard", exists: "/files/etc/hosts/9" },
    ]);
  });
});

test("a refused change of a script names its line", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    const outcome = await run([...d.args, "apply", "-"], { stdin: "set /files/etc/hosts/1/alias x\n\nrm /files/etc/shadow/root\n" });
    assert.equal(outcome.code, 1);
    oneErrorLine(outcome, "machina: policy-denied: <stdin>:3: writing /files/etc/shadow/root is not allowed");
  });
});

test("save, preview, discard, discover and call", async () => {
  await withDaemon(daemonAnswers, async (d) => {
    assert.deepEqual(await run([...d.args, "save"]), { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(await run([...d.args, "preview"]), { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(await run([...d.args, "discard"]), { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(await run([...d.args, "--json", "discard"]), { code: 0, stdout: "{}\n", stderr: "" });
    const discover = await run([...d.args, "discover"]);
    assert.equal(discover.code, 0);
    assert.equal(discover.stdout, "augeas.get    Read the value of one node.\naugeas.match  List the readable nodes a path matches.\n");
    const doc = await run([...d.args, "--json", "discover"]);
    assert.equal((JSON.parse(doc.stdout) as { openrpc: string }).openrpc, "1.2.6");
    const call = await run([...d.args, "call", "future.method", '{"a": [1, 2]}']);
    assert.deepEqual(call, { code: 0, stdout: JSON.stringify({ echoed: { a: [1, 2] } }, null, 2) + "\n", stderr: "" });
    const stdin = await run([...d.args, "--json", "call", "future.method", "-"], { stdin: '{"b": true}' });
    assert.deepEqual(stdin, { code: 0, stdout: '{"echoed":{"b":true}}\n', stderr: "" });
    const unknown = await run([...d.args, "call", "nope.nothing"]);
    assert.equal(unknown.code, 1);
    oneErrorLine(unknown, "machina: not-found: no method nope.nothing");
    assert.deepEqual(d.calls.at(-1), { jsonrpc: "2.0", id: 3, method: "nope.nothing", params: {} });
  });
});

test("--timeout bounds each call", async () => {
  await withDaemon(
    () => undefined,
    async (d) => {
      const outcome = await run([...d.args, "--timeout", "100", "get", "/files/a"]);
      assert.equal(outcome.code, 1);
      oneErrorLine(outcome, "machina: timeout: augeas.get did not answer within 100 ms");
    },
  );
});

test("the real binary: help, usage, connection failure, a value, a refusal", async () => {
  const help = await runBinary(["--help"]);
  assert.equal(help.code, 0);
  for (const command of COMMANDS) assert.ok(help.stdout.includes(`  ${command.name}`), command.name);
  const usage = await runBinary(["frobnicate"]);
  assert.equal(usage.code, 2);
  oneErrorLine(usage, "machina: unknown command 'frobnicate'");
  await withDaemon(daemonAnswers, async (d) => {
    const noSocket = await runBinary(["--secret-file", d.args[3]!, "get", "/files/a"], { MACHINA_SOCKET: path.join(d.server.dir, "gone.sock") });
    assert.equal(noSocket.code, 3);
    oneErrorLine(noSocket, "machina: connection: ");
    const value = await runBinary([...d.args, "get", "/files/etc/hostname/hostname"]);
    assert.deepEqual(value, { code: 0, stdout: "box\n", stderr: "" });
    const denied = await runBinary([...d.args, "get", "/files/etc/shadow/root"]);
    assert.equal(denied.code, 1);
    oneErrorLine(denied, "machina: policy-denied: ");
  });
});
