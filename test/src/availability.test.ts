/**
 * Invariant 6, availability to the legitimate panel: a hostile local user or a
 * process without the key must not freeze the daemon or keep the right key
 * out, and cannot fill the disk with refusal lines.
 *
 * - a user the policy does not allow, opening connections in a tight loop
 *   (as `nobody`, through setpriv), does not keep the legitimate client out:
 *   over 50 attempts during the flood, connect + authenticate takes under 1 s
 *   at p99, and every attempt succeeds; the refusals are logged and audited at
 *   most 20 per 10 s one by one, the rest in summary lines whose counts add up
 *   to exactly the connections the flood made;
 * - a process the policy admits but without the key — running under the
 *   panel's own uid, or under another allowed uid — holding several waiting
 *   connections and spamming wrong proofs, does not keep the right client out
 *   (50 attempts, each under 1 s) nor fill the logs;
 * - connections that never authenticate hold no session slot; the bounds on
 *   waiting connections (busy beyond them, and a greedy process gives up a
 *   place to a process holding fewer); wrong proofs from another process do
 *   not delay the right one; at most 64 requests before authenticating.
 *
 * Every hostile process is bounded in time and stops by itself; everything
 * goes over the sandbox's Unix socket.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { afterEach, test, type TestContext } from "node:test";
import { connect } from "@machina/client";
import { readAuditLines, type AuditLine } from "./harness/audit-log.js";
import { REPO_ROOT } from "./harness/command.js";
import { cleanEnv, startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { flood, noKeyPeer, type HostilePeer, type RunAs } from "./harness/hostile-peers.js";
import { RawConnection } from "./harness/raw-client.js";
import { Sandbox } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";
import { NOBODY } from "./harness/as-user.js";

/** Connect + authenticate must take less than this at p99 during an attack. */
const P99_LIMIT_MS = 1000;
const ATTEMPTS = 50;
/** The daemon's default: refusal lines written one by one per reason and 10 s. */
const REFUSAL_LOG_LIMIT = 20;

const POLICY = (users: string[]) => `version = 1

[clients]
users = ${JSON.stringify(users)}

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]
`;

const sandboxes: Sandbox[] = [];
const daemons: DaemonProcess[] = [];
const peers: HostilePeer[] = [];
afterEach(async (t) => {
  for (const p of peers.splice(0)) await p.stop().catch(() => undefined);
  for (const d of daemons.splice(0)) {
    if ((t as { passed?: boolean }).passed === false) console.error(`--- ${t.name}: daemon output (last 6000 characters) ---\n${d.describe().slice(-6000)}`);
    await d.stop();
  }
  for (const s of sandboxes.splice(0)) s.cleanup();
});

/**
 * A daemon whose socket (root:nogroup, 0660, in a directory others may enter)
 * `nobody` can reach, so the policy alone decides who is served.
 */
async function daemonFor(users: string[], args: string[] = []): Promise<{ sb: Sandbox; d: DaemonProcess }> {
  const sb = Sandbox.create({ policy: POLICY(users) });
  sandboxes.push(sb);
  fs.chmodSync(sb.dir, 0o755);
  const d = await startDaemon(sb, { args: ["--group", "nogroup", ...args] });
  daemons.push(d);
  return { sb, d };
}

function hostile(peer: HostilePeer): HostilePeer {
  peers.push(peer);
  return peer;
}

/** Sessions the daemon has started and ended so far (its log has one line for each). */
function sessionCounts(d: DaemonProcess): { started: number; ended: number } {
  return { started: d.stderr.match(/session \d+: connection from/g)?.length ?? 0, ended: d.stderr.match(/session \d+: ended/g)?.length ?? 0 };
}

/**
 * The legitimate client's experience: `ATTEMPTS` times, connect and
 * authenticate through @machina/client (no retry on busy), timed, then close
 * and wait (untimed) until the daemon has ended that session.
 */
async function measureLegitimate(sb: Sandbox, d: DaemonProcess): Promise<{ latencies: number[]; failures: string[]; p99: number; median: number }> {
  const latencies: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < ATTEMPTS; i++) {
    const started = performance.now();
    try {
      const m = await connect({ socket: sb.socket, secretFile: sb.secretFile, connectTimeoutMs: 10_000 });
      latencies.push(performance.now() - started);
      await m.close();
      const expected = sessionCounts(d).started;
      await waitFor(() => sessionCounts(d).ended >= expected, "the daemon to end the session", () => d.describe().slice(-3000));
    } catch (e) {
      latencies.push(Infinity);
      failures.push(`${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { latencies, failures, p99: sorted[Math.ceil(0.99 * sorted.length) - 1]!, median: sorted[Math.floor(sorted.length / 2)]! };
}

function report(t: TestContext, what: string, r: { p99: number; median: number; failures: string[] }, extra: unknown): void {
  const line = `${what}: connect+auth p99 ${r.p99.toFixed(1)} ms, median ${r.median.toFixed(1)} ms over ${ATTEMPTS} attempts, ${r.failures.length} failed; ${JSON.stringify(extra)}`;
  t.diagnostic(line);
  console.log(`availability: ${line}`);
}

/** The audit lines about `uid` of one kind: those written one by one, and the summaries with their counts. */
function auditOf(lines: AuditLine[], match: (l: AuditLine) => boolean): { single: AuditLine[]; summaries: AuditLine[]; total: number } {
  const mine = lines.filter(match);
  const single = mine.filter((l) => l.count === undefined);
  const summaries = mine.filter((l) => l.count !== undefined);
  return { single, summaries, total: single.length + summaries.reduce((n, l) => n + l.count!, 0) };
}

/** Most lines written one by one in `elapsedMs` under the rate limit (one budget per 10 s interval begun). */
const singleLinesAllowed = (elapsedMs: number) => REFUSAL_LOG_LIMIT * (Math.floor(elapsedMs / 10_000) + 1);

test("a user the policy does not allow, flooding connections, does not keep the panel out nor fill the logs", async (t) => {
  const { sb, d } = await daemonFor(["root"]);
  const started = Date.now();
  const attacker = hostile(flood("nobody", { socket: sb.socket, concurrency: 1000, durationMs: 60_000 }));
  // Let the flood get going: the daemon has refused a good many connections.
  await waitFor(
    () => (d.stderr.match(/refused connection from pid \d+ uid 65534/g)?.length ?? 0) >= REFUSAL_LOG_LIMIT,
    "the flood to be refused",
    () => d.describe().slice(-3000),
  );
  const r = await measureLegitimate(sb, d);
  const stats = await attacker.stop();
  const elapsed = Date.now() - started;
  report(t, "flood by a disallowed user (1000 connections at once, in a tight loop)", r, stats);

  assert.deepEqual(r.failures, [], "every attempt of the legitimate client succeeds");
  assert.ok(r.p99 < P99_LIMIT_MS, `p99 ${r.p99.toFixed(1)} ms`);
  assert.ok(Number(stats.connected) >= 1000, `the flood made only ${String(stats.connected)} connections: not a flood`);
  assert.ok(d.running, d.describe().slice(-3000));

  // Every connection of the flood was refused and is accounted for, but only a bounded number one by one.
  await new Promise((resolve) => setTimeout(resolve, 500)); // the daemon drains what is left in its backlog
  await d.stop(); // writes the pending summaries
  const audit = auditOf(readAuditLines(sb.auditLog), (l) => l.method === "(connect)" && l.peer.uid === NOBODY.uid);
  assert.ok(audit.single.every((l) => l.outcome === "policy-denied" && l.decision === "deny"));
  assert.ok(audit.single.length <= singleLinesAllowed(elapsed), `${audit.single.length} audit lines one by one in ${elapsed} ms`);
  assert.ok(audit.summaries.length >= 1 && audit.summaries.length <= Math.floor(elapsed / 10_000) + 2, `${audit.summaries.length} summaries`);
  assert.match(audit.summaries[0]!.reason ?? "", /^refused \d+ more connections from uid 65534 in the last \d+ s: not a client the policy allows/);
  assert.equal(audit.total, stats.connected, "the audit log accounts for every connection the flood made");
  const logged = d.stderr.match(/refused connection from pid \d+ uid 65534/g)?.length ?? 0;
  assert.ok(logged <= singleLinesAllowed(elapsed), `${logged} log lines one by one`);
  assert.match(d.stderr, /refused \d+ more connections from uid 65534 in the last \d+ s: not a client the policy allows/);
});

for (const as of ["root", "nobody"] as const satisfies readonly RunAs[]) {
  const who = as === "root" ? "the panel's own uid" : "another allowed uid";
  test(`a process without the key under ${who}, holding waiting connections and spamming wrong proofs, does not keep the right key out`, async (t) => {
    const { sb, d } = await daemonFor(["root", "nobody"]);
    const started = Date.now();
    // 6 connections that never prove anything and 4 loops of wrong proofs: more than its uid's 8 places.
    const attacker = hostile(noKeyPeer(as, { socket: sb.socket, idle: 6, spammers: 4, durationMs: 60_000 }));
    // The attack is under way: wrong proofs arrive (or, were the slot taken at connect, its connections hold it).
    await waitFor(
      () => (d.stderr.match(/authentication failed/g)?.length ?? 0) >= 10 || (d.stderr.match(/: busy$/gm)?.length ?? 0) >= 10,
      "the attack to get going",
      () => d.describe().slice(-3000),
    );
    const r = await measureLegitimate(sb, d);
    const stats = await attacker.stop();
    const elapsed = Date.now() - started;
    report(t, `no-key process under ${who} (6 idle connections, 4 wrong-proof loops)`, r, stats);

    assert.deepEqual(r.failures, [], "every attempt of the right key succeeds");
    assert.ok(Math.max(...r.latencies) < P99_LIMIT_MS, `slowest attempt ${Math.max(...r.latencies).toFixed(1)} ms`);
    assert.ok(Number(stats["wrong proofs"]) >= 10, "the attacker did send wrong proofs");
    assert.ok(d.running);

    await d.stop();
    const uid = as === "root" ? 0 : NOBODY.uid;
    const lines = readAuditLines(sb.auditLog);
    const failed = auditOf(lines, (l) => l.method === "session.authenticate" && l.outcome === "auth-failed" && (l.peer.uid === uid || l.peer.uid === -1));
    assert.ok(failed.single.length <= singleLinesAllowed(elapsed), `${failed.single.length} auth-failed audit lines one by one`);
    const logged = d.stderr.match(/authentication failed/g)?.length ?? 0;
    assert.ok(logged <= singleLinesAllowed(elapsed), `${logged} "authentication failed" log lines one by one`);
  });
}

test("connections that never authenticate hold no session slot; the right key gets in at once", async () => {
  const { sb, d } = await daemonFor(["root"]);
  const idle: RawConnection[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const c = await RawConnection.open(sb.socket);
      assert.ok((await c.hello()).result, "several connections may wait to authenticate");
      idle.push(c);
    }
    const m = await connect({ socket: sb.socket, secretFile: sb.secretFile });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
    // A second right key while that session is active: busy once it has authenticated.
    const second = idle[0]!;
    const busy = await second.authenticateWith(sb.key);
    assert.equal(busy.error?.data?.kind, "busy", JSON.stringify(busy));
    await second.waitClosed();
    await m.close();
    // The waiting ones are still there, and one of them now takes the free slot.
    await waitFor(() => sessionCounts(d).ended === 1, "the session to end");
    const a = await idle[1]!.authenticateWith(sb.key);
    assert.ok(a.result && idle[1]!.serverProofValid(sb.key, a), JSON.stringify(a));
  } finally {
    for (const c of idle) c.close();
  }
});

test("beyond its uid's places a connection is told busy, and a process holding two more gives one up to a newcomer", async () => {
  const { sb, d } = await daemonFor(["root"], ["--max-pending", "4", "--max-pending-per-uid", "2"]);
  const ours = [await RawConnection.open(sb.socket), await RawConnection.open(sb.socket)];
  try {
    for (const c of ours) assert.ok((await c.hello()).result);
    // A third connection of this process: its uid's two places are taken, both by this process.
    const third = await RawConnection.open(sb.socket);
    const refused = await third.nextResponse();
    assert.equal(refused.id, null);
    assert.equal(refused.error?.data?.kind, "busy");
    assert.match(refused.error?.message ?? "", /2 connections of uid 0 are already waiting to authenticate \(at most 2\)/);
    await third.waitClosed();
    // Another process (the panel) holding none takes a place from this one, and authenticates.
    const panel = await clientInAnotherProcess(sb);
    assert.equal(panel.code, 0, panel.output);
    assert.match(panel.output, /^value: panel$/m);
    const evicted = await ours[0]!.nextResponse();
    assert.equal(evicted.error?.data?.kind, "busy");
    assert.match(evicted.error?.message ?? "", /this process holds 2 of the connections waiting to authenticate/);
    await ours[0]!.waitClosed();
    // The other one is still waiting, and can still authenticate once the panel's session has ended.
    await waitFor(() => sessionCounts(d).ended === 1, "the panel's session to end");
    const a = await ours[1]!.authenticateWith(sb.key);
    assert.ok(a.result, JSON.stringify(a));
  } finally {
    for (const c of ours) c.close();
  }
});

test("wrong proofs from another process of the same uid do not delay the right one", async () => {
  const { sb } = await daemonFor(["root"]);
  // Seven wrong proofs in a row (the old global throttle would have made the next proof wait 5 s).
  const attacker = hostile(noKeyPeer("root", { socket: sb.socket, idle: 0, spammers: 1, durationMs: 30_000 }));
  await waitFor(() => peekWrongProofs(sb) >= 7, "seven wrong proofs");
  const started = performance.now();
  const m = await connect({ socket: sb.socket, secretFile: sb.secretFile });
  const took = performance.now() - started;
  await m.close();
  await attacker.stop();
  assert.ok(took < 500, `the right key took ${took.toFixed(1)} ms`);
});

test("a connection may make at most 64 requests before authenticating", async () => {
  const { sb } = await daemonFor(["root"]);
  const c = await RawConnection.open(sb.socket);
  try {
    for (let i = 0; i < 64; i++) {
      const r = await c.call("augeas.get", { path: "/files/etc/hostname/hostname" });
      assert.equal(r.error?.data?.kind, "unauthenticated");
    }
    c.sendMessage({ jsonrpc: "2.0", id: "one too many", method: "rpc.discover", params: {} });
    const last = await c.nextResponse();
    assert.equal(last.id, null);
    assert.equal(last.error?.data?.kind, "unauthenticated");
    assert.match(last.error?.message ?? "", /more than 64 requests before authenticating/);
    await c.waitClosed();
  } finally {
    c.close();
  }
});

/** The wrong proofs the daemon has audited so far (one by one or in summaries). */
function peekWrongProofs(sb: Sandbox): number {
  return auditOf(readAuditLines(sb.auditLog), (l) => l.method === "session.authenticate" && l.outcome === "auth-failed").total;
}

/** Runs @machina/client in another node process (another pid, same uid): connect, read the hostname, close. */
function clientInAnotherProcess(sb: Sandbox): Promise<{ code: number | null; output: string }> {
  const script = `
    import { connect } from "@machina/client";
    const m = await connect({ socket: ${JSON.stringify(sb.socket)}, secretFile: ${JSON.stringify(sb.secretFile)} });
    const { value } = await m.augeas.get({ path: "/files/etc/hostname/hostname" });
    console.log("value: " + value);
    await m.close();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: REPO_ROOT, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (output += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (output += s));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
