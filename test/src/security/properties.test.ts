/**
 * Property-based tests (fast-check) against a REAL machinad:
 *
 * 1. Random Augeas paths — assembled from the pieces an attacker would use
 *    (policy labels, `..`, `//`, axes, predicates, /augeas, escapes, junk) —
 *    in random operations: no answer is an internal error; every node `match`
 *    answers and every node behind a successful `get` is readable under the
 *    policy; and after every write that the daemon accepted and saved, every
 *    node that changed on disk is writable under the policy. "Under the
 *    policy" is decided by policy-oracle.ts, written by hand from the policy
 *    text and sharing no code with the daemon's engine; the disk is read back
 *    with a separate libaugeas handle.
 * 2. Random JSON-RPC messages and batches (valid and invalid shapes, known
 *    and unknown methods, arbitrary JSON params), before and after
 *    authenticating: the daemon never dies, every answer carries a known error
 *    kind other than `internal`, and files the policy does not let a client
 *    write (and everything outside the root) stay byte-identical.
 *
 * The number of generated cases and the seed are printed. The seed is fixed,
 * so every run tries the same cases; MACHINA_FC_SEED=<integer> tries others and
 * reproduces a failure (fast-check's report names the seed).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ERROR_KINDS, METHOD_NAMES } from "@machina/protocol";
import { daemonSuite } from "../harness/daemon-suite.js";
import { RawConnection, rawSessionWhenFree, type RawResponse } from "../harness/raw-client.js";
import type { Snapshot } from "../harness/sandbox.js";
import { changedKeys, flatTree, independentMatch, labelsOf, oracleReadable, oracleWritable } from "./policy-oracle.js";
import { waitIdle } from "./hostile-harness.js";

const suite = daemonSuite({ restoreEachTest: false });
const PATH_RUNS = 400;
const SEED = Number(process.env.MACHINA_FC_SEED ?? 1_864_271);
if (!Number.isSafeInteger(SEED)) throw new Error(`MACHINA_FC_SEED must be an integer, not ${process.env.MACHINA_FC_SEED}`);
console.log(`security/properties: fast-check seed ${SEED} (set MACHINA_FC_SEED to change it)`);
const MESSAGE_RUNS = 600;
const KNOWN_KINDS = new Set<string>(ERROR_KINDS);

// ─── generators ──────────────────────────────────────────────────────────────

const STEP = fc.constantFrom(
  "/files", "/etc", "/hosts", "/hostname", "/ssh", "/sshd_config", "/default", "/locale", "/shadow", "/passwd",
  "/augeas", "/load", "/save", "/root", "/1", "/2", "/3", "/4", "/ipaddr", "/canonical", "/alias", "/#comment",
  "/Port", "/UsePAM", "/Subsystem", "/AcceptEnv", "/LANG", "/Include", "/X11Forwarding", "/*", "/..", "/.", "//",
  "/ancestor::*", "/child::alias", "/following-sibling::*", "/parent::*", "/self::*",
);
const PREDICATE = fc.constantFrom(
  "[1]", "[2]", "[last()]", "[0]", "[-1]", '[ipaddr = "127.0.0.1"]', '[canonical != "x"]', '[alias = "panel"]', "[Subsystem]",
  '[type = "sftp"]', "[..]", "[/augeas]", "[count(*)]", "[last()+1]", '[. = "22"]', '[label() = "Port"]', '[1/ipaddr = "x"]',
  '[Subsystem/type = "sftp"]', "[*]", '[ipaddr =~ regexp(".*")]', "[position() = 1]",
);
const JUNK = fc.oneof(
  fc.constantFrom("|", "$x", "::", "\\/", "\\", " ", '"', "'", "(", ")", "=", "!", "~", "\u0000", "\n", "[", "]", ",", "*", "**"),
  fc.string({ maxLength: 6 }),
);
const PIECE = fc.oneof({ weight: 8, arbitrary: STEP }, { weight: 3, arbitrary: PREDICATE }, { weight: 1, arbitrary: JUNK });
const PREFIX = fc.constantFrom("", "/files", "/files/etc", "/files/etc/hosts", "/files/etc/ssh/sshd_config", "/files/etc/hostname", "/augeas");
const HOSTILE_PATH = fc.tuple(PREFIX, fc.array(PIECE, { maxLength: 7 })).map(([p, rest]) => p + rest.join(""));
/** Well-formed paths into (and next to) the policy's files, so that many operations get past the grammar to the node checks. */
const FILE_NODE = fc.constantFrom("/files/etc/hosts", "/files/etc/hostname", "/files/etc/ssh/sshd_config", "/files/etc/default/locale", "/files/etc/shadow", "/files/etc");
const LABEL_STEP = fc.constantFrom("*", "1", "2", "3", "4", "ipaddr", "canonical", "alias", "#comment", "hostname", "Port", "UsePAM", "Subsystem", "AcceptEnv", "X11Forwarding", "ListenAddress", "LANG", "type", "command");
const STEP_PREDICATE = fc.constantFrom("", "", "", "[1]", "[2]", "[last()]", '[ipaddr = "127.0.0.1"]', '[alias != "x"]', '[type = "sftp"]', "[Subsystem]");
const RANDOM_COMBINATION = fc
  .tuple(FILE_NODE, fc.array(fc.tuple(LABEL_STEP, STEP_PREDICATE), { maxLength: 3 }))
  .map(([node, steps]) => node + steps.map(([l, p]) => `/${l}${p}`).join(""));
const pred = STEP_PREDICATE;
const HOSTS_PATH = fc
  .tuple(fc.constantFrom("1", "2", "3", "4", "5", "*"), pred, fc.option(fc.constantFrom("ipaddr", "canonical", "alias", "#comment")), pred)
  .map(([entry, p1, child, p2]) => `/files/etc/hosts/${entry}${p1}${child ? `/${child}${p2}` : ""}`);
const SSHD_PATH = fc
  .tuple(fc.constantFrom("Port", "UsePAM", "Subsystem", "AcceptEnv", "X11Forwarding", "ListenAddress", "MaxAuthTries", "PermitRootLogin", "Include", "#comment", "*"), pred, fc.option(fc.constantFrom("1", "type", "command", "*")))
  .map(([label, p, child]) => `/files/etc/ssh/sshd_config/${label}${p}${child ? `/${child}` : ""}`);
const OTHER_FILE_PATH = fc.constantFrom("/files/etc/hostname/hostname", "/files/etc/hostname/*", "/files/etc/default/locale/LANG", "/files/etc/default/locale/*", "/files/etc/hostname");
const WELL_FORMED_PATH = fc.oneof(HOSTS_PATH, SSHD_PATH, OTHER_FILE_PATH);
const PATH = fc.oneof({ weight: 4, arbitrary: WELL_FORMED_PATH }, { weight: 1, arbitrary: RANDOM_COMBINATION }, { weight: 2, arbitrary: HOSTILE_PATH });
const LABEL = fc.oneof(fc.constantFrom("canonical", "ListenAddress", "MaxAuthTries", "alias", "ipaddr", "Port", "UsePAM", "Subsystem", "hostname", "#comment", "..", "a/b", "*", "x[1]", ""), fc.string({ maxLength: 5 }));
const VALUE = fc.constantFrom("fc-value", "2222", "10.9.8.7", "", "two words", null);

type Op =
  | { op: "get" | "match" | "remove"; path: string }
  | { op: "set"; path: string; value: string | null }
  | { op: "setm"; base: string; sub: string; value: string | null }
  | { op: "insert"; path: string; label: string; before: boolean }
  | { op: "rename"; path: string; label: string }
  | { op: "move"; source: string; destination: string };

const OP: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom("get" as const, "match" as const, "remove" as const), path: PATH }),
  fc.record({ op: fc.constant("set" as const), path: PATH, value: VALUE }),
  fc.record({ op: fc.constant("setm" as const), base: PATH, sub: fc.array(PIECE, { minLength: 1, maxLength: 3 }).map((p) => p.join("").replace(/^\/+/, "")), value: VALUE }),
  fc.record({ op: fc.constant("insert" as const), path: PATH, label: LABEL, before: fc.boolean() }),
  fc.record({ op: fc.constant("rename" as const), path: PATH, label: LABEL }),
  fc.record({ op: fc.constant("move" as const), source: PATH, destination: PATH }),
);

// ─── the session the properties run in ───────────────────────────────────────

/** One authenticated connection, reopened if the daemon ever closes it. */
class Session {
  private conn: RawConnection | undefined;
  reopened = 0;

  async call(method: string, params: unknown): Promise<RawResponse> {
    if (!this.conn || this.conn.isClosed) {
      if (this.conn) this.reopened++;
      await waitIdle(suite);
      this.conn = await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key);
    }
    return this.conn.call(method, params);
  }

  close(): void {
    this.conn?.close();
  }
}

function assertKnownAnswer(r: RawResponse, what: string): void {
  if (!r.error) return;
  const kind = r.error.data?.kind;
  assert.ok(typeof kind === "string" && KNOWN_KINDS.has(kind), `${what}: unknown error kind in ${JSON.stringify(r)}`);
  assert.notEqual(kind, "internal", `${what}: internal error ${JSON.stringify(r)}`);
}

/** No file appeared or vanished, and every file but the policy's writable ones is byte-identical. */
function assertOnlyWritableFilesChanged(before: Snapshot): void {
  const after = suite.sandbox.snapshot();
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), "files appeared or vanished in the sandbox");
  for (const [name, was] of before) {
    if (/^root\/etc\/(hosts|hostname|ssh\/sshd_config)$/.test(name)) continue;
    const now = after.get(name)!;
    assert.equal(now.type, was.type, name);
    assert.equal(now.bytes, was.bytes, `${name} changed`);
    assert.equal(now.target, was.target, name);
  }
}

const paramsOf = (op: Op): Record<string, unknown> => {
  const { op: _method, ...params } = op;
  return params;
};

test(`random paths in random operations never read or write outside the policy (${PATH_RUNS} cases)`, async (t) => {
  suite.sandbox.restoreFixtures();
  const s = new Session();
  const kinds = new Map<string, number>();
  const stats = { cases: 0, calls: 0, accepted: 0, saved: 0, readsChecked: 0, nodesChecked: 0 };
  const fixed = suite.sandbox.snapshot();
  // Only a successful save changes the disk, so the tree is re-read after those alone.
  let onDisk = flatTree(suite.sandbox.root);
  try {
    await fc.assert(
      fc.asyncProperty(OP, async (op) => {
        stats.cases++;
        const what = JSON.stringify(op);
        const r = await s.call(`augeas.${op.op}`, paramsOf(op));
        stats.calls++;
        assertKnownAnswer(r, what);
        const k = `${op.op}:${r.error ? r.error.data?.kind : "ok"}`;
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
        if (r.error) return;
        stats.accepted++;
        if (op.op === "match") {
          for (const p of r.result.paths as string[]) {
            stats.nodesChecked++;
            assert.ok(oracleReadable(labelsOf(p)), `${what}: match answered an unreadable node ${p}`);
          }
          return;
        }
        if (op.op === "get") {
          const nodes = independentMatch(suite.sandbox.root, op.path);
          if (nodes) {
            stats.readsChecked++;
            for (const n of nodes) assert.ok(oracleReadable(labelsOf(n)), `${what}: get succeeded although ${n} is not readable`);
          }
          return;
        }
        const saved = await s.call("augeas.save", {});
        stats.calls++;
        assertKnownAnswer(saved, `save after ${what}`);
        if (saved.error) {
          // (e.g. the lens cannot write the value): drop the edit so the tree matches the disk again
          assert.ok(!(await s.call("augeas.discard", {})).error);
          stats.calls++;
        } else stats.saved++;
        const after = flatTree(suite.sandbox.root);
        const before = onDisk;
        onDisk = after;
        for (const key of changedKeys(before, after)) {
          stats.nodesChecked++;
          assert.ok(oracleWritable(key), `${what}: the node ${key.join("/")} changed on disk but the policy does not let a client write it`);
        }
      }),
      { numRuns: PATH_RUNS, seed: SEED, endOnFailure: true },
    );
  } finally {
    s.close();
  }
  assertOnlyWritableFilesChanged(fixed);
  assert.ok(suite.daemon.running);
  t.diagnostic(`random paths: ${stats.cases} generated cases, ${stats.calls} calls, ${stats.accepted} accepted, ${stats.saved} saves, ${stats.nodesChecked} nodes checked against the policy, ${stats.readsChecked} gets re-resolved independently`);
  t.diagnostic(`random paths, answers by operation: ${[...kinds].sort().map(([k, n]) => `${k} ${n}`).join(", ")}`);
  console.log(`property tests: ${stats.cases} random-path cases`);
  assert.equal(stats.cases, PATH_RUNS);
});

// ─── random messages ─────────────────────────────────────────────────────────

const PARAM_KEYS = fc.constantFrom("path", "value", "label", "base", "sub", "source", "destination", "name", "changes", "nonce", "protocol", "preview", "before", "op", "zone", "args", "stdin");
const PLAUSIBLE = fc.oneof(fc.constantFrom("/files/etc/hostname/hostname", "/files/etc/hosts/1/alias", "/files/etc/default/locale/LANG", "/augeas/save", "/etc/shadow", "nginx", "-x"), fc.jsonValue({ maxDepth: 3 }));
const PARAMS = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(PARAM_KEYS, PLAUSIBLE, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);
// session.authenticate is left out: wrong proofs are the handshake suite's business, and their rate limit would only slow this down.
const METHOD = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...METHOD_NAMES.filter((m) => m !== "session.authenticate")) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom("constructor", "__proto__", "toString", "rpc.on", "augeas", "") },
);
const ID = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.jsonValue({ maxDepth: 1 }));
const MESSAGE = fc.record(
  { jsonrpc: fc.oneof({ weight: 5, arbitrary: fc.constant("2.0") }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }), id: ID, method: METHOD, params: PARAMS },
  { requiredKeys: ["method"] },
);
const LINE = fc.oneof(
  { weight: 6, arbitrary: MESSAGE },
  { weight: 2, arbitrary: fc.array(MESSAGE, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

test(`random JSON-RPC messages never crash the daemon or reach past the policy (${MESSAGE_RUNS} cases)`, async (t) => {
  suite.sandbox.restoreFixtures();
  await waitIdle(suite);
  const fixed = suite.sandbox.snapshot();
  const before = flatTree(suite.sandbox.root);
  let conn: RawConnection | undefined;
  let authenticated = false;
  const stats = { cases: 0, answers: 0, connections: 0 };
  let sentinel = 0;
  try {
    await fc.assert(
      fc.asyncProperty(LINE, async (line) => {
        // One case in five on a connection that has not authenticated, in runs of twenty.
        const wantAuth = stats.cases % 100 >= 20;
        stats.cases++;
        if (!conn || conn.isClosed || authenticated !== wantAuth) {
          conn?.close();
          await waitIdle(suite);
          conn = wantAuth ? await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key) : await RawConnection.open(suite.sandbox.socket);
          authenticated = wantAuth;
          stats.connections++;
        }
        const id = `sentinel-${++sentinel}`;
        conn.send(JSON.stringify(line) + "\n" + JSON.stringify({ jsonrpc: "2.0", id, method: "rpc.discover", params: {} }) + "\n");
        for (;;) {
          const m = (await conn.next()) as RawResponse | RawResponse[] | undefined;
          if (m === undefined) {
            // The daemon may end a connection (a pre-authentication deadline, an authenticate it refused); never itself.
            assert.ok(suite.daemon.running, `the daemon died on ${JSON.stringify(line)}`);
            return;
          }
          for (const r of Array.isArray(m) ? m : [m]) {
            stats.answers++;
            assert.equal(r.jsonrpc, "2.0");
            assertKnownAnswer(r, JSON.stringify(line));
          }
          if (!Array.isArray(m) && m.id === id) break;
        }
      }),
      { numRuns: MESSAGE_RUNS, seed: SEED, endOnFailure: true },
    );
  } finally {
    conn?.close();
  }
  await waitIdle(suite);
  assert.ok(suite.daemon.running);
  // Nothing the policy does not let a client write has changed; what did change is writable.
  assertOnlyWritableFilesChanged(fixed);
  for (const key of changedKeys(before, flatTree(suite.sandbox.root))) assert.ok(oracleWritable(key), `${key.join("/")} changed`);
  t.diagnostic(`random messages: ${stats.cases} generated cases, ${stats.answers} answers checked, ${stats.connections} connections`);
  console.log(`property tests: ${stats.cases} random-message cases`);
  assert.equal(stats.cases, MESSAGE_RUNS);
});
