/**
 * Generated instances of two classes the independent attack found (issue 13),
 * against the real daemon — not only the fixed strings of confidentiality.test.ts
 * and storable-values.test.ts:
 *
 * - hidden values: random sessions of reads, edits, previews, applies and
 *   saves on paths around the hidden nodes of sshd_config (only `Port` is
 *   readable and writable) never get a hidden value into an answer, the audit
 *   log or the daemon's log; a path whose predicate compares a hidden node
 *   with its true value is answered exactly as with a wrong one (no oracle);
 *   and no hidden line on disk ever changes;
 * - unstorable strings: a NUL or a lone surrogate anywhere in a value, a
 *   path or a label of any augeas method is `invalid-params`, and nothing is
 *   pending afterwards.
 *
 * fast-check's seed is fixed so every run tries the same cases;
 * MACHINA_FC_SEED=<integer> tries others.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { daemonSuite } from "../harness/daemon-suite.js";
import { PORT_ONLY_POLICY } from "../harness/policies.js";
import { rawSessionWhenFree, type RawConnection, type RawResponse } from "../harness/raw-client.js";

const SEED = Number(process.env.MACHINA_FC_SEED ?? 90_210);
if (!Number.isSafeInteger(SEED)) throw new Error(`MACHINA_FC_SEED must be an integer, not ${process.env.MACHINA_FC_SEED}`);
console.log(`security/hardening-properties: fast-check seed ${SEED} (set MACHINA_FC_SEED to change it)`);


const suite = daemonSuite({ policy: PORT_ONLY_POLICY });
const FILE = "/files/etc/ssh/sshd_config";

/** Hidden nodes of the fixture and their values (the label a client may type; the value it must never see). */
const HIDDEN: Record<string, string> = {
  PermitRootLogin: "prohibit-password",
  UsePAM: "yes",
  Include: "/etc/ssh/sshd_config.d/*.conf",
};
/** Strings only the hidden part of the file holds: none may reach the client or a log. */
const SECRETS = ["prohibit-password", "sshd_config.d", "sftp-server", "LC_*", "system-wide"];

/** Generated text that cannot spell a secret: it has none of their punctuation. */
const word = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const label = fc.constantFrom("Port", ...Object.keys(HIDDEN), "Subsystem", "AcceptEnv", "#comment", "*", "X11Forwarding");
const predicate = fc.oneof(
  fc.integer({ min: 1, max: 3 }).map((n) => `[${n}]`),
  fc.constant("[last()]"),
  fc.tuple(label, fc.constantFrom("=", "!="), word).map(([l, op, v]) => `[${l} ${op} ${JSON.stringify(v)}]`),
);
const path = fc
  .tuple(fc.array(fc.tuple(label, fc.option(predicate, { nil: undefined })), { minLength: 1, maxLength: 2 }), fc.option(predicate, { nil: undefined }))
  .map(([steps, filePredicate]) => `${FILE}${filePredicate ?? ""}/${steps.map(([l, p]) => l + (p ?? "")).join("/")}`);
const change = fc.oneof(
  fc.record({ op: fc.constant("set"), path, value: word }),
  fc.record({ op: fc.constant("remove"), path }),
  fc.record({ op: fc.constant("insert"), path, label: fc.constantFrom("Port", "UsePAM"), before: fc.boolean() }),
  fc.record({ op: fc.constant("rename"), path, label: fc.constantFrom("Port", "Banner") }),
  fc.record({ op: fc.constant("move"), source: path, destination: path }),
);
const call = fc.oneof(
  path.map((p) => ["augeas.get", { path: p }] as const),
  path.map((p) => ["augeas.match", { path: p }] as const),
  fc.tuple(path, word).map(([p, v]) => ["augeas.set", { path: p, value: v }] as const),
  fc.tuple(path, fc.constantFrom("Port", "UsePAM")).map(([p, l]) => ["augeas.insert", { path: p, label: l }] as const),
  path.map((p) => ["augeas.remove", { path: p }] as const),
  fc.tuple(path, fc.constantFrom("Port", "Banner")).map(([p, l]) => ["augeas.rename", { path: p, label: l }] as const),
  fc.tuple(path, path).map(([s, d]) => ["augeas.move", { source: s, destination: d }] as const),
  fc.constant(["augeas.preview", {}] as const),
  fc.constant(["augeas.save", {}] as const),
  fc.constant(["augeas.discard", {}] as const),
  fc.tuple(fc.array(change, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([changes, preview]) => ["augeas.apply", { changes, preview }] as const),
);
/** A path with a predicate that compares hidden node `label` with `value`, and where it sits. */
const oracle = fc.record({
  label: fc.constantFrom(...Object.keys(HIDDEN)),
  wrong: word.map((w) => `w${w}`),
  shape: fc.constantFrom("file", "step"),
  method: fc.constantFrom("augeas.get", "augeas.match", "augeas.remove", "augeas.set"),
});

/** The file's lines the policy hides (all but Port's). */
function hiddenLines(): string[] {
  return fs.readFileSync(suite.sandbox.path("/etc/ssh/sshd_config"), "utf8").split("\n").filter((l) => !/^\s*Port\b/.test(l));
}

function assertNoSecret(what: string, text: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${what} reveals ${JSON.stringify(s)}: ${text.slice(0, 1500)}`);
}

/** The answer without what varies between two sessions (ids). */
function shape(r: RawResponse): string {
  return JSON.stringify({ result: r.result, error: r.error });
}

async function session<T>(fn: (c: RawConnection) => Promise<T>): Promise<T> {
  const c = await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

test("generated sessions around hidden nodes never reveal a hidden value, write a hidden line, or answer by a hidden value", async () => {
  const lines = hiddenLines();
  /** The oracle paths typed with a true hidden value: the client's own text, which the audit line may quote. */
  const typed = new Set<string>();
  const auditBefore = fs.existsSync(suite.sandbox.auditLog) ? fs.statSync(suite.sandbox.auditLog).size : 0;
  const logBefore = suite.daemon.stderr.length;
  await fc.assert(
    fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 8 }), oracle, async (calls, o) => {
      await session(async (c) => {
        for (const [method, params] of calls) {
          const r = await c.call(method, params);
          assertNoSecret(`${method} ${JSON.stringify(params)}`, shape(r));
          assert.notEqual((r.error?.data as { kind?: string } | undefined)?.kind, "internal", `${method} ${JSON.stringify(params)}: ${shape(r)}`);
        }
        // The same call with the hidden node's true value and with a wrong one: the same answer.
        const at = (v: string) => (o.shape === "file" ? `${FILE}[${o.label} = ${JSON.stringify(v)}]/Port` : `${FILE}/*[${o.label} = ${JSON.stringify(v)}]`);
        const ask = async (v: string) => {
          await c.call("augeas.discard", {});
          const params = o.method === "augeas.set" ? { path: at(v), value: "1" } : { path: at(v) };
          // The literal as it appears quoted in the answer's JSON (the path is echoed in messages and targets).
          return shape(await c.call(o.method, params)).split(JSON.stringify(`"${v}"`).slice(1, -1)).join("VALUE");
        };
        typed.add(at(HIDDEN[o.label]!));
        const right = await ask(HIDDEN[o.label]!);
        const wrong = await ask(o.wrong);
        assert.equal(right, wrong, `${o.method} on ${at("…")} answers differently for the true value of ${o.label}`);
        await c.call("augeas.discard", {});
      });
      assert.deepEqual(hiddenLines(), lines, "a hidden line changed on disk");
    }),
    { numRuns: 40, seed: SEED, endOnFailure: true },
  );
  // What the client typed itself is taken out (escaped as it is in a JSON line); anything else must hold no secret.
  const withoutTyped = (text: string) => [...typed].reduce((t, p) => t.split(JSON.stringify(p).slice(1, -1)).join("<typed>").split(p).join("<typed>"), text);
  assertNoSecret("the audit log", withoutTyped(fs.readFileSync(suite.sandbox.auditLog, "utf8").slice(auditBefore)));
  assertNoSecret("the daemon's log", withoutTyped(suite.daemon.stderr.slice(logBefore)));
});

/** Text with something libaugeas cannot store (NUL, a lone surrogate) at a random place. */
const unstorable = fc
  .tuple(word, fc.constantFrom("\u0000", "\ud800", "\udfff"), word, fc.boolean())
  .map(([a, bad, b, inLabel]) => ({ text: a + bad + b, inLabel }));

test("a NUL or a lone surrogate anywhere in a value, path or label is invalid-params, and nothing is pending", async () => {
  const before = suite.sandbox.snapshot();
  await fc.assert(
    fc.asyncProperty(unstorable, fc.integer({ min: 0, max: 6 }), async ({ text }, which) => {
      const port = `${FILE}/Port`;
      const calls: [string, Record<string, unknown>][] = [
        ["augeas.set", { path: port, value: text }],
        ["augeas.set", { path: `${FILE}/${text}`, value: "1" }],
        ["augeas.get", { path: `${FILE}[Port = "${text}"]/Port` }],
        ["augeas.insert", { path: port, label: text }],
        ["augeas.rename", { path: port, label: text }],
        ["augeas.setm", { base: FILE, sub: text, value: "1" }],
        ["augeas.apply", { changes: [{ op: "set", path: port, value: "2022" }, { op: "set", path: port, value: text }], preview: false }],
      ];
      const [method, params] = calls[which]!;
      await session(async (c) => {
        const r = await c.call(method, params);
        assert.equal((r.error?.data as { kind?: string } | undefined)?.kind, "invalid-params", `${method} ${JSON.stringify(params)}: ${shape(r)}`);
        assert.deepEqual((await c.call("augeas.preview", {})).result, { changes: [] }, "nothing is pending");
      });
    }),
    { numRuns: 60, seed: SEED, endOnFailure: true },
  );
  suite.sandbox.assertUnchanged(before);
});
