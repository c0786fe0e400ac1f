/**
 * `make install` into a staging directory (DESTDIR) and into a temporary
 * PREFIX: the documented layout, programs that run from the installed copy
 * alone (outside the repository, from any directory, with an empty
 * environment), configuration never overwritten, `make uninstall` removing
 * what install laid down and nothing else, and units systemd-analyze accepts.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { MACHINAD_NODE_FLAGS } from "@machina/server/node-flags";
import { describeRun, REPO_ROOT, runCommand, SYSTEM_PATH } from "./harness/command.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "machina-install-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const serverVersion = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "packages/server/package.json"), "utf8")) as { version: string }).version;

async function make(args: string[]) {
  const r = await runCommand("make", ["--no-print-directory", ...args, `NODE=${process.execPath}`], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, `make ${args.join(" ")}: ${describeRun(r)}`);
  return r;
}

function mode(p: string): number {
  return fs.statSync(p).mode & 0o7777;
}

/** Every file (not directory) below dir, relative to it. */
function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => !fs.lstatSync(path.join(dir, f)).isDirectory()).sort();
}

const LIB = "usr/local/lib/machina/node_modules";
/** Compiled tests, test support and fakes, and TypeScript build state: none of it ships. */
const TEST_FILE = /\.test\.|\.test-support\.|\/testing\/|dist-test\/|\.tsbuildinfo$/;
/** What `make install DESTDIR=…` lays down, with its mode (the README's Packaging table). */
const LAYOUT: Array<[string, number | undefined]> = [
  ["usr/local/sbin/machinad", 0o755],
  ["usr/local/bin/machina", 0o755],
  [`${LIB}/@machina/server/bundle/machinad.cjs`, undefined],
  [`${LIB}/@machina/server/bundle/host-main.cjs`, 0o644],
  [`${LIB}/@machina/client/bundle/machina.cjs`, undefined],
  [`${LIB}/@machina/client/bundle/client.js`, 0o644],
  [`${LIB}/@machina/protocol/dist/index.js`, 0o644],
  [`${LIB}/augeas-node-bindings/build/Release/augeas.node`, undefined],
  [`${LIB}/@machina/peercred/build/Release/peercred.node`, undefined],
  [`${LIB}/commander/package.json`, 0o644],
  [`${LIB}/smol-toml/package.json`, 0o644],
  ["etc/init.d/machina", 0o755],
  ["etc/default/machina", 0o644],
  ["usr/local/lib/systemd/system/machina.socket", 0o644],
  ["usr/local/lib/systemd/system/machina.service", 0o644],
  ["etc/machina/policy.toml", 0o644],
  ["etc/logrotate.d/machina", 0o644],
];

test("make install DESTDIR=… lays down the documented layout, and nothing of the build", async () => {
  const stage = path.join(tmp, "stage");
  await make(["install", `DESTDIR=${stage}`]);
  for (const [rel, m] of LAYOUT) {
    const p = path.join(stage, rel);
    assert.ok(fs.existsSync(p), `${rel} is installed`);
    // Readable by everyone (machina runs as the web user), writable by root only.
    if (m === undefined) assert.equal(mode(p) & 0o7022, 0, `mode of ${rel}`);
    else assert.equal(mode(p).toString(8), m.toString(8), `mode of ${rel}`);
    assert.equal(mode(p) & 0o444, 0o444, `${rel} is readable by everyone`);
  }
  // A staged package carries no secret: it is made on the target machine.
  assert.equal(fs.existsSync(path.join(stage, "etc/machina/secret")), false);
  // Only production dependencies, no tests, no TypeScript build state.
  const lib = filesBelow(path.join(stage, LIB));
  for (const dev of ["typescript/", "fast-check/", "node-gyp/", "playwright-core/", "@types/"]) {
    assert.equal(lib.some((f) => f.startsWith(dev)), false, `${dev} (a devDependency) is not installed`);
  }
  assert.deepEqual(lib.filter((f) => f.startsWith("@machina/") && TEST_FILE.test(f)), []);
  // Every placeholder is replaced, with the paths of this install.
  for (const rel of ["etc/init.d/machina", "etc/default/machina", "usr/local/lib/systemd/system/machina.socket", "usr/local/lib/systemd/system/machina.service", "etc/machina/policy.toml", "etc/logrotate.d/machina"]) {
    const text = fs.readFileSync(path.join(stage, rel), "utf8");
    assert.doesNotMatch(text, /@[A-Z]+@/, `${rel} has no @PLACEHOLDER@ left`);
  }
  const initScript = fs.readFileSync(path.join(stage, "etc/init.d/machina"), "utf8");
  assert.match(initScript, /^DAEMON=\/usr\/local\/sbin\/machinad$/m);
  assert.match(initScript, new RegExp(`^NODE=${process.execPath}$`, "m"));
  assert.match(fs.readFileSync(path.join(stage, "usr/local/lib/systemd/system/machina.socket"), "utf8"), /^SocketGroup=www-data$/m);
  // The wrapper runs node with the options the harness and the bench run machinad with (node-flags.ts).
  const flags = MACHINAD_NODE_FLAGS.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(" ");
  assert.match(fs.readFileSync(path.join(stage, "usr/local/sbin/machinad"), "utf8"), new RegExp(`^exec ".*" ${flags} "/usr/local/lib/machina/node_modules/@machina/server/bundle/machinad\\.cjs" "\\$@"$`, "m"));
  // The logrotate file rotates what the init script writes and has it send SIGHUP; logrotate
  // itself accepts it (--debug: parse and report, touch nothing).
  const logrotate = fs.readFileSync(path.join(stage, "etc/logrotate.d/machina"), "utf8");
  assert.match(logrotate, /^\/var\/log\/machina\/\*\.log \{$/m);
  assert.match(logrotate, /^\s+\[ ! -x \/etc\/init\.d\/machina \] \|\| \/etc\/init\.d\/machina rotate$/m);
  const parsed = await runCommand("logrotate", ["--debug", "--state", path.join(tmp, "logrotate.status"), path.join(stage, "etc/logrotate.d/machina")], { cwd: tmp });
  assert.equal(parsed.code, 0, describeRun(parsed));
  assert.match(parsed.stderr + parsed.stdout, /rotating pattern: \/var\/log\/machina\/\*\.log\s+weekly \(52 rotations\)/);
  assert.doesNotMatch(parsed.stderr + parsed.stdout, /error/i);
});

test("the staged machinad runs from its own copy, outside the repository", async () => {
  const stage = path.join(tmp, "stage");
  const main = path.join(stage, LIB, "@machina/server/bundle/machinad.cjs");
  const env = { PATH: SYSTEM_PATH };
  const version = await runCommand(process.execPath, [main, "--version"], { cwd: tmp, env });
  assert.equal(version.code, 0, describeRun(version));
  assert.equal(version.stdout.trim(), serverVersion);
  const check = await runCommand(process.execPath, [main, "policy", "check", path.join(stage, "etc/machina/policy.toml")], { cwd: tmp, env });
  assert.equal(check.code, 0, describeRun(check));
  assert.match(check.stdout, /policy\.toml: ok/);
  // A broken policy is refused by the installed copy too (the check can fail).
  const bad = path.join(tmp, "bad.toml");
  fs.writeFileSync(bad, "version = 1\n[[augeas.file]]\npath = 'etc/hosts'\n");
  const refused = await runCommand(process.execPath, [main, "policy", "check", bad], { cwd: tmp, env });
  assert.equal(refused.code, 1, describeRun(refused));
  const client = await runCommand(process.execPath, [path.join(stage, LIB, "@machina/client/bundle/machina.cjs"), "--help"], { cwd: tmp, env });
  assert.equal(client.code, 0, describeRun(client));
});

test("make install keeps an edited policy and default file; make uninstall leaves only them", async () => {
  const stage = path.join(tmp, "stage");
  const policy = path.join(stage, "etc/machina/policy.toml");
  const defaults = path.join(stage, "etc/default/machina");
  const secret = path.join(stage, "etc/machina/secret");
  fs.writeFileSync(policy, "# the administrator's policy\nversion = 1\n");
  fs.writeFileSync(defaults, "GROUP=panel\n");
  fs.writeFileSync(secret, "not overwritten\n", { mode: 0o600 });
  await make(["install", `DESTDIR=${stage}`]);
  assert.equal(fs.readFileSync(policy, "utf8"), "# the administrator's policy\nversion = 1\n");
  assert.equal(fs.readFileSync(defaults, "utf8"), "GROUP=panel\n");
  assert.equal(fs.readFileSync(secret, "utf8"), "not overwritten\n");

  await make(["uninstall", `DESTDIR=${stage}`]);
  assert.deepEqual(filesBelow(stage), ["etc/machina/policy.toml", "etc/machina/secret"]);
  assert.equal(fs.readFileSync(policy, "utf8"), "# the administrator's policy\nversion = 1\n");
});

test("make install PREFIX=… SYSCONFDIR=…: the wrappers work from any directory with an empty environment, a secret is made, systemd-analyze verify passes", async () => {
  const prefix = path.join(tmp, "prefix", "usr");
  const etc = path.join(tmp, "prefix", "etc");
  // No DESTDIR: this is an install onto "the machine", so a secret is generated.
  await make(["install", `PREFIX=${prefix}`, `SYSCONFDIR=${etc}`, "GROUP=root"]);
  const secret = path.join(etc, "machina/secret");
  assert.equal(mode(secret).toString(8), "640");
  assert.equal(fs.statSync(secret).uid, 0);
  assert.equal(fs.statSync(secret).gid, 0);
  assert.match(fs.readFileSync(secret, "utf8"), /^[A-Za-z0-9+/]{43}=\n$/);

  for (const [program, args] of [[path.join(prefix, "sbin/machinad"), ["--version"]], [path.join(prefix, "bin/machina"), ["--help"]]] as const) {
    const r = await runCommand(program, [...args], { cwd: "/", env: {} });
    assert.equal(r.code, 0, `${program} ${args.join(" ")}: ${describeRun(r)}`);
  }
  const check = await runCommand(path.join(prefix, "sbin/machinad"), ["policy", "check", path.join(etc, "machina/policy.toml")], { cwd: "/", env: {} });
  assert.equal(check.code, 0, describeRun(check));

  const units = path.join(prefix, "lib/systemd/system");
  const verify = await runCommand("systemd-analyze", ["verify", path.join(units, "machina.socket"), path.join(units, "machina.service")], { cwd: tmp });
  assert.equal(verify.code, 0, `systemd-analyze verify: ${describeRun(verify)}`);
  assert.deepEqual(verify.stderr.split("\n").filter((l) => l.includes("machina")), [], "systemd-analyze verify has nothing to say about the units");
  assert.match(fs.readFileSync(path.join(units, "machina.service"), "utf8"), new RegExp(`^ExecStart=${prefix}/sbin/machinad run `, "m"));

  // A second install keeps the secret.
  const before = fs.readFileSync(secret, "utf8");
  await make(["install", `PREFIX=${prefix}`, `SYSCONFDIR=${etc}`, "GROUP=root"]);
  assert.equal(fs.readFileSync(secret, "utf8"), before);
  await make(["uninstall", `PREFIX=${prefix}`, `SYSCONFDIR=${etc}`]);
  assert.deepEqual(filesBelow(path.join(tmp, "prefix")), ["etc/machina/policy.toml", "etc/machina/secret"]);
});

test("systemd-analyze verify rejects a unit whose program is missing (the check can fail)", async () => {
  const dir = path.join(tmp, "broken-units");
  fs.mkdirSync(dir);
  for (const unit of ["machina.socket", "machina.service"]) {
    const text = fs.readFileSync(path.join(REPO_ROOT, "init", unit), "utf8");
    fs.writeFileSync(path.join(dir, unit), text.replaceAll("@SBINDIR@", path.join(dir, "missing")).replaceAll("@SYSCONFDIR@", "/etc").replaceAll("@GROUP@", "root"));
  }
  const verify = await runCommand("systemd-analyze", ["verify", path.join(dir, "machina.socket"), path.join(dir, "machina.service")], { cwd: tmp });
  assert.notEqual(verify.code, 0, describeRun(verify));
  assert.match(verify.stderr, /missing\/machinad is not executable/);
});
