/**
 * The guards of an `augeas.apply` change list (the protocol's AugeasGuard):
 * conditions evaluated on the pending tree at their place in the list. They
 * read the tree only through the policy engine's read resolutions — `get`,
 * `exists` and `missing` as `augeas.get` does (a path no read pattern could
 * cover is refused from its shape), `match` as `augeas.match` does — so a
 * guard sees exactly what those methods would show and its answer cannot
 * tell an unreadable node from a missing one. A `get` guard compares a value,
 * so it is refused on a node whose value the client may not see: otherwise
 * each try would test one guess of a hidden value.
 */
import { valueFromBytes, type AugeasGuard } from "@machina/protocol";
import { Fault, PolicyDeniedFault } from "../faults.js";
import type { AugeasTree, PolicyEngine } from "./authorise.js";
import { augeasValueArg } from "./augeas-value.js";
import { augeasArg, BYTES } from "./tree-text.js";

/** The path a guard reads (for the audit line and error targets). */
export function guardPath(guard: AugeasGuard): string {
  return "get" in guard ? guard.get : "match" in guard ? guard.match : "exists" in guard ? guard.exists : guard.missing;
}

/**
 * Evaluates `guard` on `tree`. Answers undefined when it holds, or why it
 * does not (in words, with values only of nodes the client may see). Throws
 * PolicyDeniedFault for a read the policy refuses, and an `augeas` fault
 * (EMMATCH) for a `get` of a path that matches several readable nodes.
 */
export function guardFailure(engine: PolicyEngine, tree: AugeasTree, guard: AugeasGuard): string | undefined {
  if ("get" in guard) {
    const { nodes } = engine.resolveForGet(tree, guard.get);
    if (nodes.length > 1) {
      throw new Fault("augeas", `${guard.get} matches ${nodes.length} nodes; a get guard needs at most one`, {
        code: "EMMATCH",
        message: "Too many matches for path expression",
      });
    }
    const node = nodes[0];
    if (node === undefined) return guard.is === "==" ? `no node matches ${guard.get}` : undefined;
    if (!engine.isValueVisible(node)) {
      throw new PolicyDeniedFault(node, "a guard cannot compare a value the policy does not let you see", engine.fileFor(node)?.path);
    }
    // Compared as bytes, so a value that is not UTF-8 compares exactly (and equal to its `{ base64 }` form).
    const value = tree.get(augeasArg(node), BYTES) ?? null;
    const wanted = augeasValueArg(guard.value, "/value");
    const equal = value === null || wanted === null ? value === wanted : value.equals(typeof wanted === "string" ? Buffer.from(wanted, "utf8") : wanted);
    if (equal === (guard.is === "==")) return undefined;
    return `${guard.get} ${has(value === null ? null : valueFromBytes(value))}, and the guard wants ${guard.is === "==" ? "" : "anything but "}${guard.value === null ? "no value" : JSON.stringify(guard.value)}`;
  }
  if ("match" in guard) {
    const count = engine.resolveReadable(tree, guard.match).nodes.length;
    if (compare(count, guard.size, guard.count)) return undefined;
    return `${guard.match} matches ${nodesCount(count)}, and the guard wants size ${guard.size} ${guard.count}`;
  }
  if ("exists" in guard) {
    return engine.resolveForGet(tree, guard.exists).nodes.length > 0 ? undefined : `no node matches ${guard.exists}`;
  }
  const count = engine.resolveForGet(tree, guard.missing).nodes.length;
  return count === 0 ? undefined : `${guard.missing} matches ${nodesCount(count)}`;
}

function compare(count: number, size: Extract<AugeasGuard, { match: string }>["size"], n: number): boolean {
  switch (size) {
    case "==":
      return count === n;
    case "!=":
      return count !== n;
    case "<":
      return count < n;
    case "<=":
      return count <= n;
    case ">":
      return count > n;
    case ">=":
      return count >= n;
  }
}

function nodesCount(count: number): string {
  return count === 1 ? "1 node" : `${count} nodes`;
}

function has(value: ReturnType<typeof valueFromBytes> | null): string {
  return value === null ? "has no value" : `is ${JSON.stringify(value)}`;
}
