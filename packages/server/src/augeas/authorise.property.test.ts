/*
 * Property: whatever a hostile client sends, a path is either rejected
 * (PathRejectedError / PolicyDeniedFault) or it resolves only to nodes the
 * policy allows — and a write the engine authorises changes only nodes the
 * policy lets the client write. The oracle below is deliberately naive: it
 * compares label sequences with the policy's patterns, and for writes it diffs
 * the whole tree before and after running the operation on real libaugeas.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { canonicalNodePath, nodePathLabels } from "#src/augeas/augeas-label.js";
import { openSandbox, type TreeSandbox } from "./augeas-sandbox.test-support.js";
import { PolicyEngine, type AugeasTree } from "#src/augeas/authorise.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { matchNodePattern } from "#src/augeas/node-pattern.js";
import { PolicyDeniedFault } from "#src/faults.js";
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
const engine = new PolicyEngine(policy.augeas);

function oracle(labels: readonly string[], access: "read" | "write"): boolean {
  for (const f of policy.augeas.files) {
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
  before(() => (s = openSandbox()));
  after(() => s.close());

  it("reads", () => {
    fc.assert(
      fc.property(clientPath, (path) => {
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
        } catch (err) {
          expectDenialOnly(err);
        }
      }),
      { numRuns: 1500 },
    );
  });

  const op = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), path: clientPath }),
    fc.record({ kind: fc.constant("remove" as const), path: clientPath }),
    fc.record({ kind: fc.constant("rename" as const), path: clientPath, label: fc.constantFrom("alias", "ipaddr", "3", "x") }),
    fc.record({ kind: fc.constant("insert" as const), path: clientPath, label: fc.constantFrom("alias", "ipaddr", "3", "x") }),
    fc.record({ kind: fc.constant("move" as const), path: clientPath, dst: clientPath }),
    fc.record({ kind: fc.constant("setm" as const), path: clientPath, sub: fc.constantFrom("alias", "ipaddr", "*", "x/y", "../x", null) }),
  );

  it("writes change only writable nodes", () => {
    fc.assert(
      fc.property(op, (o) => {
        s.aug.load(); // discard the previous run's changes
        const beforeTree = snapshot(s.aug);
        try {
          switch (o.kind) {
            case "set":
              s.aug.set(engine.authoriseSet(s.aug, o.path).canonical, "v");
              break;
            case "remove":
              s.aug.rm(engine.authoriseRemove(s.aug, o.path).canonical);
              break;
            case "rename":
              s.aug.rename(engine.authoriseRename(s.aug, o.path, o.label).canonical, o.label);
              break;
            case "insert":
              s.aug.insert(engine.authoriseInsert(s.aug, o.path, o.label).canonical, o.label, false);
              break;
            case "move": {
              const m = engine.authoriseMove(s.aug, o.path, o.dst);
              s.aug.mv(m.src, m.dst);
              break;
            }
            case "setm": {
              const m = engine.authoriseSetm(s.aug, o.path, o.sub);
              s.aug.setm(m.base, m.sub, "v");
              break;
            }
          }
        } catch (err) {
          // denied by the policy, or refused by libaugeas itself (e.g. several matches)
          if (!(err instanceof PolicyDeniedFault) && !(err instanceof Error && err.name === "AugeasError")) throw err;
        }
        const afterTree = snapshot(s.aug);
        for (const key of new Set([...beforeTree.keys(), ...afterTree.keys()])) {
          if (beforeTree.get(key) !== afterTree.get(key)) {
            const labels = JSON.parse(key) as string[];
            assert.ok(oracle(labels, "write"), `${JSON.stringify(o)} changed ${labels.join("/")}, which is not writable`);
          }
        }
        engine.checkModified(s.aug);
      }),
      { numRuns: 800 },
    );
  });
});
