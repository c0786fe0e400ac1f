/**
 * Validators (`[[augeas.file]] validate`) with the real programs, through the
 * real daemon: Debian's visudo on a sudoers file and Debian's sshd -t on an
 * sshd_config each accept a good edit (the file is written) and refuse a
 * broken one the lens itself accepts — `validation-failed` naming the file,
 * with the exit status, the output only where the client may read the whole
 * file (and the temporary path shown as the policy's path) — and then nothing
 * on disk changes: same bytes, same inode and mtime, no FILE.augnew left. A
 * refused `augeas.save` keeps its edits pending; a refused `augeas.apply`
 * undoes them and writes no other file of the save either. A validator that
 * runs past its timeout refuses the save too, and one a user other than root
 * could change is never run.
 *
 * `sshd -t` needs a host key and its privilege separation directory
 * (/run/sshd) even to check a file. The key is generated into the sandbox and
 * given to it in the policy's own argument vector (`-o HostKey=…`), as an
 * administrator without keys in /etc/ssh would; /run/sshd is made inside an
 * isolated root (harness/isolated-root.ts: a private /run), in whose mounts
 * the daemon — and so its validators — run. The host's /run is not touched.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, afterEach, before, beforeEach, test } from "node:test";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { describeRun, runCommand } from "./harness/command.js";
import { startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { IsolatedRoot } from "./harness/isolated-root.js";
import { fixtureText, Sandbox } from "./harness/sandbox.js";

const VISUDO = "/usr/sbin/visudo";
const SSHD = "/usr/sbin/sshd";

const SUDOERS = `Defaults\tenv_reset
Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
root\tALL=(ALL:ALL) ALL
%sudo\tALL=(ALL:ALL) ALL
`;
const SSHD_CONFIG = fixtureText("ssh/sshd_config");

function policyFor(hostKey: string, untrusted: string): string {
  return `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "/etc/sudoers"
lens = "Sudoers"
write = ["**"]
validate = ["${VISUDO}", "-cf", "%s"]

# The client may read only the Defaults lines: a validator's output (which quotes the file) is never shown.
[[augeas.file]]
path = "/etc/sudoers.d/limited"
lens = "Sudoers"
read = ["Defaults", "Defaults/*"]
write = ["Defaults/*"]
validate = ["${VISUDO}", "-cf", "%s"]

[[augeas.file]]
path = "/etc/ssh/sshd_config"
write = ["Port", "PermitRootLogin"]
validate = ["${SSHD}", "-t", "-f", "%s", "-o", "HostKey=${hostKey}"]

[[augeas.file]]
path = "/etc/sudoers.d/slow"
lens = "Sudoers"
write = ["**"]
validate = ["/bin/sh", "-c", "sleep 30", "%s"]
validate_timeout = 1

[[augeas.file]]
path = "/etc/sudoers.d/untrusted"
lens = "Sudoers"
write = ["**"]
validate = ["${untrusted}", "%s"]

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]
`;
}

let root: IsolatedRoot;
let sandbox: Sandbox;
let daemon: DaemonProcess;
/** A validator program another user may change: it must never run (it would leave this file behind). */
let untrustedRan: string;

/** The sandbox's extra files, as each test starts: the sudoers files (0440, as Debian ships them). */
function writeFiles(): void {
  for (const f of ["/etc/sudoers", "/etc/sudoers.d/limited", "/etc/sudoers.d/slow", "/etc/sudoers.d/untrusted"]) {
    fs.mkdirSync(path.dirname(sandbox.path(f)), { recursive: true, mode: 0o755 });
    sandbox.write(f, SUDOERS);
    fs.chmodSync(sandbox.path(f), 0o440);
  }
}

before(async () => {
  for (const program of [VISUDO, SSHD]) assert.ok(fs.existsSync(program), `${program} is missing: install sudo and openssh-server (node scripts/setup.mjs --for test)`);
  root = await IsolatedRoot.open();
  const made = await root.run("mkdir", ["-p", "-m", "0755", "/run/sshd"], { cwd: "/" });
  assert.equal(made.code, 0, describeRun(made));
  sandbox = Sandbox.create();
  const hostKey = path.join(sandbox.dir, "ssh_host_ed25519_key");
  const keygen = await runCommand("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "machina-test", "-f", hostKey]);
  assert.equal(keygen.code, 0, describeRun(keygen));
  untrustedRan = path.join(sandbox.dir, "untrusted.ran");
  const untrusted = path.join(sandbox.dir, "untrusted-validator");
  fs.writeFileSync(untrusted, `#!/bin/sh\ntouch ${untrustedRan}\nexit 0\n`);
  fs.chmodSync(untrusted, 0o757);
  sandbox.writePolicy(policyFor(hostKey, untrusted));
  writeFiles();
  daemon = await startDaemon(sandbox, { through: root.mountsOnly() });
});

beforeEach(() => {
  sandbox.restoreFixtures();
  writeFiles();
});

afterEach((t) => {
  if ((t as { passed?: boolean }).passed === false) console.error(`--- ${t.name}: daemon output ---\n${daemon?.describe()}`);
});

after(async () => {
  try {
    await daemon?.stop();
  } finally {
    await root?.close();
    sandbox?.cleanup();
  }
});

/** No FILE.augnew (nor its mkstemp temporaries) anywhere in the sandbox's root. */
function assertNoLeftovers(): void {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.name.includes(".augnew")) found.push(path.join(dir, e.name));
    }
  };
  walk(sandbox.root);
  assert.deepEqual(found, []);
}

test("visudo accepts a good sudoers edit: the file is written, still 0440", async () => {
  await withClient(sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/sudoers/Defaults[1]/listpw", value: "always" });
    assert.deepEqual((await m.augeas.save()).files, ["/etc/sudoers"]);
  });
  assert.equal(sandbox.read("/etc/sudoers"), SUDOERS.replace("Defaults\tenv_reset\n", "Defaults\tenv_reset , listpw = always\n"));
  assert.equal(sandbox.stat("/etc/sudoers").mode & 0o7777, 0o440);
  assertNoLeftovers();
});

test("visudo refuses a broken sudoers edit: validation-failed with its status and output, nothing written, the edit still pending", async () => {
  const before = sandbox.snapshot();
  await withClient(sandbox, async (m) => {
    // The lens takes any word as listpw's value; sudo knows only all, always, any and never.
    await m.augeas.set({ path: "/files/etc/sudoers/Defaults[1]/listpw", value: "whenever" });
    const e = await rejectsWithKind(m.augeas.save(), "validation-failed");
    assert.equal(e.data.file, "/etc/sudoers");
    assert.equal(e.data.exitCode, 1);
    assert.equal(e.data.truncated, false);
    assert.equal(e.message, "/etc/sudoers: the policy's validator exited with status 1; nothing was written");
    // visudo names the file it checked: the client sees the policy's path, not the temporary one.
    assert.match(String(e.data.output), /^\/etc\/sudoers:1:\d+: value "whenever" is invalid for option "listpw"$/m);
    assert.doesNotMatch(String(e.data.output), /augnew|machina-it-/);
    sandbox.assertUnchanged(before);
    assertNoLeftovers();
    // The edit is still pending: fixed, the same session saves.
    const { changes } = await m.augeas.preview();
    assert.deepEqual(changes.map((c) => c.file), ["/etc/sudoers"]);
    await m.augeas.set({ path: "/files/etc/sudoers/Defaults[1]/listpw", value: "never" });
    assert.deepEqual((await m.augeas.save()).files, ["/etc/sudoers"]);
  });
  assert.equal(sandbox.read("/etc/sudoers"), SUDOERS.replace("Defaults\tenv_reset\n", "Defaults\tenv_reset , listpw = never\n"));
  // The refusal is in the log and the audit line without the output.
  assert.match(daemon.stderr, /saving \/etc\/sudoers refused: its validator \/usr\/sbin\/visudo exited with status 1/);
  assert.doesNotMatch(daemon.stderr, /whenever/);
  assert.doesNotMatch(fs.readFileSync(sandbox.auditLog, "utf8"), /whenever/);
});

test("a refused augeas.apply writes no file of the save and leaves nothing pending", async () => {
  const before = sandbox.snapshot();
  await withClient(sandbox, async (m) => {
    const e = await rejectsWithKind(
      m.augeas.apply({
        changes: [
          { op: "set", path: "/files/etc/hostname/hostname", value: "renamed" },
          { op: "set", path: "/files/etc/sudoers/Defaults[1]/listpw", value: "whenever" },
        ],
      }),
      "validation-failed",
    );
    assert.equal(e.data.file, "/etc/sudoers");
    sandbox.assertUnchanged(before);
    assertNoLeftovers();
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
  });
});

test("sshd -t accepts a good sshd_config edit", async () => {
  await withClient(sandbox, async (m) => {
    const r = await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/ssh/sshd_config/Port", value: "2222" }] });
    assert.deepEqual(r.files, ["/etc/ssh/sshd_config"]);
  });
  assert.equal(sandbox.read("/etc/ssh/sshd_config"), SSHD_CONFIG.replace("\nPort 22\n", "\nPort 2222\n"));
  assertNoLeftovers();
});

test("sshd -t refuses Port notaport: nothing written", async () => {
  const before = sandbox.snapshot();
  await withClient(sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/Port", value: "notaport" });
    const e = await rejectsWithKind(m.augeas.save(), "validation-failed");
    assert.equal(e.data.file, "/etc/ssh/sshd_config");
    assert.equal(e.data.exitCode, 255);
    // (sshd ends its fatal lines with \r\n.)
    assert.match(String(e.data.output), /^\/etc\/ssh\/sshd_config line 14: Badly formatted port number\.\r?\n$/);
  });
  sandbox.assertUnchanged(before);
  assertNoLeftovers();
});

test("a client that may not read the whole file learns the exit status, never the output", async () => {
  const before = sandbox.snapshot();
  await withClient(sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/sudoers.d/limited/Defaults[1]/listpw", value: "whenever" });
    const e = await rejectsWithKind(m.augeas.save(), "validation-failed");
    assert.deepEqual(e.data, { kind: "validation-failed", file: "/etc/sudoers.d/limited", truncated: false, exitCode: 1 });
    assert.doesNotMatch(e.message, /whenever|invalid|root|sudo\b/);
  });
  sandbox.assertUnchanged(before);
});

test("a validator that runs past its timeout refuses the save", async () => {
  const before = sandbox.snapshot();
  await withClient(sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/sudoers.d/slow/Defaults[1]/listpw", value: "always" });
    const started = Date.now();
    const e = await rejectsWithKind(m.augeas.save(), "validation-failed");
    assert.ok(Date.now() - started < 15_000, "ended at its 1 s timeout (and the kill's grace), not after sleep's 30 s");
    assert.equal(e.data.timedOut, true);
    assert.equal(e.data.file, "/etc/sudoers.d/slow");
    assert.match(e.message, /did not finish within 1s/);
  });
  sandbox.assertUnchanged(before);
  assertNoLeftovers();
});

test("a validator a user other than root could change is never run: policy-denied, nothing written", async () => {
  const before = sandbox.snapshot();
  await withClient(sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/sudoers.d/untrusted/Defaults[1]/listpw", value: "always" });
    const e = await rejectsWithKind(m.augeas.save(), "policy-denied");
    assert.match(e.message, /validator/);
    assert.doesNotMatch(e.message, /untrusted-validator|machina-it-/, "the path is in the log, not the answer");
  });
  assert.equal(fs.existsSync(untrustedRan), false);
  sandbox.assertUnchanged(before);
  assertNoLeftovers();
  assert.match(daemon.stderr, /refusing to run the validator .*untrusted-validator: .*writable by others/);
});
