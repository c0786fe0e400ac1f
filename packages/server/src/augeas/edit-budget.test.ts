// The session's edit budget on a real tree: edits go through the augeas
// methods as the Augeas host runs them (runCall: authorise, price, admit, run,
// record), and a refused edit must leave the pending edits exactly as they were.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import fc from "fast-check";
import type { AugeasChange } from "@machina/protocol";
import type { AugeasWorkspace } from "#src/augeas/workspace.js";
import { AugeasLocalRuntime } from "#src/augeas/local-runtime.js";
import { runCall } from "#src/augeas/host/host-calls.js";
import { checkApplyChanges } from "#src/augeas/edit-budget.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { createLogger } from "#src/logger.js";
import { Fault, LimitExceededFault, PolicyDeniedFault } from "#src/faults.js";
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from "#src/limits.js";
import { HOSTS, HOSTNAME, openSandbox, WRITE_BOTH_POLICY, type TreeSandbox } from "./augeas-sandbox.test-support.js";

const SEED = Number(process.env.MACHINA_FC_SEED ?? 20_250_613);

interface Fixture {
  sandbox: TreeSandbox;
  rt: AugeasLocalRuntime;
  ws: AugeasWorkspace;
}

const quiet = createLogger("error", () => undefined);

function open(limits: Partial<SessionLimits>): Fixture {
  const sandbox = openSandbox();
  const rt = new AugeasLocalRuntime(sandbox.root, quiet);
  rt.usePolicy(parsePolicy(WRITE_BOTH_POLICY, "t.toml").augeas, { ...DEFAULT_SESSION_LIMITS, ...limits });
  return { sandbox, rt, ws: rt.workspace };
}

/** One edit through the augeas method a client calls, as the host runs it; a refusal or fault is thrown. */
function edit(f: Fixture, change: AugeasChange): void {
  const [method, params] =
    change.op === "set"
      ? ["augeas.set", { path: change.path, value: change.value }]
      : change.op === "setm"
        ? ["augeas.setm", { base: change.base, sub: change.sub, value: change.value }]
        : change.op === "remove"
          ? ["augeas.remove", { path: change.path }]
          : [];
  if (!method) throw new Error(`not in this test: ${change.op}`);
  const outcome = runCall(f.rt, method, params, quiet);
  if (outcome instanceof Promise) throw new Error(`${method} answered a promise; edits are synchronous`);
  if ("refusal" in outcome) throw new PolicyDeniedFault(outcome.refusal.target, outcome.refusal.reason);
  if ("fault" in outcome) {
    const fault = outcome.fault;
    if (!("message" in fault)) throw new Error(`internal error in ${method}`);
    throw new Fault(fault.kind, fault.message, fault.fields);
  }
}

/** The pending state, as a client would see it: the text each file would get (or why not), and every node with its value. */
function pending(f: Fixture): string {
  const text = (node: string): string => {
    try {
      return f.ws.aug.preview(node) ?? "(none)";
    } catch (e) {
      return `(cannot: ${(e as Error).message})`;
    }
  };
  const nodes = f.ws.aug.match("/files/etc//*").map((n) => [n, f.ws.aug.get(n)]);
  return JSON.stringify([text("/files/etc/hosts"), text("/files/etc/hostname"), nodes]);
}

const isLimitExceeded = (e: unknown): e is Fault<"limit-exceeded"> => e instanceof Fault && e.kind === "limit-exceeded";

function refused(f: Fixture, change: AugeasChange, limit: string): Fault<"limit-exceeded"> {
  const before = pending(f);
  let caught: unknown;
  try {
    edit(f, change);
  } catch (e) {
    caught = e;
  }
  assert.ok(isLimitExceeded(caught), `expected limit-exceeded (${limit}), got ${caught === undefined ? "success" : String(caught)}`);
  assert.equal(caught.fields.limit, limit, caught.message);
  assert.equal(pending(f), before, "a refused edit changed the pending edits");
  return caught;
}

describe("edit budget", () => {
  let f: Fixture;
  afterEach(() => f.sandbox.close());

  describe("pending edits", () => {
    beforeEach(() => (f = open({ maxPendingEdits: 3, maxPendingBytes: 1000 })));

    it("counts edits until a save or a discard", async () => {
      for (const v of ["a", "b", "c"]) edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: v });
      const e = refused(f, { op: "set", path: "/files/etc/hostname/hostname", value: "d" }, "pending-edits");
      assert.equal(e.fields.max, 3);
      assert.deepEqual((await f.ws.save(["/etc/hostname"])).files, ["/etc/hostname"]);
      edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: "e" });
      f.ws.reset();
      for (const v of ["f", "g", "h"]) edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: v });
    });

    it("counts bytes: values, paths and resolved nodes; a setm value once per node", () => {
      edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: "x".repeat(400) });
      refused(f, { op: "set", path: "/files/etc/hostname/hostname", value: "y".repeat(600) }, "pending-bytes");
      // Two hosts entries: 2 × 300 bytes of value is over what is left.
      refused(f, { op: "setm", base: '/files/etc/hosts/*[ipaddr != ""]', sub: "canonical", value: "z".repeat(300) }, "pending-bytes");
      edit(f, { op: "setm", base: '/files/etc/hosts/*[ipaddr != ""]', sub: "canonical", value: "z".repeat(150) });
    });

    it("a rollback keeps the sums of the edits it keeps", () => {
      edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: "a" });
      const mark = f.ws.mark();
      edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: "x".repeat(880) });
      refused(f, { op: "set", path: "/files/etc/hostname/hostname", value: "b" }, "pending-bytes");
      f.ws.rollback(mark);
      edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: "c" });
      edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: "d" });
      refused(f, { op: "set", path: "/files/etc/hostname/hostname", value: "e" }, "pending-edits");
    });
  });

  describe("the tree of a file", () => {
    it("refuses nodes beyond the limit, counting the file as it is", () => {
      // HOSTS: two entries (3 and 5 nodes) and a comment: 9 nodes.
      f = open({ maxFileNodes: 12 });
      assert.equal(f.ws.aug.match("/files/etc/hosts//*").length, 9);
      edit(f, { op: "set", path: "/files/etc/hosts/3/ipaddr", value: "10.0.0.3" });
      edit(f, { op: "set", path: "/files/etc/hosts/3/canonical", value: "three" });
      const e = refused(f, { op: "set", path: "/files/etc/hosts/4/ipaddr", value: "10.0.0.4" }, "file-nodes");
      assert.equal(e.fields.file, "/etc/hosts");
      // At the limit, changing a node that exists is no growth; another file has room of its own.
      edit(f, { op: "set", path: "/files/etc/hosts/3/canonical", value: "drei" });
      edit(f, { op: "setm", base: '/files/etc/hosts/*[ipaddr != ""]', sub: "canonical", value: "same" });
      refused(f, { op: "setm", base: "/files/etc/hosts/*", sub: "canonical", value: "same" }, "file-nodes");
      edit(f, { op: "set", path: "/files/etc/hostname/other", value: "x" });
      // Removing makes room again.
      edit(f, { op: "remove", path: "/files/etc/hosts/3" });
      edit(f, { op: "set", path: "/files/etc/hosts/4/ipaddr", value: "10.0.0.4" });
    });

    it("refuses growing a file beyond its bytes, its size on disk counted", async () => {
      // Each set below adds its node's path (28 bytes) and its value (40) to the file.
      f = open({ maxFileBytes: 180 });
      edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: "x".repeat(40) });
      edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: "x".repeat(40) });
      assert.ok(HOSTNAME.length + 3 * 68 > 180 && HOSTS.length + 68 <= 180);
      const e = refused(f, { op: "set", path: "/files/etc/hostname/hostname", value: "y".repeat(40) }, "file-bytes");
      assert.equal(e.fields.file, "/etc/hostname");
      // Another file has its own; a save counts the file as written.
      edit(f, { op: "set", path: "/files/etc/hosts/1/canonical", value: "y".repeat(40) });
      await f.ws.save(["/etc/hostname"]);
      edit(f, { op: "set", path: "/files/etc/hostname/hostname", value: "y".repeat(40) });
    });
  });

  it("refuses an apply of more changes than allowed", () => {
    assert.doesNotThrow(() => checkApplyChanges(5, { ...DEFAULT_SESSION_LIMITS, maxApplyChanges: 5 }));
    assert.throws(() => checkApplyChanges(6, { ...DEFAULT_SESSION_LIMITS, maxApplyChanges: 5 }), (e: unknown) => e instanceof LimitExceededFault && e.fields.limit === "apply-changes" && e.fields.max === 5);
  });

});

describe("edit budget, random sequences", () => {
  it("stay within every limit, and a refusal changes nothing", () => {
    const change = fc.oneof(
      fc.record({ op: fc.constant("set" as const), path: fc.constantFrom("/files/etc/hostname/hostname", "/files/etc/hostname/a", "/files/etc/hosts/1/alias", "/files/etc/hosts/9/ipaddr", "/files/etc/hosts/9/x/y"), value: fc.string({ maxLength: 300 }) }),
      fc.record({ op: fc.constant("setm" as const), base: fc.constantFrom("/files/etc/hosts/*", "/files/etc/hostname"), sub: fc.constantFrom("canonical", "n", null), value: fc.string({ maxLength: 100 }) }),
      fc.record({ op: fc.constant("remove" as const), path: fc.constantFrom("/files/etc/hosts/2", "/files/etc/hostname/a", "/files/etc/hosts/9") }),
    );
    const step = fc.oneof({ weight: 8, arbitrary: change }, { weight: 1, arbitrary: fc.constant("discard" as const) });
    const limits = fc.record({ maxPendingEdits: fc.integer({ min: 1, max: 12 }), maxPendingBytes: fc.integer({ min: 100, max: 3000 }), maxFileNodes: fc.integer({ min: 12, max: 30 }), maxFileBytes: fc.integer({ min: 200, max: 4000 }) });
    fc.assert(
      fc.property(limits, fc.array(step, { maxLength: 25 }), (l, steps) => {
        const f = open(l);
        try {
          let edits = 0;
          let valueBytes = 0;
          for (const s of steps) {
            if (s === "discard") {
              f.ws.reset();
              edits = 0;
              valueBytes = 0;
              continue;
            }
            const before = pending(f);
            try {
              edit(f, s);
              edits++;
              valueBytes += s.op === "remove" ? 0 : Buffer.byteLength(s.value ?? "");
            } catch (e) {
              if (isLimitExceeded(e)) {
                assert.equal(pending(f), before, `refused ${JSON.stringify(s)} (${e.message}) changed the pending edits`);
                continue;
              }
              // A refusal of the policy engine or libaugeas (a path matching two nodes…) is not ours to judge.
              f.ws.rollback(edits);
              continue;
            }
            assert.ok(edits <= l.maxPendingEdits, `${edits} edits pending`);
            assert.ok(valueBytes <= l.maxPendingBytes, `${valueBytes} bytes of values pending`);
            for (const file of ["hosts", "hostname"]) {
              const nodes = f.ws.aug.match(`/files/etc/${file}//*`).length;
              assert.ok(nodes <= Math.max(l.maxFileNodes, 10), `${file}: ${nodes} nodes`);
            }
          }
        } finally {
          f.sandbox.close();
        }
      }),
      { numRuns: 60, seed: SEED },
    );
  });
});
