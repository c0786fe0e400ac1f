import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect, type ConnectOptions } from "#src/client.js";
import { ConnectionError } from "#src/errors.js";

// The real thing — sshd, the daemon behind it, tunnels that work and drop — is
// test/src/ssh-remote.test.ts. These are the refusals made before ssh runs.

const secret = randomBytes(32);
const ssh = { host: "daemon.example.org", user: "machina-tunnel" };

/** Runs `body` with TMPDIR (where the private directory is made) set to a fresh directory; answers what was left in it. */
async function inTmpdir(body: () => Promise<void>, mode = 0o700): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-ssh-test-"));
  fs.chmodSync(dir, mode);
  const saved = process.env["TMPDIR"];
  process.env["TMPDIR"] = dir;
  try {
    await body();
    return fs.readdirSync(dir);
  } finally {
    if (saved === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function refused(options: ConnectOptions, pattern: RegExp): Promise<void> {
  await assert.rejects(connect({ secret, ...options }), (e: unknown) => {
    assert.ok(e instanceof ConnectionError, String(e));
    assert.equal(e.kind, "connection");
    assert.match(e.message, pattern);
    return true;
  });
}

test("names ssh could take for options, and values it would split, are refused before ssh runs", async () => {
  const left = await inTmpdir(async () => {
    await refused({ ssh: { ...ssh, host: "-oProxyCommand=touch /tmp/pwned" } }, /^ssh: not a host name or address/);
    await refused({ ssh: { ...ssh, host: "" } }, /^ssh: not a host name or address/);
    await refused({ ssh: { ...ssh, host: "a b" } }, /^ssh: not a host name or address/);
    await refused({ ssh: { ...ssh, user: "-lroot" } }, /^ssh: not a user name/);
    await refused({ ssh: { ...ssh, user: "a b" } }, /^ssh: not a user name/);
    for (const port of [0, 65536, 22.5, Number.NaN]) await refused({ ssh: { ...ssh, port } }, /^ssh: not a port/);
    await refused({ ssh: { ...ssh, identityFile: "/keys/my key" } }, /^ssh: identityFile must be/);
    await refused({ ssh: { ...ssh, knownHostsFile: "/etc/%h" } }, /^ssh: knownHostsFile must be/);
    await refused({ ssh, socket: "run/machina.sock" }, /^ssh: the daemon's socket must be an absolute path/);
    await refused({ ssh, socket: "/run/a:b.sock" }, /^ssh: the daemon's socket must be an absolute path/);
  });
  assert.deepEqual(left, [], "no private directory was made");
});

test("no ssh program: a clear connection error, and nothing is left", async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "machina-no-ssh-"));
  const saved = process.env["PATH"];
  process.env["PATH"] = empty;
  try {
    const left = await inTmpdir(() => refused({ ssh }, /^could not open the ssh tunnel to machina-tunnel@daemon\.example\.org: ssh could not be run: no ssh program on PATH/));
    assert.deepEqual(left, [], "the private directory is removed");
  } finally {
    process.env["PATH"] = saved;
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test("a temporary directory others may rename entries in is refused", async () => {
  const left = await inTmpdir(() => refused({ ssh }, /writable by others and not sticky/), 0o777);
  assert.deepEqual(left, []);
});
