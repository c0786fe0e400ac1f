/**
 * A panel on another host, over OpenSSH (docs/REMOTE.md), end to end with the
 * real programs: Debian's sshd on 127.0.0.1 and a free port (harness/sshd.ts:
 * a dedicated account in an isolated root, a generated key in its
 * authorized_keys, the document's restrictions), the real machinad behind it,
 * and `connect({ ssh })` on the other end running the system's ssh.
 *
 * - calls succeed through the forward, as root and as an unprivileged panel
 *   user (`nobody`, whose private socket the ownership check accepts);
 * - SO_PEERCRED shows the daemon the ssh account, nothing of the panel host:
 *   every audit line's peer is that uid and an sshd process of it, and a
 *   `[clients]` list without the account refuses it;
 * - the handshake still authenticates both ends through the tunnel: a wrong
 *   secret is `auth-failed`, an impostor at the far end is a `connection`
 *   error and gets no call;
 * - the tunnel dropping (its sshd session killed) is a `connection` error,
 *   ssh and its directory are gone, and the next connect works;
 * - close() ends ssh and removes the local socket's directory; a failed
 *   connect leaves nothing running either.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, afterEach, before, test } from "node:test";
import { randomBytes } from "node:crypto";
import { connect, ConnectionError, type ConnectOptions } from "@machina/client";
import { generateKey } from "@machina/protocol";
import { NOBODY as NOBODY_USER, spawnAs, stagedClientBundle } from "./harness/as-user.js";
import { readAuditLines } from "./harness/audit-log.js";
import { rejectsWithKind } from "./harness/clients.js";
import { describeRun, runCommand } from "./harness/command.js";
import { startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { impostor } from "./harness/impostor.js";
import { IsolatedRoot } from "./harness/isolated-root.js";
import { Sandbox } from "./harness/sandbox.js";
import { startSshd, type SshServer } from "./harness/sshd.js";
import { waitFor } from "./harness/wait.js";

const USER = `machina-tun-${randomBytes(3).toString("hex")}`;
const NOBODY = NOBODY_USER.uid;

const policyFor = (users: string[]): string => `version = 1

[clients]
users = ${JSON.stringify(users)}

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]
`;

let root: IsolatedRoot;
let sandbox: Sandbox;
let daemon: DaemonProcess;
let sshd: SshServer;
/** The ssh side's files: keys, known_hosts, sshd_config, the account's home (traversable by the account). */
let sshDir: string;

before(async () => {
  root = await IsolatedRoot.open();
  sandbox = Sandbox.create({ policy: policyFor([USER]) });
  // The ssh account (the daemon's peer) must reach the socket: through the sandbox, and the socket is its own (--user).
  fs.chmodSync(sandbox.dir, 0o755);
  sshDir = path.join(sandbox.dir, "ssh");
  fs.mkdirSync(sshDir, { mode: 0o755 });
  fs.chmodSync(sshDir, 0o755);
  sshd = await startSshd(root, sshDir, USER);
  // machinad sees the isolated root's /etc, where the account exists, for --user and [clients].
  daemon = await startDaemon(sandbox, { args: ["--user", USER], through: root.mountsOnly() });
});

afterEach((t) => {
  if ((t as { passed?: boolean }).passed === false) console.error(`--- ${t.name}: sshd and machinad ---\n${sshd?.describe()}\n${daemon?.describe()}`);
});

after(async () => {
  try {
    await daemon?.stop();
  } finally {
    // sshd and every session of it live in the isolated root and end with it.
    await root?.close();
    sandbox?.cleanup();
  }
});

function sshOptions(extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    ssh: { host: "127.0.0.1", port: sshd.port, user: USER, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile },
    socket: sandbox.socket,
    secretFile: sandbox.secretFile,
    // The daemon frees its one session once it has seen the previous connection close.
    waitIfBusyMs: 10_000,
    ...extra,
  };
}

interface SshProcess {
  pid: number;
  uid: number;
  /** The local end of its -L. */
  localSocket: string;
}

/** The ssh client processes of this test's tunnels (their command line names our known_hosts). */
function sshTunnels(): SshProcess[] {
  const out: SshProcess[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    let status: string;
    try {
      argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      status = fs.readFileSync(`/proc/${entry}/status`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    if (argv[0] !== "ssh" || !argv.includes(`UserKnownHostsFile=${sshd.knownHostsFile}`)) continue;
    if (/^State:\s+Z/m.test(status)) continue;
    const forward = argv[argv.indexOf("-L") + 1]!;
    out.push({ pid: Number(entry), uid: Number(/^Uid:\s+(\d+)/m.exec(status)![1]), localSocket: forward.slice(0, forward.indexOf(":")) });
  }
  return out;
}

async function assertNoTunnelLeft(): Promise<void> {
  await waitFor(() => sshTunnels().length === 0, "no ssh tunnel process to be left", () => JSON.stringify(sshTunnels()));
}

function uidOf(pid: number): number | undefined {
  try {
    return Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
  } catch {
    return undefined;
  }
}

test("calls succeed through the ssh-forwarded socket; the daemon's peer is the ssh account; close() ends ssh", async () => {
  const linesBefore = readAuditLines(sandbox.auditLog).length;
  const m = await connect(sshOptions());
  let tunnel: SshProcess;
  try {
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "remote-panel" });
    await m.augeas.save();
    assert.equal(sandbox.read("/etc/hostname"), "remote-panel\n");

    // One ssh, this process's, whose local end is a 0600 socket in a 0700 directory of ours.
    const tunnels = sshTunnels();
    assert.equal(tunnels.length, 1, JSON.stringify(tunnels));
    tunnel = tunnels[0]!;
    const sock = fs.lstatSync(tunnel.localSocket);
    const dir = fs.lstatSync(path.dirname(tunnel.localSocket));
    assert.ok(sock.isSocket());
    assert.equal(sock.mode & 0o777, 0o600);
    assert.equal(dir.mode & 0o777, 0o700);
    assert.equal(dir.uid, process.geteuid!());

    // SO_PEERCRED on the daemon's side: the ssh account, through one of its sshd processes.
    const lines = readAuditLines(sandbox.auditLog).slice(linesBefore);
    assert.ok(lines.some((l) => l.method === "augeas.save" && l.outcome === "ok"), JSON.stringify(lines));
    for (const line of lines) {
      assert.equal(line.peer.uid, sshd.uid, `audit peer ${JSON.stringify(line.peer)}`);
      assert.equal(uidOf(line.peer.pid), sshd.uid, `peer pid ${line.peer.pid} is the ssh account's`);
      assert.equal(fs.readFileSync(`/proc/${line.peer.pid}/comm`, "utf8").trim(), "sshd");
    }
  } finally {
    await m.close();
  }
  // The tunnel ended with the client: no ssh, no directory.
  assert.ok(m.closed);
  await assertNoTunnelLeft();
  assert.equal(fs.existsSync(path.dirname(tunnel.localSocket)), false, "the private directory is removed");
});

test("an unprivileged panel user connects through its own private forward (the ownership check accepts it)", async () => {
  // The panel host's copies, owned by the panel's user as docs/REMOTE.md sets them up: the key (ssh refuses
  // one others can read) and the secret, copied once, 0600.
  const panelDir = path.join(sandbox.dir, "panel");
  fs.mkdirSync(panelDir, { mode: 0o700 });
  const key = path.join(panelDir, "id_ed25519");
  const secret = path.join(panelDir, "secret");
  fs.copyFileSync(sshd.identityFile, key);
  fs.copyFileSync(sandbox.secretFile, secret);
  for (const f of [panelDir, key, secret]) fs.chownSync(f, NOBODY, NOBODY);
  fs.chmodSync(key, 0o600);
  fs.chmodSync(secret, 0o600);
  const options = { ...sshOptions(), ssh: { ...sshOptions().ssh!, identityFile: key }, secretFile: secret };

  // The panel: connect, read, report, wait for the test to look at its tunnel, close.
  const script = `
    import { connect } from ${JSON.stringify(path.join(stagedClientBundle(NOBODY_USER), "client.js"))};
    const m = await connect(${JSON.stringify(options)});
    const got = await m.augeas.get({ path: "/files/etc/hostname/hostname" });
    console.log(JSON.stringify({ got, uid: process.geteuid() }));
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.once("end", resolve));
    await m.close();
    console.log(JSON.stringify({ closed: m.closed }));
  `;
  const child = spawnAs(NOBODY_USER, [process.execPath, "--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  try {
    const first = await waitFor(
      () => (out.includes("\n") ? (JSON.parse(out.split("\n")[0]!) as { got: unknown; uid: number }) : child.exitCode !== null ? assert.fail(`the panel exited: ${err}`) : false),
      "the panel's first call",
      () => err,
    );
    assert.deepEqual(first, { got: { value: sandbox.read("/etc/hostname").trim() }, uid: NOBODY });
    const tunnels = sshTunnels();
    assert.equal(tunnels.length, 1, JSON.stringify(tunnels));
    assert.equal(tunnels[0]!.uid, NOBODY, "ssh runs as the panel's user");
    const sock = fs.lstatSync(tunnels[0]!.localSocket);
    const dir = fs.lstatSync(path.dirname(tunnels[0]!.localSocket));
    assert.deepEqual([sock.uid, sock.mode & 0o777, dir.uid, dir.mode & 0o777], [NOBODY, 0o600, NOBODY, 0o700]);
  } finally {
    child.stdin!.end();
  }
  assert.equal(await exited, 0, err);
  assert.deepEqual(JSON.parse(out.trim().split("\n")[1]!), { closed: true });
  await assertNoTunnelLeft();
});

test("through the tunnel a wrong secret is auth-failed, and nothing is left running", async () => {
  const wrong = await rejectsWithKind(connect(sshOptions({ secret: generateKey() })), "auth-failed");
  assert.ok(!wrong.message.includes(sandbox.keyBase64));
  await assertNoTunnelLeft();
  // The right one still works.
  const m = await connect(sshOptions());
  assert.deepEqual(await m.augeas.preview(), { changes: [] });
  await m.close();
});

test("an impostor at the far end cannot prove the secret: a connection error, and it gets no call", async () => {
  // Something that is not machinad, listening where the ssh account can reach it.
  const fakeSocket = path.join(sandbox.dir, "impostor", "machina.sock");
  const fake = await impostor(fakeSocket);
  try {
    fs.chmodSync(fakeSocket, 0o666);
    let caught: unknown;
    try {
      const m = await connect(sshOptions({ socket: fakeSocket }));
      await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "leaked" }).catch(() => undefined);
      await m.close();
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof ConnectionError, `expected ConnectionError, got ${String(caught)}`);
    await fake.connectionsClosed();
    assert.deepEqual(fake.received, ["session.hello", "session.authenticate"]);
  } finally {
    await fake.close();
  }
  await assertNoTunnelLeft();
});

test("the tunnel dropping is a connection error; ssh is gone, and the next connect works", async () => {
  const m = await connect(sshOptions());
  assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: sandbox.read("/etc/hostname").trim() });
  const [tunnel] = sshTunnels();
  assert.ok(tunnel);
  // The far end goes away: the sshd process that carries the forward (the daemon's peer) is killed.
  const peer = readAuditLines(sandbox.auditLog).at(-1)!.peer;
  assert.equal(uidOf(peer.pid), sshd.uid);
  process.kill(peer.pid, "SIGKILL");
  await rejectsWithKind(
    (async () => {
      // Calls made as it happens or after fail the same way: the connection is gone.
      for (let i = 0; i < 1000; i++) await m.augeas.get({ path: "/files/etc/hostname/hostname" });
    })(),
    "connection",
  );
  assert.ok(m.closed);
  await assertNoTunnelLeft();
  // The client removes it once it has seen ssh exit, which may be a moment after ssh is gone from /proc.
  await waitFor(() => !fs.existsSync(path.dirname(tunnel.localSocket)), "the private directory to be removed");

  const again = await connect(sshOptions());
  assert.deepEqual(await again.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: sandbox.read("/etc/hostname").trim() });
  await again.close();
});

test("ssh's failures are connection errors that say what failed: unknown host key, refused key, no daemon there, a silent host", async () => {
  const emptyKnownHosts = path.join(sshDir, "known_hosts.empty");
  fs.writeFileSync(emptyKnownHosts, "");
  const unknownHost = await rejectsWithKind(connect({ ...sshOptions(), ssh: { ...sshOptions().ssh!, knownHostsFile: emptyKnownHosts } }), "connection");
  assert.match(unknownHost.message, /ssh/);
  // A key the account's authorized_keys does not hold.
  const strangerKey = path.join(sshDir, "stranger_key");
  const keygen = await runCommand("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", strangerKey]);
  assert.equal(keygen.code, 0, describeRun(keygen));
  const otherKey = await rejectsWithKind(connect({ ...sshOptions(), ssh: { ...sshOptions().ssh!, identityFile: strangerKey } }), "connection");
  assert.match(otherKey.message, /ssh/);
  // The tunnel comes up, but nothing listens at the far end's path.
  const noDaemon = await rejectsWithKind(connect(sshOptions({ socket: path.join(sandbox.dir, "run", "nothing.sock") })), "connection");
  assert.match(noDaemon.message, /nothing\.sock/);
  // A host that accepts the TCP connection and never speaks: the wait for the forward is bounded.
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  let stalled;
  try {
    const port = (silent.address() as net.AddressInfo).port;
    stalled = await rejectsWithKind(connect({ ...sshOptions(), ssh: { ...sshOptions().ssh!, port, readyTimeoutMs: 1000 } }), "connection");
    assert.match(stalled.message, /^could not open the ssh tunnel to /);
  } finally {
    silent.close();
  }
  // The secret never appears in what ssh said or what the client reports.
  for (const e of [unknownHost, otherKey, noDaemon, stalled]) assert.ok(!e.message.includes(sandbox.keyBase64));
  await assertNoTunnelLeft();
});

test("a [clients] list that does not name the ssh account refuses it (policy-denied)", async () => {
  sandbox.writePolicy(policyFor(["root"]));
  daemon.signal("SIGHUP");
  await daemon.waitForStderr(/policy reloaded from/);
  try {
    await rejectsWithKind(connect(sshOptions()), "policy-denied");
    await assertNoTunnelLeft();
  } finally {
    sandbox.writePolicy(policyFor([USER]));
    daemon.signal("SIGHUP");
    await waitFor(() => (daemon.stderr.match(/policy reloaded from/g) ?? []).length >= 2, "the policy to be reloaded again");
  }
  const m = await connect(sshOptions());
  await m.close();
});
