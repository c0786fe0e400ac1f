/*
 * Property: whatever a hostile client sends, a path is either rejected
 * (PathRejectedError / PolicyDeniedFault) or it resolves only to nodes the
 * policy allows — and a write the engine authorises changes only nodes the
 * policy lets the client write. The oracle below is deliberately naive: it
 * compares label sequences with the policy's patterns, and for writes it diffs
 * the whole tree before and after running the operation on real libaugeas.
 *
 * Reproducing a run: the properties start from a fixed seed (DEFAULT_SEED), so
 * every run tries the same cases. MACHINA_PROPERTY_SEED=<integer> tries others;
 * the seed in use is printed (stdout and a test diagnostic), and a failure
 * report from fast-check names it too, so
 *   MACHINA_PROPERTY_SEED=<seed> node scripts/test.mjs authorise.property
 * reproduces a failure.
 *
 * Both sides of the policy are exercised, and that is asserted: hostile strings
 * alone reach an allowed outcome in ~2 % of reads and sets and ~0.4 % of
 * removes, so the oracle would hardly ever see an authorised operation. Each
 * path is therefore drawn from a mix of the hostile generator and one of
 * well-formed paths instantiated from the policy's own node patterns with the
 * fixture tree's real labels; after each property, counters must show at
 * least FLOOR of the cases of reads, sets, removes and moves allowed (authorised,
 * carried out, touching at least one node) and at least FLOOR refused, so a
 * generator that drifts to one side fails instead of quietly testing less.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { canonicalNodePath, escapeLabel, nodePathLabels } from "#src/augeas/augeas-label.js";
import { HOSTNAME, HOSTS, openSandbox, type TreeSandbox } from "./augeas-sandbox.test-support.js";
import { PolicyEngine, type AugeasTree } from "#src/augeas/authorise.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { matchNodePattern } from "#src/augeas/node-pattern.js";
import { NotFoundFault, PolicyDeniedFault } from "#src/faults.js";
import type { Policy } from "#src/policy/policy-types.js";

const policy: Policy = parsePolicy(
  `version = 1
[clients]
users = ["www-data"]
[[augeas.file]]
path = "/etc/hosts"
read = ["*", "*/ipaddr", "*/canonical"]
write = ["*", "*/alias"]
[[augeas.file]]
path = "/etc/hostname"
read = ["hostname"]
write = ["hostname"]
`,
  "property.toml",
);
// The one place that knows where the policy keeps its file rules.
const files = policy.augeas.files;
const engine = new PolicyEngine(policy.augeas);

/** Any seed fast-check accepts; fixed so that a run is repeatable. */
const DEFAULT_SEED = 20240611;
const SEED = propertySeed(process.env.MACHINA_PROPERTY_SEED);
console.log(`authorise.property: fast-check seed ${SEED} (set MACHINA_PROPERTY_SEED to change it)`);

function propertySeed(text: string | undefined): number {
  if (text === undefined || text === "") return DEFAULT_SEED;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`MACHINA_PROPERTY_SEED must be an integer, not ${JSON.stringify(text)}`);
  return seed | 0; // fast-check seeds are 32-bit
}

/** Least share of the cases of each counted operation that must end in each of "allowed" and "refused". */
const FLOOR = 0.2;

/**
 * The fixture: the shared hosts file plus entries with exactly one alias each.
 * Under this policy an entry cannot be moved or removed (its ipaddr is not
 * writable) and the shared file's aliases match twice or not at all, so these
 * are what gives removes and moves single writable nodes to act on.
 */
const FIXTURE = { "/etc/hosts": `${HOSTS}10.0.0.1 gw gateway\n10.0.0.2 nas storage\n10.0.0.3 printer lp\n`, "/etc/hostname": HOSTNAME };

function oracle(labels: readonly string[], access: "read" | "write"): boolean {
  for (const f of files) {
    const n = f.nodeLabels.length;
    if (labels.length >= n && f.nodeLabels.every((l, i) => labels[i] === l)) {
      return f[access].some((p) => matchNodePattern(p, labels.slice(n)));
    }
  }
  return false;
}

const stepName = fc.constantFrom(
  "files", "etc", "hosts", "hostname", "1", "2", "3", "ipaddr", "canonical", "alias", "#comment",
  "*", "*", "..", ".", "", "augeas", "a\\ b", "x", "alias[1]", "self::x", "$v", "last()",
);
const predicate = fc.constantFrom(
  "", "", "", "[1]", "[2]", "[last()]", "[ipaddr = '127.0.0.1']", "[alias = 'foo']", "[canonical != 'x']",
  "[*/alias = 'bar']", "[count(a) = 1]", "[/augeas/root = '/']", "[$x]", "[. = 'a']", "[alias = 'a' or 1]",
  "[label() = 'x']", "[hostname = 'myhost']", "[ipaddr]", "[\\1/ipaddr = '127.0.0.1']", "[* = 'foo']",
);
const separator = fc.constantFrom("/", "/", "/", "/", "//", "|", " ");
const prefix = fc.constantFrom("/files/etc/hosts", "/files/etc/hosts", "/files/etc/hostname", "/files/etc", "/files", "/augeas", "", "/files/etc/hosts/2");
const clientPath = fc
  .tuple(prefix, fc.array(fc.tuple(separator, stepName, predicate), { maxLength: 4 }))
  .map(([p, steps]) => p + steps.map(([sep, name, pred]) => sep + name + pred).join(""));

/** A label no fixture node has: a well-formed path may also name a node to create. */
const FRESH_LABEL = "fresh";

/**
 * Well-formed paths: one of the policy's `access` patterns, instantiated
 * below its file's node with labels the fixture tree really has at that
 * level, or now and then a `*` wildcard or a fresh label (naming a node to
 * create); with `existing`, real labels only (a move's source); with `rule`,
 * always the `access` pattern of that index. Most of them are
 * allowed, some are not (a real node whose subtree is not writable, a
 * wildcard matching several nodes); either way they reach past the parser.
 */
function wellFormedPath(tree: AugeasTree, access: "read" | "write", { existing = false, rule }: { existing?: boolean; rule?: number } = {}): fc.Arbitrary<string> {
  const children = new Map<string, Set<string>>();
  for (const raw of tree.match("/files//*")) {
    const labels = nodePathLabels(raw);
    const key = JSON.stringify(labels.slice(0, -1));
    const set = children.get(key) ?? new Set<string>();
    set.add(labels[labels.length - 1]!);
    children.set(key, set);
  }
  const below = (nodes: readonly string[][]): string[] => [...new Set(nodes.flatMap((n) => [...(children.get(JSON.stringify(n)) ?? [])]))].sort();
  const rules = files.flatMap((f) => f[access].map((pattern) => ({ f, pattern })));
  // Unbiased: fast-check's usual bias towards small numbers would keep picking the first pattern and label.
  return fc.noBias(fc.tuple(fc.nat(), fc.array(fc.nat(), { minLength: 8, maxLength: 8 }))).map(([which, choices]) => {
    const { f, pattern } = rules[(rule ?? which) % rules.length]!;
    let next = 0;
    const choose = <T>(options: readonly T[]): T => options[choices[next++ % choices.length]! % options.length]!;
    let nodes: string[][] = [f.nodeLabels]; // the real nodes the steps so far can name
    const steps = f.nodeLabels.map((l) => escapeLabel(l));
    const step = (label: string | "*"): void => {
      steps.push(label === "*" ? "*" : escapeLabel(label));
      nodes = label === "*" ? nodes.flatMap((n) => below([n]).map((c) => [...n, c])) : nodes.map((n) => [...n, label]);
    };
    for (const seg of pattern.segments) {
      if (seg.kind === "label") step(seg.label);
      else if (seg.kind === "one") {
        const real = below(nodes);
        // Real labels three times as likely as a fresh label or a wildcard.
        step(choose(existing && real.length > 0 ? real : [...real, ...real, ...real, FRESH_LABEL, "*"]));
      } else {
        for (let depth = choose([0, 1, 2]); depth > 0 && below(nodes).length > 0; depth--) step(choose(below(nodes)));
      }
    }
    return `/${steps.join("/")}`;
  });
}

/** A hostile path or a well-formed one, the latter with weight `wellFormed` against 1. */
function mixedPath(tree: AugeasTree, access: "read" | "write", wellFormed = 1): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: clientPath, weight: 1 }, { arbitrary: wellFormedPath(tree, access), weight: wellFormed });
}

/**
 * allowed: authorised, carried out, and touching at least one node; refused:
 * PolicyDeniedFault; other: authorised but nothing there, or refused by
 * libaugeas itself (e.g. a set on a path matching several nodes).
 */
type Outcome = "allowed" | "refused" | "other";

class OutcomeCounts {
  private readonly counts = new Map<string, Record<Outcome, number>>();

  add(operation: string, outcome: Outcome): void {
    const c = this.counts.get(operation) ?? { allowed: 0, refused: 0, other: 0 };
    c[outcome]++;
    this.counts.set(operation, c);
  }

  describe(): string {
    const pct = (n: number, total: number) => `${((100 * n) / total).toFixed(1)} %`;
    return [...this.counts]
      .map(([op, c]) => {
        const total = c.allowed + c.refused + c.other;
        return `${op}: ${total} cases, allowed ${pct(c.allowed, total)}, refused ${pct(c.refused, total)}, other ${pct(c.other, total)}`;
      })
      .join("; ");
  }

  /** Fails unless each named operation ran and ended allowed and refused in at least FLOOR of its cases. */
  assertFloor(operations: readonly string[]): void {
    for (const op of operations) {
      const c = this.counts.get(op);
      assert.ok(c, `no ${op} case was generated`);
      const total = c.allowed + c.refused + c.other;
      for (const outcome of ["allowed", "refused"] as const) {
        assert.ok(c[outcome] >= FLOOR * total, `only ${c[outcome]} of ${total} ${op} cases were ${outcome} (floor ${FLOOR * 100} %): the generators drifted (${this.describe()})`);
      }
    }
  }
}

function expectDenialOnly(err: unknown): void {
  if (!(err instanceof PolicyDeniedFault)) throw err;
}

/** labels-path → sorted values of every node at it (positions ignored). */
function snapshot(tree: AugeasTree): Map<string, string> {
  const groups = new Map<string, string[]>();
  for (const raw of tree.match("/files//*")) {
    const key = JSON.stringify(nodePathLabels(raw));
    const value = tree.get(canonicalNodePath(raw) ?? raw);
    const list = groups.get(key) ?? [];
    list.push(value === null || value === undefined ? "\u0000" : value);
    groups.set(key, list);
  }
  return new Map([...groups].map(([k, v]) => [k, v.sort().join("\u0001")]));
}

describe("property: paths resolve only to allowed nodes", () => {
  let s: TreeSandbox;
  before(() => (s = openSandbox(FIXTURE)));
  after(() => s.close());

  it("reads", (t) => {
    t.diagnostic(`fast-check seed ${SEED}`);
    const counts = new OutcomeCounts();
    fc.assert(
      fc.property(mixedPath(s.aug, "read"), (path) => {
        try {
          const r = engine.resolveReadable(s.aug, path);
          // the canonical form is valid pathx, and resolves to a superset of what we return
          const all = s.aug.match(r.canonical).map((n) => canonicalNodePath(n));
          for (const node of r.nodes) {
            assert.ok(oracle(nodePathLabels(node), "read"), `${path} returned unreadable ${node}`);
            assert.ok(all.includes(node));
          }
        } catch (err) {
          expectDenialOnly(err);
        }
        try {
          const g = engine.resolveForGet(s.aug, path);
          for (const node of g.nodes) assert.ok(oracle(nodePathLabels(node), "read"), `get ${path} returned unreadable ${node}`);
          counts.add("read", g.nodes.length > 0 ? "allowed" : "other");
        } catch (err) {
          expectDenialOnly(err);
          counts.add("read", "refused");
        }
      }),
      { numRuns: 1500, seed: SEED },
    );
    t.diagnostic(counts.describe());
    counts.assertFloor(["read"]);
  });

  it("writes change only writable nodes", (t) => {
    t.diagnostic(`fast-check seed ${SEED}`);
    const counts = new OutcomeCounts();
    // Removes and moves need a single writable node with a writable subtree
    // (and a move a writable place for it too), which fewer well-formed paths
    // name than sets do: they draw well-formed paths more often, and three moves
    // in four take both of their paths from the well-formed generator.
    const set = mixedPath(s.aug, "write");
    const structural = mixedPath(s.aug, "write", 3);
    const wellFormed = wellFormedPath(s.aug, "write");
    const existing = wellFormedPath(s.aug, "write", { existing: true });
    // A node moved onto itself is libaugeas' error, not the policy's: the hostile moves try that.
    const wellFormedMove = fc
      .record({ kind: fc.constant("move" as const), path: existing, dst: wellFormed })
      .filter((m) => m.path !== m.dst);
    // An alias moved onto another entry's alias (or a new entry's): a value
    // the client may not read, moved where it still may not. Moving it where
    // it could be read (an entry's own value) is refused, and the other moves
    // mostly try that, so these keep the allowed moves above the floor.
    const aliasRule = files.flatMap((f) => f.write.map((p) => p.source)).indexOf("*/alias");
    assert.ok(aliasRule >= 0, "the fixture policy writes */alias");
    const aliasMove = fc
      .record({ kind: fc.constant("move" as const), path: wellFormedPath(s.aug, "write", { existing: true, rule: aliasRule }), dst: wellFormedPath(s.aug, "write", { rule: aliasRule }) })
      .filter((m) => m.path !== m.dst);
    const label = fc.constantFrom("alias", "ipaddr", "3", "x");
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), path: set }),
      fc.record({ kind: fc.constant("remove" as const), path: structural }),
      fc.record({ kind: fc.constant("rename" as const), path: set, label }),
      fc.record({ kind: fc.constant("insert" as const), path: set, label }),
      fc.record({ kind: fc.constant("move" as const), path: structural, dst: structural }),
      wellFormedMove,
      wellFormedMove,
      aliasMove,
      fc.record({ kind: fc.constant("setm" as const), path: set, sub: fc.constantFrom("alias", "ipaddr", "*", "x/y", "../x", null) }),
    );
    fc.assert(
      fc.property(op, (o) => {
        s.aug.load(); // discard the previous run's changes
        const beforeTree = snapshot(s.aug);
        let outcome: Outcome = "other";
        try {
          let targets: string[];
          switch (o.kind) {
            case "set": {
              const a = engine.authoriseSet(s.aug, o.path);
              s.aug.set(a.canonical, "v");
              targets = a.targets;
              break;
            }
            case "remove": {
              const a = engine.authoriseRemove(s.aug, o.path);
              s.aug.rm(a.canonical);
              targets = a.targets;
              break;
            }
            case "rename": {
              const a = engine.authoriseRename(s.aug, o.path, o.label);
              s.aug.rename(a.canonical, o.label);
              targets = a.targets;
              break;
            }
            case "insert": {
              const a = engine.authoriseInsert(s.aug, o.path, o.label);
              s.aug.insert(a.canonical, o.label, false);
              targets = a.targets;
              break;
            }
            case "move": {
              const m = engine.authoriseMove(s.aug, o.path, o.dst);
              s.aug.mv(m.src, m.dst);
              targets = m.targets;
              break;
            }
            case "setm": {
              const m = engine.authoriseSetm(s.aug, o.path, o.sub);
              s.aug.setm(m.base, m.sub, "v");
              targets = m.targets;
              break;
            }
          }
          if (targets.length > 0) outcome = "allowed";
        } catch (err) {
          // denied by the policy, or refused by libaugeas itself (e.g. several matches)
          // A refusal, libaugeas' own error, or nothing readable to act on (insert's anchor).
          if (!(err instanceof PolicyDeniedFault) && !(err instanceof NotFoundFault) && !(err instanceof Error && err.name === "AugeasError")) throw err;
          if (err instanceof PolicyDeniedFault) outcome = "refused";
        }
        counts.add(o.kind, outcome);
        const afterTree = snapshot(s.aug);
        for (const key of new Set([...beforeTree.keys(), ...afterTree.keys()])) {
          if (beforeTree.get(key) !== afterTree.get(key)) {
            const labels = JSON.parse(key) as string[];
            assert.ok(oracle(labels, "write"), `${JSON.stringify(o)} changed ${labels.join("/")}, which is not writable`);
          }
        }
        engine.checkModified(s.aug);
      }),
      { numRuns: 2000, seed: SEED },
    );
    t.diagnostic(counts.describe());
    counts.assertFloor(["set", "remove", "move"]);
  });
});
