/**
 * The `machina` CLI (packages/client/dist/cli/main.js) against the real
 * daemon: output, files on disk, and exit statuses — 0 success, 1 refused or
 * failed call (one line on stderr, `machina: KIND: …`), 2 usage, 3 could not
 * connect or authenticate.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { generateKey } from "@machina/protocol";
import { assertServesNextClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { MACHINA, cleanEnv, run, type RunResult } from "./harness/daemon.js";
import { fixtureText } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";

const suite = daemonSuite();

/**
 * Runs `machina --socket … --secret-file … ARGS`. Each run is its own
 * session; if the daemon has not yet seen the previous run's connection close
 * it answers `busy` (exit 3), which is retried — every other outcome is returned.
 */
async function machina(args: string[], options: { input?: string; secretFile?: string } = {}): Promise<RunResult> {
  return waitFor(async () => {
    const r = await run(MACHINA, ["--socket", suite.sandbox.socket, "--secret-file", options.secretFile ?? suite.sandbox.secretFile, ...args], {
      ...(options.input !== undefined ? { input: options.input } : {}),
      env: cleanEnv(),
    });
    return r.code === 3 && /^machina: busy/.test(r.stderr) ? undefined : r;
  }, "the daemon's session slot to be free");
}

function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${stderr}`);
  return lines[0]!;
}

test("machina get prints the value and exits 0", async () => {
  const r = await machina(["get", "/files/etc/hostname/hostname"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "panel\n");
  assert.equal(r.stderr, "");
  const a = await machina(["get", '/files/etc/hosts/*[canonical = "panel.example.org"]/alias']);
  assert.equal(a.stdout, "panel\n");
});

test("machina match lists the readable nodes", async () => {
  const r = await machina(["match", "/files/etc/hosts/3/alias"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "/files/etc/hosts/3/alias[1]\n/files/etc/hosts/3/alias[2]\n");
});

test("machina set writes the file and prints a diff", async () => {
  const r = await machina(["set", "/files/etc/hostname/hostname", "box"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(suite.sandbox.read("/etc/hostname"), "box\n");
  assert.ok(r.stdout.includes("--- a/etc/hostname\n+++ b/etc/hostname\n"), r.stdout);
  assert.ok(r.stdout.includes("\n-panel\n+box\n"), r.stdout);
  assert.equal(suite.sandbox.read("/etc/hosts"), fixtureText("hosts"));
});

test("a refused machina set exits 1 with one line on stderr beginning 'machina: policy-denied'", async () => {
  const before = suite.sandbox.snapshot();
  const r = await machina(["set", "/files/etc/default/locale/LANG", "C"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(oneLine(r.stderr), /^machina: policy-denied/);
  assert.equal(r.stdout, "");
  const g = await machina(["get", "/files/etc/ssh/sshd_config/Subsystem/sftp"]);
  assert.equal(g.code, 1);
  assert.match(oneLine(g.stderr), /^machina: policy-denied/);
  const n = await machina(["get", "/files/etc/hosts/77/ipaddr"]);
  assert.equal(n.code, 1);
  assert.match(oneLine(n.stderr), /^machina: not-found/);
  suite.sandbox.assertUnchanged(before);
  await assertServesNextClient(suite.sandbox);
});

test("a wrong secret exits 3 and the daemon serves the right one next", async () => {
  const before = suite.sandbox.snapshot();
  const wrong = suite.sandbox.writeSecret("cli-wrong-secret", generateKey());
  const r = await machina(["set", "/files/etc/hostname/hostname", "pwned"], { secretFile: wrong });
  assert.equal(r.code, 3, r.stderr);
  assert.match(oneLine(r.stderr), /^machina: auth-failed/);
  suite.sandbox.assertUnchanged(before);
  const ok = await machina(["get", "/files/etc/hostname/hostname"]);
  assert.equal(ok.code, 0, ok.stderr);
});

test("no daemon at the socket exits 3", async () => {
  const r = await run(MACHINA, ["--socket", path.join(suite.sandbox.dir, "run", "nothing.sock"), "--secret-file", suite.sandbox.secretFile, "get", "/files/etc/hostname/hostname"], {
    env: cleanEnv(),
  });
  assert.equal(r.code, 3, r.stderr);
  assert.match(oneLine(r.stderr), /^machina: /);
});

test("a usage error exits 2", async () => {
  const r = await machina(["set", "/files/etc/hostname/hostname"]);
  assert.equal(r.code, 2, r.stderr);
});

const SCRIPT = `# make the panel the canonical name of 127.0.0.1
set /files/etc/hostname/hostname box
set /files/etc/hosts/*[canonical = "localhost"][ipaddr = "127.0.0.1"]/alias panel-lo
set /files/etc/ssh/sshd_config/PasswordAuthentication no
`;

test("machina apply --preview from stdin prints the diff and writes nothing", async () => {
  const before = suite.sandbox.snapshot();
  const r = await machina(["apply", "--preview"], { input: SCRIPT });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes("--- a/etc/hostname\n+++ b/etc/hostname\n"), r.stdout);
  assert.ok(r.stdout.includes("\n-panel\n+box\n"), r.stdout);
  assert.ok(r.stdout.includes("\n-127.0.0.1\tlocalhost\n+127.0.0.1\tlocalhost panel-lo\n"), r.stdout);
  // sshd_config has unreadable nodes: its readable node changes, never its text.
  assert.ok(r.stdout.includes('\n-/files/etc/ssh/sshd_config/PasswordAuthentication = "yes"\n+/files/etc/ssh/sshd_config/PasswordAuthentication = "no"\n'), r.stdout);
  suite.sandbox.assertUnchanged(before);
});

test("machina apply from stdin saves all of it, or none of it when a line is refused", async () => {
  const before = suite.sandbox.snapshot();
  const refused = SCRIPT + "set /files/etc/ssh/sshd_config/UsePAM no\n";
  const bad = await machina(["apply"], { input: refused });
  assert.equal(bad.code, 1, bad.stderr);
  const line = oneLine(bad.stderr);
  assert.match(line, /^machina: /);
  assert.match(line, /<stdin>:5/);
  assert.match(line, /policy-denied/);
  suite.sandbox.assertUnchanged(before);

  const good = await machina(["apply", "-"], { input: SCRIPT });
  assert.equal(good.code, 0, good.stderr);
  assert.equal(suite.sandbox.read("/etc/hostname"), "box\n");
  assert.equal(suite.sandbox.read("/etc/hosts"), fixtureText("hosts").replace("127.0.0.1\tlocalhost\n", "127.0.0.1\tlocalhost panel-lo\n"));
  assert.equal(suite.sandbox.read("/etc/ssh/sshd_config"), fixtureText("ssh/sshd_config").replace("PasswordAuthentication yes", "PasswordAuthentication no"));
});

test("machina --json get prints the raw result", async () => {
  const r = await machina(["--json", "get", "/files/etc/hostname/hostname"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { value: "panel" });
  const d = await machina(["--json", "set", "/files/etc/default/locale/LANG", "C"]);
  assert.equal(d.code, 1);
  assert.equal((JSON.parse(oneLine(d.stderr)) as { error: { kind: string } }).error.kind, "policy-denied");
});
