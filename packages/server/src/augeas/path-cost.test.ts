import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { parseAugeasPath } from "#src/augeas/augeas-path.js";
import { checkPathLimits, pathCost, predicateCount } from "#src/augeas/path-cost.js";
import { PolicyEngine } from "#src/augeas/authorise.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { LimitExceededFault } from "#src/faults.js";
import { DEFAULT_SESSION_LIMITS } from "#src/limits.js";
import { openSandbox, type TreeSandbox } from "./augeas-sandbox.test-support.js";

const SEED = Number(process.env.MACHINA_FC_SEED ?? 20_250_613);

function refusedFor(fn: () => unknown, limit: string, max: number): LimitExceededFault {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof LimitExceededFault, `expected limit-exceeded, got ${caught === undefined ? "success" : String(caught)}`);
  assert.equal(caught.kind, "limit-exceeded");
  assert.deepEqual({ limit: caught.fields.limit, max: caught.fields.max }, { limit, max });
  assert.match(caught.message, new RegExp(`--max-${limit}`));
  return caught;
}

describe("path cost", () => {
  it("is (1 + predicates) × node tests", () => {
    const cost = (p: string) => pathCost(parseAugeasPath(p).steps);
    assert.equal(cost("/files/etc/hosts/1/ipaddr"), 5);
    // 5 steps + one predicate of one step (2 tests) = 7, times 2.
    assert.equal(cost('/files/etc/hosts/*[canonical = "x"]/alias'), 14);
    assert.equal(cost("/files/etc/hosts/*[last()][1]"), 3 * 6);
    assert.equal(cost('/files/etc/hosts/*[a/b/c = "x"]'), 2 * (4 + 4));
    assert.equal(predicateCount(parseAugeasPath('/files/a[1]/b[x = "1"][y != "2"]').steps), 3);
  });

  it("the defaults leave a panel's paths alone and refuse the attack's", () => {
    const limits = DEFAULT_SESSION_LIMITS;
    for (const p of ['/files/etc/hosts/*[canonical = "localhost"]/alias[last()]', '/files/etc/ssh/sshd_config/Match[Condition/User = "x"]/Settings/PasswordAuthentication']) {
      checkPathLimits(parseAugeasPath(p).steps, p, limits);
    }
    const many = `/files/etc/hosts/*${Array.from({ length: 300 }, (_, i) => `[x!="${i}"]`).join("")}`;
    refusedFor(() => checkPathLimits(parseAugeasPath(many).steps, many, limits), "path-predicates", limits.maxPathPredicates);
    const costly = `/files/etc/hosts/*${Array.from({ length: 16 }, () => "[a/b/c/d = 'x']").join("")}`;
    refusedFor(() => checkPathLimits(parseAugeasPath(costly).steps, costly, limits), "path-cost", limits.maxPathCost);
  });

  it("random paths: refused exactly when beyond a limit, and naming it", () => {
    const step = fc.tuple(
      fc.constantFrom("a", "*", "b1"),
      fc.array(fc.oneof(fc.constant("[1]"), fc.constant("[last()]"), fc.array(fc.constantFrom("x", "*", "y"), { minLength: 1, maxLength: 4 }).map((rel) => `[${rel.join("/")} != "v"]`)), { maxLength: 6 }),
    );
    const path = fc.array(step, { minLength: 1, maxLength: 12 }).map((steps) => `/files/${steps.map(([t, ps]) => t + ps.join("")).join("/")}`);
    const limits = fc.record({ maxPathPredicates: fc.integer({ min: 1, max: 40 }), maxPathCost: fc.integer({ min: 1, max: 3000 }) });
    fc.assert(
      fc.property(path, limits, (p, l) => {
        const steps = parseAugeasPath(p).steps;
        const predicates = predicateCount(steps);
        const cost = pathCost(steps);
        let caught: unknown;
        try {
          checkPathLimits(steps, p, l);
        } catch (e) {
          caught = e;
        }
        if (predicates > l.maxPathPredicates) assert.equal((caught as LimitExceededFault).fields.limit, "path-predicates");
        else if (cost > l.maxPathCost) assert.equal((caught as LimitExceededFault).fields.limit, "path-cost");
        else assert.equal(caught, undefined);
      }),
      { numRuns: 500, seed: SEED },
    );
  });
});

describe("the policy engine holds client paths to the limits", () => {
  let s: TreeSandbox;
  before(() => (s = openSandbox()));
  after(() => s.close());
  const limits = { ...DEFAULT_SESSION_LIMITS, maxPathPredicates: 2, maxPathCost: 40 };
  const engine = new PolicyEngine(
    parsePolicy(`version = 1\n[clients]\nusers = ["root"]\n[[augeas.file]]\npath = "/etc/hosts"\nlens = "Hosts"\nwrite = ["**"]\n`, "t.toml").augeas,
    limits,
  );

  it("in every operation, before the tree is read", () => {
    const three = '/files/etc/hosts/*[ipaddr = "1"][canonical = "x"][1]';
    refusedFor(() => engine.resolveReadable(s.aug, three), "path-predicates", 2);
    refusedFor(() => engine.resolveForGet(s.aug, three), "path-predicates", 2);
    refusedFor(() => engine.authoriseSet(s.aug, `${three}/alias`), "path-predicates", 2);
    refusedFor(() => engine.authoriseRemove(s.aug, three), "path-predicates", 2);
    refusedFor(() => engine.authoriseMove(s.aug, "/files/etc/hosts/1", three), "path-predicates", 2);
    refusedFor(() => engine.authoriseInsert(s.aug, three, "x"), "path-predicates", 2);
    refusedFor(() => engine.authoriseRename(s.aug, three, "x"), "path-predicates", 2);
    // Refused again (a refused path is not remembered as parsed).
    refusedFor(() => engine.resolveReadable(s.aug, three), "path-predicates", 2);
  });

  it("setm counts base and sub together", () => {
    engine.authoriseSetm(s.aug, '/files/etc/hosts/*[ipaddr = "127.0.0.1"][canonical = "localhost"]', "alias");
    refusedFor(() => engine.authoriseSetm(s.aug, '/files/etc/hosts/*[ipaddr = "1"][canonical = "x"]', "alias[1]"), "path-predicates", 2);
    refusedFor(() => engine.authoriseSetm(s.aug, "/files/etc/hosts/*[1]", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p"), "path-cost", 40);
  });

  it("an operation that would create more nodes than a file may hold is refused before they are all resolved", () => {
    const tight = new PolicyEngine(
      parsePolicy(`version = 1\n[clients]\nusers = ["root"]\n[[augeas.file]]\npath = "/etc/hosts"\nlens = "Hosts"\nwrite = ["**"]\n`, "t.toml").augeas,
      { ...DEFAULT_SESSION_LIMITS, maxFileNodes: 4 },
    );
    const e = refusedFor(() => tight.authoriseSet(s.aug, "/files/etc/hosts/3/a/b/c/d"), "file-nodes", 4);
    assert.equal(e.fields.file, "/etc/hosts");
    assert.equal(tight.authoriseSet(s.aug, "/files/etc/hosts/3/a/b/c").targets.length, 4);
    // Three base nodes (two entries and a comment) × two missing steps.
    refusedFor(() => tight.authoriseSetm(s.aug, "/files/etc/hosts/*", "x/y"), "file-nodes", 4);
    assert.equal(tight.authoriseSetm(s.aug, "/files/etc/hosts/*", "x").targets.length, 3);
  });

  it("a path within them still resolves", () => {
    assert.deepEqual(engine.resolveReadable(s.aug, '/files/etc/hosts/*[ipaddr = "127.0.0.1"]/canonical').nodes, ["/files/etc/hosts/1/canonical"]);
  });
});
