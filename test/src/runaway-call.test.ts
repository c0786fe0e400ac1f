/**
 * No call can block the daemon (invariant 6; issue 13's freeze): libaugeas
 * runs in the Augeas host process, so one client's slow call neither stops
 * the daemon from answering anyone else, nor outlives its time limit, nor
 * holds up the next client once its session is gone, nor delays SIGTERM.
 *
 * The slow call is real: libaugeas takes seconds to match one predicate over
 * every entry of a 10,000-entry hosts file (its cost grows with the square
 * of the entries). Before the host process, that match ran on the daemon's
 * event loop and froze everything for its whole length.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import fs from "node:fs";
import { afterEach, test } from "node:test";
import { assertServesNextRawClient } from "./harness/clients.js";
import { startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { RawConnection, rawSession } from "./harness/raw-client.js";
import { Sandbox } from "./harness/sandbox.js";

const POLICY = `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "/etc/hosts"

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]
`;

const SLOW_MATCH = '/files/etc/hosts/*[canonical != "none of them"]';
/** What "promptly" means here: well under the slow match, with room for a loaded machine. */
const PROMPT_MS = 1000;
/**
 * A call's time limit runs from when the Augeas host starts on it — after
 * the session's own loading of the files (a 10 000-entry file here) — so its
 * answer may come that much later, plus a loaded machine's slack.
 */
const AFTER_LIMIT_MS = 2 * PROMPT_MS;

const sandboxes: Sandbox[] = [];
const daemons: DaemonProcess[] = [];
afterEach(async (t) => {
  for (const d of daemons.splice(0)) {
    if ((t as { passed?: boolean }).passed === false) console.error(`--- ${t.name}: daemon output ---\n${d.describe().slice(-6000)}`);
    await d.stop();
  }
  for (const s of sandboxes.splice(0)) s.cleanup();
});

async function daemonWithBigHosts(args: string[] = []): Promise<{ sb: Sandbox; d: DaemonProcess }> {
  const sb = Sandbox.create({ policy: POLICY });
  sandboxes.push(sb);
  const lines = Array.from({ length: 10_000 }, (_, i) => `10.1.${i >> 8}.${i & 255} host${i} alias${i}`);
  sb.write("/etc/hosts", lines.join("\n") + "\n");
  const d = await startDaemon(sb, { args });
  daemons.push(d);
  return { sb, d };
}

const since = (t0: number) => Date.now() - t0;

/** The Augeas host processes of the daemon with process id `daemon` (its children running host-main), by pid. */
function hostProcesses(daemon: number): number[] {
  let children: string[];
  try {
    children = fs.readFileSync(`/proc/${daemon}/task/${daemon}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
  return children.filter((p) => fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").some((a) => /host-main\.c?js$/.test(a))).map(Number);
}

/** Whether process `pid` still exists (a zombie does not count: it has exited). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

test("a runaway call ends at the call timeout, while the daemon answers others, and the next client is served", async () => {
  const { sb } = await daemonWithBigHosts(["--call-timeout", "1500"]);
  const a = await rawSession(sb.socket, sb.key);
  const t0 = Date.now();
  const slow = a.call("augeas.match", { path: SLOW_MATCH });
  await new Promise((r) => setTimeout(r, 200));

  // Another connection is answered while the match runs.
  const b = await RawConnection.open(sb.socket);
  const tb = Date.now();
  const hello = await b.hello();
  assert.ok(hello.result, `hello answered: ${JSON.stringify(hello)}`);
  assert.ok(since(tb) < PROMPT_MS, `session.hello took ${since(tb)} ms during another session's slow call`);
  b.close();

  const r = await slow;
  assert.equal((r.error?.data as { kind?: string } | undefined)?.kind, "timeout", JSON.stringify(r));
  assert.ok(since(t0) < 1500 + AFTER_LIMIT_MS, `the timeout answer came after ${since(t0)} ms`);
  // The session's state died with the call: it is closed.
  await a.waitClosed();
  const tc = Date.now();
  await assertServesNextRawClient(sb);
  assert.ok(since(tc) < 2 * PROMPT_MS, `the next client waited ${since(tc)} ms`);
});

test("a client that leaves during a runaway call does not hold up the next one", async () => {
  const { sb } = await daemonWithBigHosts();
  const a = await rawSession(sb.socket, sb.key);
  a.sendMessage({ jsonrpc: "2.0", id: 1, method: "augeas.match", params: { path: SLOW_MATCH } });
  await new Promise((r) => setTimeout(r, 200));
  a.close();
  const t0 = Date.now();
  await assertServesNextRawClient(sb);
  assert.ok(since(t0) < 2 * PROMPT_MS, `the next client waited ${since(t0)} ms`);
});

test("SIGTERM during a runaway call stops the daemon within a second and leaves no host process", async () => {
  const { sb, d } = await daemonWithBigHosts();
  const hosts = hostProcesses(d.pid);
  assert.equal(hosts.length, 1, "one Augeas host process serves the daemon");
  const a = await rawSession(sb.socket, sb.key);
  a.sendMessage({ jsonrpc: "2.0", id: 1, method: "augeas.match", params: { path: SLOW_MATCH } });
  await new Promise((r) => setTimeout(r, 200));
  const t0 = Date.now();
  d.signal("SIGTERM");
  const exit = await d.exited;
  const took = since(t0);
  a.close();
  assert.deepEqual(exit, { code: 0, signal: null }, d.describe());
  assert.ok(took < 1000 + 500, `machinad took ${took} ms to stop`);
  assert.deepEqual(hosts.filter(alive), [], "the host process is gone with the daemon");
});

test("the host's memory is bounded, and its death mid-call costs that session only, never the daemon", async () => {
  const { sb, d } = await daemonWithBigHosts();
  const [host] = hostProcesses(d.pid);
  assert.ok(host, "an Augeas host process serves the daemon");
  const limits = fs.readFileSync(`/proc/${host}/limits`, "utf8");
  assert.match(limits, /^Max data size\s+1073741824\s+1073741824\s+bytes\s*$/m, limits);

  const before = sb.snapshot();
  const a = await rawSession(sb.socket, sb.key);
  const set = await a.call("augeas.set", { path: "/files/etc/hostname/hostname", value: "pending" });
  assert.deepEqual(set.result, {}, JSON.stringify(set));
  a.sendMessage({ jsonrpc: "2.0", id: "slow", method: "augeas.match", params: { path: SLOW_MATCH } });
  await new Promise((r) => setTimeout(r, 200));
  process.kill(host, "SIGKILL");
  const r = await a.nextResponse();
  assert.equal((r.error?.data as { kind?: string } | undefined)?.kind, "internal", JSON.stringify(r));
  assert.doesNotMatch(JSON.stringify(r), /SIGKILL|host-main|exit code/, "no internal detail reaches the client");
  await a.waitClosed();
  assert.ok(d.running, "machinad is still running");
  await assertServesNextRawClient(sb);
  sb.assertUnchanged(before);
  assert.equal(hostProcesses(d.pid).length, 1, "a new host serves the next client");
  assert.match(d.stderr, /the Augeas host stopped \(SIGKILL\)/);
});

/** fast-check's seed: the same cases every run; MACHINA_FC_SEED=<integer> tries others. */
const SEED = Number(process.env.MACHINA_FC_SEED ?? 613_077);
if (!Number.isSafeInteger(SEED)) throw new Error(`MACHINA_FC_SEED must be an integer, not ${process.env.MACHINA_FC_SEED}`);

test("generated expensive calls never keep the daemon from answering others, and each ends by its time limit", async () => {
  const { sb, d } = await daemonWithBigHosts(["--call-timeout", "1000"]);
  const label = fc.constantFrom("*", "canonical", "ipaddr", "alias");
  const predicate = fc.oneof(
    fc.tuple(label, fc.constantFrom("=", "!="), fc.string({ maxLength: 6 })).map(([l, op, v]) => `[${l} ${op} ${JSON.stringify(v)}]`),
    fc.integer({ min: 1, max: 20_000 }).map((n) => `[${n}]`),
    fc.constant("[last()]"),
  );
  const step = fc.tuple(fc.constantFrom("*", "*", "alias", "canonical"), fc.array(predicate, { minLength: 1, maxLength: 3 })).map(([s, ps]) => s + ps.join(""));
  // Every entry of the big file, filtered by a predicate, then one or two more filtered steps.
  const path = fc
    .tuple(predicate, fc.array(step, { minLength: 1, maxLength: 2 }))
    .map(([first, steps]) => `/files/etc/hosts/*${first}/${steps.join("/")}`);
  const call = fc.oneof(
    path.map((p) => ["augeas.match", { path: p }] as const),
    path.map((p) => ["augeas.get", { path: p }] as const),
    path.map((p) => ["augeas.remove", { path: p }] as const),
  );
  await fc.assert(
    fc.asyncProperty(call, async ([method, params]) => {
      const a = await rawSession(sb.socket, sb.key);
      try {
        const t0 = Date.now();
        const answer = a.call(method, params);
        await new Promise((r) => setTimeout(r, 100));
        const b = await RawConnection.open(sb.socket);
        const tb = Date.now();
        const hello = await b.hello();
        b.close();
        assert.ok(hello.result, JSON.stringify(hello));
        assert.ok(since(tb) < PROMPT_MS, `session.hello took ${since(tb)} ms during ${method} ${JSON.stringify(params)}`);
        const r = await answer;
        assert.ok(r.result !== undefined || r.error !== undefined, JSON.stringify(r));
        assert.notEqual((r.error?.data as { kind?: string } | undefined)?.kind, "internal", JSON.stringify(r));
        assert.ok(since(t0) < 1000 + AFTER_LIMIT_MS, `${method} ${JSON.stringify(params)} was answered after ${since(t0)} ms`);
      } finally {
        a.close();
      }
      assert.ok(d.running, "machinad is running");
    }),
    { numRuns: 6, seed: SEED, endOnFailure: true },
  );
  await assertServesNextRawClient(sb);
});
