/*
 * Authorisation of Augeas operations on what client paths RESOLVE to
 * (invariant 2). Every operation:
 *   1. parses the client's string with the strict grammar (PathRejectedError);
 *   2. refuses, from the path's shape alone, what no rule could ever allow —
 *      so the refusal does not depend on, and cannot reveal, what exists;
 *   3. checks that every node a predicate reads is readable (statically for
 *      every node the predicate could read, then on the live tree);
 *   4. resolves the path on the live tree and checks each node the operation
 *      touches, including nodes it creates and descendants it moves or removes;
 *   5. returns canonical paths for the daemon to hand to libaugeas, and the
 *      touched nodes for the audit log.
 * The daemon serialises libaugeas calls, so the tree cannot change between
 * this check and the operation.
 */
import {
  canonicalNodePath,
  escapeLabel,
  labelProblem,
  nodePathFromLabels,
  nodePathLabels,
  parseNodePath,
} from "./augeas-label.js";
import {
  parseAugeasPath,
  parseRelativeAugeasPath,
  serialiseStep,
  serialiseSteps,
  stepsShape,
  testSegment,
  type AugeasPath,
  type PathStep,
  type RelativeAugeasPath,
} from "./augeas-path.js";
import { matchesAny, type NodePattern, type PatternSegment } from "./node-pattern.js";
import { shapeCovered, shapeIntersects } from "./pattern-coverage.js";
import { LimitExceededFault, NotFoundFault, PolicyDeniedFault } from "../faults.js";
import type { AugeasSection, FileRule } from "./augeas-section.js";
import { BoundedCache, deepFreeze } from "./bounded-cache.js";
import { checkPathLimits, type PathLimits } from "./path-cost.js";
import { isSecretBelow, isWholeFileSecret, SECRET_MEANING } from "./secret-rules.js";
import { augeasArg, BYTES, treeText } from "./tree-text.js";
import type { Augeas } from "augeas-node-bindings";
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from "../limits.js";

/**
 * How many parsed paths, shape verdicts and resolved node paths the engine
 * remembers. A panel uses a handful of paths over and over; parsing and the
 * shape check are pure functions of the string and the policy (and an engine
 * lives exactly as long as its policy), so remembering them changes no
 * answer — it only takes them off the per-call path.
 */
const CACHE_ENTRIES = 1024;

/**
 * The part of the libaugeas binding the policy engine needs: byte-exact, so
 * a label that is not UTF-8 is seen as exactly its bytes (tree-text.ts). The
 * engine's paths are tree text; it hands libaugeas their bytes.
 */
export type AugeasTree = Pick<Augeas, "match" | "get">;

/** Node paths (tree text) `path` (tree text) matches. */
function matchTree(tree: AugeasTree, path: string): string[] {
  return tree.match(augeasArg(path), BYTES).map(treeText);
}

export interface ReadResolution {
  /** What to pass to libaugeas (tree text: see augeasArg). */
  canonical: string;
  /** Readable resolved nodes, as canonical node paths (tree text). */
  nodes: string[];
  /** Readable nodes left out of `nodes` because no path can address them (a label `.` or `..`); absent when none. */
  unaddressable?: number;
}

export interface WriteAuthorisation {
  /** What to pass to libaugeas. */
  canonical: string;
  /** Every node the operation sets, creates, moves or removes (for the audit log). */
  targets: string[];
}

export interface SetmAuthorisation {
  base: string;
  /** null: set the base nodes themselves. */
  sub: string | null;
  targets: string[];
}

export interface MoveAuthorisation {
  src: string;
  dst: string;
  targets: string[];
}

export interface ModifiedCheck {
  /** Policy paths (e.g. /etc/hosts) of the files the next save will write. */
  files: string[];
  /** Every modified node, for the audit log. */
  nodes: string[];
}

type Access = "read" | "write";

/** A resolved node, with the path to address it by and its decoded labels. */
interface NodeRef {
  path: string;
  labels: string[];
}

export class PolicyEngine {
  readonly files: readonly FileRule[];
  private readonly readPatterns: PatternSegment[][];
  private readonly writePatterns: PatternSegment[][];
  /** Absolute patterns of the nodes whose values are secret (secret-rules.ts). */
  private readonly secretPatterns: PatternSegment[][];
  private readonly parsedPaths = new BoundedCache<string, AugeasPath>(CACHE_ENTRIES);
  /** Shapes known to meet some pattern, keyed by access and shape (refusals are not remembered). */
  private readonly shapesAllowed = new BoundedCache<string, true>(CACHE_ENTRIES);
  private readonly nodeRefs = new BoundedCache<string, NodeRef | null>(CACHE_ENTRIES);

  constructor(
    policy: AugeasSection,
    /**
     * Predicates and cost a client path may have (path-cost.ts), checked when
     * a path is parsed; and the nodes one operation may create in a file.
     */
    private readonly pathLimits: PathLimits & Pick<SessionLimits, "maxFileNodes"> = DEFAULT_SESSION_LIMITS,
  ) {
    this.files = policy.files;
    // Absolute patterns: the file's node labels, then the rule's segments.
    const absolute = (access: Access | "secret"): PatternSegment[][] =>
      this.files.flatMap((f) =>
        f[access].map((p) => [...f.nodeLabels.map((label) => ({ kind: "label" as const, label })), ...p.segments]),
      );
    this.readPatterns = absolute("read");
    this.writePatterns = absolute("write");
    this.secretPatterns = absolute("secret");
  }

  /** The rule whose node is the given node or one of its ancestors. */
  fileFor(nodePath: string | readonly string[]): FileRule | undefined {
    const labels = typeof nodePath === "string" ? nodePathLabels(nodePath) : nodePath;
    return this.files.find((f) => f.nodeLabels.length <= labels.length && f.nodeLabels.every((l, i) => labels[i] === l));
  }

  isReadable(nodePath: string | readonly string[]): boolean {
    return this.allowed(typeof nodePath === "string" ? nodePathLabels(nodePath) : nodePath, "read");
  }

  /**
   * True when the client may see the node's value: it is readable and not
   * secret. A preview or a change report must not reveal, even by its
   * absence, a value this answers false for.
   */
  isValueVisible(nodePath: string | readonly string[]): boolean {
    const labels = typeof nodePath === "string" ? nodePathLabels(nodePath) : nodePath;
    return this.allowed(labels, "read") && !this.isSecret(labels);
  }

  /** True when the node's value is secret (its file's `secret` patterns match it), readable or not. */
  private isSecret(labels: readonly string[]): boolean {
    const rule = this.fileFor(labels);
    return rule !== undefined && isSecretBelow(rule, labels.slice(rule.nodeLabels.length));
  }

  /** Refuses to reveal a secret value; the node itself is readable, so it may be named. */
  private denySecret(target: string, labels: readonly string[], what: string): never {
    const rule = this.fileFor(labels);
    const which = !rule ? "" : isWholeFileSecret(rule) ? ` (augeas.file ${rule.path}: secret = true)` : ` (augeas.file ${rule.path}: secret = ${JSON.stringify(rule.secret.map((p) => p.source))})`;
    throw new PolicyDeniedFault(target, `${what}: its value is secret${which}; secret values ${SECRET_MEANING}`, rule?.path);
  }

  isWritable(nodePath: string | readonly string[]): boolean {
    return this.allowed(typeof nodePath === "string" ? nodePathLabels(nodePath) : nodePath, "write");
  }

  private allowed(labels: readonly string[], access: Access): boolean {
    const rule = this.fileFor(labels);
    return rule !== undefined && matchesAny(rule[access], labels.slice(rule.nodeLabels.length));
  }

  /** Why a node is not readable/writable, naming the missing rule. */
  private whyNot(labels: readonly string[], access: Access): { reason: string; file?: string } {
    const rule = this.fileFor(labels);
    if (!rule) return { reason: "the node lies outside every [[augeas.file]] in the policy" };
    const rel = labels.slice(rule.nodeLabels.length).map((l) => escapeLabel(l)).join("/") || "(the file node itself)";
    const have = rule[access].map((p: NodePattern) => p.source);
    return {
      reason: `no ${access} pattern of augeas.file ${rule.path} matches ${JSON.stringify(rel)} (${access} = ${JSON.stringify(have)})`,
      file: rule.path,
    };
  }

  private deny(target: string, labels: readonly string[], access: Access, what = ""): never {
    const { reason, file } = this.whyNot(labels, access);
    throw new PolicyDeniedFault(target, what ? `${what}: ${reason}` : reason, file);
  }

  /**
   * Refuses an existing node the path resolved to. A node the client may not
   * read is never named, nor its label shown: the refusal names the file it
   * lies in instead (unreadable means unreadable through every channel).
   */
  private require(ref: NodeRef, access: Access, what = ""): void {
    if (this.allowed(ref.labels, access)) return;
    if (!this.allowed(ref.labels, "read")) this.denyHidden(ref.labels, what);
    this.deny(ref.path, ref.labels, access, what);
  }

  private denyHidden(labels: readonly string[], what: string): never {
    const rule = this.fileFor(labels);
    const reason = `${what ? `${what}: ` : ""}the path reaches a node the policy does not let you read`;
    if (!rule) throw new PolicyDeniedFault("(a node outside the policy's files)", reason);
    throw new PolicyDeniedFault(rule.node, reason, rule.path);
  }

  private ref(resolved: string): NodeRef | undefined {
    const known = this.nodeRefs.get(resolved);
    if (known !== undefined) return known ?? undefined;
    const path = canonicalNodePath(resolved);
    const ref = path === undefined ? null : deepFreeze({ path, labels: parseNodePath(resolved).map((s) => s.label) });
    return this.nodeRefs.set(resolved, ref) ?? undefined;
  }

  private refOrDeny(resolved: string): NodeRef {
    const ref = this.ref(resolved);
    if (!ref) {
      const labels = nodePathLabels(resolved);
      if (!this.allowed(labels, "read")) this.denyHidden(labels, "");
      throw new PolicyDeniedFault(resolved, "the node's label cannot be addressed safely ('.' or '..')");
    }
    return ref;
  }

  private resolve(tree: AugeasTree, path: string): NodeRef[] {
    return matchTree(tree, path).map((r) => this.refOrDeny(r));
  }

  private descendants(tree: AugeasTree, node: NodeRef): NodeRef[] {
    return this.resolve(tree, `${node.path}//*`);
  }

  /** Refuses, from the shape alone, a path no rule of this kind could ever allow. */
  private requireShape(canonical: string, shape: PatternSegment[], access: Access, what: string): void {
    const key = shapeKey(access, shape);
    if (this.shapesAllowed.get(key)) return;
    if (!shapeIntersects(shape, access === "read" ? this.readPatterns : this.writePatterns)) {
      const fixed = shape.every((s) => s.kind === "label");
      if (fixed) this.deny(canonical, shape.map((s) => (s as { label: string }).label), access, what);
      throw new PolicyDeniedFault(canonical, `${what}: no ${access} pattern of any [[augeas.file]] matches a node this path could name`);
    }
    this.shapesAllowed.set(key, true);
  }

  /**
   * Every node a predicate reads must be readable: the candidates a position
   * or last() counts, and the nodes a comparison's path names. Checked first
   * for every node such a predicate could read (so the answer does not depend
   * on what exists), then on the live tree.
   */
  private checkPredicates(tree: AugeasTree, steps: readonly PathStep[]): void {
    steps.forEach((step, i) => {
      if (step.predicates.length === 0) return;
      const shapeBefore = stepsShape(steps, i + 1);
      const before = i === 0 ? "" : serialiseSteps(steps.slice(0, i), true);
      // The live check reads, for every predicate of the step, the nodes it
      // could read from ANY candidate of the step — not only from those the
      // step's earlier predicates leave. That is a superset (and the static
      // check below has already required every node of that shape to be
      // readable), and it is one query per distinct relative path instead of
      // one per predicate over an ever longer prefix: those cost predicates ×
      // a whole match, which over 10 000 nodes took seconds per call.
      const head = `${before}/${serialiseStep({ test: step.test, predicates: [] })}`;
      const queried = new Set<string>();
      step.predicates.forEach((pred, j) => {
        const shown = `${before}/${serialiseStep({ test: step.test, predicates: step.predicates.slice(0, j + 1) })}`;
        let shape = shapeBefore;
        let query = head;
        if (pred.kind === "compare") {
          shape = [...shapeBefore, ...pred.rel.map(testSegment)];
          query = `${head}/${serialiseSteps(pred.rel.map((test) => ({ test, predicates: [] })), false)}`;
        }
        if (!shapeCovered(shape, this.readPatterns)) {
          throw new PolicyDeniedFault(
            shown,
            `the predicate reads nodes (${describeShape(shape)}) that the policy does not let you read: every node a predicate could read needs a read pattern`,
          );
        }
        // A comparison with a secret node would answer "is the value this?":
        // refused from the shape, so the refusal does not depend on the tree.
        // Positions and last() only count nodes, which are not secret.
        if (pred.kind === "compare" && this.secretPatterns.length > 0 && shapeIntersects(shape, this.secretPatterns)) {
          throw new PolicyDeniedFault(
            shown,
            `the predicate compares the value of nodes (${describeShape(shape)}) that may be secret; secret values are never compared: they ${SECRET_MEANING}`,
          );
        }
        if (queried.has(query)) return;
        queried.add(query);
        for (const ref of this.resolve(tree, query)) this.require(ref, "read", "a predicate reads this node");
      });
    });
  }

  private parse(path: string | AugeasPath): AugeasPath {
    if (typeof path !== "string") return path;
    // Only paths that parsed (within the limits) are remembered: a rejected one is re-parsed (and re-refused) each time.
    const known = this.parsedPaths.get(path);
    if (known) return known;
    const parsed = parseAugeasPath(path);
    checkPathLimits(parsed.steps, parsed.canonical, this.pathLimits);
    return this.parsedPaths.set(path, deepFreeze(parsed));
  }

  /** `match`: the readable nodes the path resolves to; unreadable ones are silently left out. */
  resolveReadable(tree: AugeasTree, path: string | AugeasPath): ReadResolution {
    const p = this.parse(path);
    this.checkPredicates(tree, p.steps);
    return { canonical: p.canonical, ...this.readableMatches(tree, p.canonical) };
  }

  /** The readable nodes `canonical` matches; unreadable ones are invisible (never refused, never named, never counted). */
  private readableMatches(tree: AugeasTree, canonical: string): { nodes: string[]; unaddressable?: number } {
    const nodes: string[] = [];
    let unaddressable = 0;
    for (const raw of matchTree(tree, canonical)) {
      const ref = this.ref(raw);
      if (ref && this.allowed(ref.labels, "read")) nodes.push(ref.path);
      else if (!ref && this.allowed(nodePathLabels(raw), "read")) unaddressable++;
    }
    return unaddressable > 0 ? { nodes, unaddressable } : { nodes };
  }

  /**
   * `get`: the readable nodes the path resolves to. A path whose would-be
   * node no read rule covers is refused from its shape alone; otherwise
   * unreadable matches are left out, so with none readable the caller answers
   * not-found — absence and unreadability look the same.
   */
  resolveForGet(tree: AugeasTree, path: string | AugeasPath): ReadResolution {
    const p = this.parse(path);
    const shape = stepsShape(p.steps);
    this.requireShape(p.canonical, shape, "read", "cannot read");
    // Every value a path of this shape could name is secret: refused whether or not one exists.
    if (this.secretPatterns.length > 0 && shapeCovered(shape, this.secretPatterns)) this.denySecret(p.canonical, leadingLabels(shape), "cannot read");
    this.checkPredicates(tree, p.steps);
    // Unreadable nodes are invisible, as to match: left out rather than refused,
    // so an answer never depends on whether one exists (or names its label).
    const matched = this.readableMatches(tree, p.canonical);
    // Every reader of values (get, a guard) comes here: a secret node is
    // refused, never handed out. Its existence is not secret (match lists it).
    for (const node of matched.nodes) {
      const labels = nodePathLabels(node);
      if (this.isSecret(labels)) this.denySecret(node, labels, "cannot read");
    }
    return { canonical: p.canonical, ...matched };
  }

  /**
   * The nodes a set of `steps` below `context` would touch: the existing
   * matches, or — when nothing matches — the nodes libaugeas would create:
   * below the deepest prefix that matches, one node per remaining step. Those
   * steps must be plain labels: a wildcard or predicate cannot be created.
   */
  private setTargets(tree: AugeasTree, contextPath: string, steps: readonly PathStep[], what: string, created = new Map<string, number>()): NodeRef[] {
    const join = (n: number): string => `${contextPath}/${serialiseSteps(steps.slice(0, n), false)}`;
    const existing = this.resolve(tree, join(steps.length));
    if (existing.length > 0) {
      for (const ref of existing) {
        this.requireInsideFile(ref, what);
        this.require(ref, "write", what);
      }
      return existing;
    }
    let k = steps.length - 1;
    let bases: NodeRef[] = [];
    for (; k >= 1; k--) {
      bases = this.resolve(tree, join(k));
      if (bases.length > 0) break;
    }
    if (k < 1) {
      bases = contextPath === "" ? [{ path: "", labels: [] }] : this.resolve(tree, contextPath);
      k = 0;
    }
    const toCreate = steps.slice(k);
    for (const step of toCreate) {
      if (step.test.kind !== "label" || step.predicates.length > 0) {
        throw new PolicyDeniedFault(
          `${contextPath}/${serialiseSteps(steps, false)}`,
          `${what}: nothing matches, and the step ${JSON.stringify(serialiseStep(step))} would have to be created, but a wildcard or predicate cannot be created`,
        );
      }
    }
    const labels = toCreate.map((s) => (s.test as { label: string }).label);
    const refs: NodeRef[] = [];
    const shown = `${contextPath}/${serialiseSteps(steps, false)}`;
    for (const base of bases) {
      // Every prefix that gets created; nodes strictly above a file's node
      // (e.g. /files/etc when no file below it is loaded yet) are tree
      // structure, not file content, and are allowed on the way to a writable node.
      const finalLabels = [...base.labels, ...labels];
      const final = { path: nodePathFromLabels(finalLabels), labels: finalLabels };
      this.requireInsideFile(final, what, true);
      this.countCreated(created, finalLabels, labels.length, shown);
      for (let n = 1; n <= labels.length; n++) {
        const nodeLabels = [...base.labels, ...labels.slice(0, n)];
        const ref = { path: `${base.path}/${labels.slice(0, n).map((l) => escapeLabel(l)).join("/")}`, labels: nodeLabels };
        if (this.isAboveFileNode(nodeLabels)) continue;
        this.require(ref, "write", `${what} (would create this node)`);
        refs.push(ref);
      }
    }
    return refs;
  }

  /**
   * Counts nodes an operation creates per file, and refuses (`file-nodes`)
   * once one file would get more than a file may hold at all — before they
   * are all resolved: a wildcard base times a long missing path named
   * hundreds of thousands (a setm of 60 missing steps below 10 000 nodes
   * took a minute to authorise before the budget could refuse it).
   */
  private countCreated(created: Map<string, number>, labels: readonly string[], count: number, shown: string): void {
    const rule = this.fileFor(labels);
    if (!rule) return;
    const n = (created.get(rule.path) ?? 0) + count;
    const max = this.pathLimits.maxFileNodes;
    if (n > max) throw new LimitExceededFault("file-nodes", max, `${shown} would create more than ${max} nodes in ${rule.path}`, rule.path);
    created.set(rule.path, n);
  }

  private isAboveFileNode(labels: readonly string[]): boolean {
    return this.files.some((f) => f.nodeLabels.length > labels.length && labels.every((l, i) => f.nodeLabels[i] === l));
  }

  /**
   * The node must lie inside a policy file; for structural operations
   * (remove, move, rename, insert) strictly inside it: the file node itself is
   * the file, and removing or moving it would delete or misplace the file.
   */
  private requireInsideFile(ref: NodeRef, what: string, fileNodeAllowed = true): void {
    const rule = this.fileFor(ref.labels);
    if (!rule) this.deny(ref.path, ref.labels, "write", what);
    if (!fileNodeAllowed && ref.labels.length === rule.nodeLabels.length) {
      throw new PolicyDeniedFault(ref.path, `${what}: this is the node of the file ${rule.path} itself; only nodes inside it may be removed, moved, renamed or inserted next to`, rule.path);
    }
  }

  /** `set` (and `clear`): the existing node(s), or every node the set would create, must be writable. */
  authoriseSet(tree: AugeasTree, path: string | AugeasPath): WriteAuthorisation {
    const p = this.parse(path);
    this.requireShape(p.canonical, stepsShape(p.steps), "write", "cannot set");
    this.checkPredicates(tree, p.steps);
    const targets = this.setTargets(tree, "", p.steps, "cannot set");
    return { canonical: p.canonical, targets: targets.map((t) => t.path) };
  }

  authoriseClear(tree: AugeasTree, path: string | AugeasPath): WriteAuthorisation {
    return this.authoriseSet(tree, path);
  }

  /** `setm`: as set, for `sub` below each node `base` matches (or the base nodes when sub is null). */
  authoriseSetm(tree: AugeasTree, base: string | AugeasPath, sub: string | RelativeAugeasPath | null): SetmAuthorisation {
    const b = this.parse(base);
    if (sub === null) {
      const { targets } = this.authoriseSet(tree, b);
      return { base: b.canonical, sub: null, targets };
    }
    const s = typeof sub === "string" ? parseRelativeAugeasPath(sub) : sub;
    const combined = [...b.steps, ...s.steps];
    checkPathLimits(combined, `${b.canonical}/${s.canonical}`, this.pathLimits);
    this.requireShape(`${b.canonical}/${s.canonical}`, stepsShape(combined), "write", "cannot set");
    this.checkPredicates(tree, combined);
    const targets: string[] = [];
    const created = new Map<string, number>();
    for (const baseNode of this.resolve(tree, b.canonical)) {
      for (const t of this.setTargets(tree, baseNode.path, s.steps, "cannot set", created)) targets.push(t.path);
    }
    return { base: b.canonical, sub: s.canonical, targets };
  }

  /** `insert`: a new sibling labelled `label` next to each matched node; it must be writable. */
  authoriseInsert(tree: AugeasTree, path: string | AugeasPath, label: string): WriteAuthorisation {
    const p = this.parse(path);
    this.requireLabel(p.canonical, label);
    const siblingShape = [...stepsShape(p.steps).slice(0, -1), { kind: "label" as const, label }];
    this.requireShape(p.canonical, siblingShape, "write", `cannot insert ${JSON.stringify(label)}`);
    // The anchor is read (where it stands), so it must be readable: from its
    // shape first, so a refusal never depends on whether a hidden node exists;
    // then only readable anchors are seen, and libaugeas is handed the one
    // readable anchor itself, never a path that could also reach hidden ones.
    this.requireShape(p.canonical, stepsShape(p.steps), "read", "cannot insert next to");
    this.checkPredicates(tree, p.steps);
    const anchors = this.resolve(tree, p.canonical).filter((ref) => this.allowed(ref.labels, "read"));
    if (anchors.length === 0) throw new NotFoundFault(`no node matches ${p.canonical}`, p.canonical);
    const targets: string[] = [];
    for (const ref of anchors) {
      this.requireInsideFile(ref, "cannot insert next to", false);
      const labels = [...ref.labels.slice(0, -1), label];
      const sibling = { path: `${parentPath(ref.path)}/${escapeLabel(label)}`, labels };
      this.require(sibling, "write", "cannot insert (would create this node)");
      targets.push(sibling.path);
    }
    return { canonical: anchors.length === 1 ? anchors[0]!.path : p.canonical, targets };
  }

  /** Each matched node and every node below it must be writable, and strictly inside a file. */
  private requireSubtreeWritable(tree: AugeasTree, ref: NodeRef, what: string): NodeRef[] {
    this.requireInsideFile(ref, what, false);
    this.require(ref, "write", what);
    const below = this.descendants(tree, ref);
    for (const d of below) this.require(d, "write", `${what} (a node below it)`);
    return [ref, ...below];
  }

  /** `remove`: each matched node and everything below it. */
  authoriseRemove(tree: AugeasTree, path: string | AugeasPath): WriteAuthorisation {
    const p = this.parse(path);
    this.requireShape(p.canonical, stepsShape(p.steps), "write", "cannot remove");
    this.checkPredicates(tree, p.steps);
    const targets: string[] = [];
    for (const ref of this.resolve(tree, p.canonical)) {
      for (const t of this.requireSubtreeWritable(tree, ref, "cannot remove")) targets.push(t.path);
    }
    return { canonical: p.canonical, targets };
  }

  /** `rename`: each matched node and its descendants, at their old and at their new labels. */
  authoriseRename(tree: AugeasTree, path: string | AugeasPath, label: string): WriteAuthorisation {
    const p = this.parse(path);
    this.requireLabel(p.canonical, label);
    this.requireShape(p.canonical, stepsShape(p.steps), "write", "cannot rename");
    this.requireShape(p.canonical, [...stepsShape(p.steps).slice(0, -1), { kind: "label", label }], "write", `cannot rename to ${JSON.stringify(label)}`);
    this.checkPredicates(tree, p.steps);
    const targets: string[] = [];
    for (const ref of this.resolve(tree, p.canonical)) {
      const subtree = this.requireSubtreeWritable(tree, ref, "cannot rename");
      const depth = ref.labels.length;
      const renamed = [...ref.labels.slice(0, -1), label];
      for (const node of subtree) {
        const labels = [...renamed, ...node.labels.slice(depth)];
        this.require({ path: nodePathFromLabels(labels), labels }, "write", "cannot rename (the node at its new name)");
        this.requireStaysHidden(node, labels, "cannot rename");
        targets.push(node.path);
      }
    }
    return { canonical: p.canonical, targets };
  }

  /**
   * `move`: the source and everything below it leave their place (as remove),
   * an existing destination and everything below it are replaced (as
   * remove), a missing destination is created (as set), and every moved node
   * must be writable at its new place.
   */
  authoriseMove(tree: AugeasTree, src: string | AugeasPath, dst: string | AugeasPath): MoveAuthorisation {
    const s = this.parse(src);
    const d = this.parse(dst);
    this.requireShape(s.canonical, stepsShape(s.steps), "write", "cannot move");
    this.requireShape(d.canonical, stepsShape(d.steps), "write", "cannot move to");
    this.checkPredicates(tree, s.steps);
    this.checkPredicates(tree, d.steps);
    const sources = this.resolve(tree, s.canonical);
    const targets: string[] = [];
    const moved = sources.flatMap((ref) => this.requireSubtreeWritable(tree, ref, "cannot move"));
    targets.push(...moved.map((m) => m.path));
    let places: NodeRef[] = this.resolve(tree, d.canonical);
    if (places.length > 0) {
      for (const place of places) targets.push(...this.requireSubtreeWritable(tree, place, "cannot move onto (it would be replaced)").map((m) => m.path));
    } else {
      const created = this.setTargets(tree, "", d.steps, "cannot move to");
      targets.push(...created.map((c) => c.path));
      const last = created[created.length - 1];
      places = last ? [last] : [];
    }
    for (const place of places) {
      this.requireInsideFile(place, "cannot move to", false);
      for (const source of sources) {
        for (const node of moved.filter((m) => isAtOrBelow(m.labels, source.labels))) {
          const labels = [...place.labels, ...node.labels.slice(source.labels.length)];
          this.require({ path: nodePathFromLabels(labels), labels }, "write", "cannot move (the node at its new place)");
          this.requireStaysHidden(node, labels, "cannot move");
        }
      }
    }
    return { src: s.canonical, dst: d.canonical, targets: [...new Set(targets)] };
  }

  /**
   * A rename or a move must not carry a value the client may not see (a
   * secret, or an unreadable node's) to a place where it may see it: that
   * would be a read. Decided from labels alone, never from values.
   */
  private requireStaysHidden(from: NodeRef, toLabels: readonly string[], what: string): void {
    if (this.isValueVisible(from.labels) || !this.isValueVisible(toLabels)) return;
    if (!this.allowed(from.labels, "read")) this.denyHidden(from.labels, `${what} (its value would become readable at its new place)`);
    this.denySecret(from.path, from.labels, `${what} (its value would become readable at its new place)`);
  }

  private requireLabel(target: string, label: string): void {
    const problem = typeof label !== "string" ? "label must be a string" : label.includes("/") ? "a label cannot contain '/'" : labelProblem(label);
    if (problem) throw new PolicyDeniedFault(target, `invalid label ${JSON.stringify(label)}: ${problem}`);
  }

  /**
   * Before every save: the nodes libaugeas marks as modified — the changed
   * nodes, new nodes, the parents of removed nodes, and the node of each
   * changed file — must all lie in a policy file with write patterns, and no
   * loaded file may have lost its node (libaugeas would delete the file).
   * The daemon's own /augeas settings (e.g. /augeas/save) are not file content.
   */
  checkModified(tree: AugeasTree): ModifiedCheck {
    const files = new Set<string>();
    const nodes: string[] = [];
    for (const raw of matchTree(tree, "//*[modified()]")) {
      const labels = nodePathLabels(raw);
      if (labels[0] === "augeas") continue;
      const rule = this.fileFor(labels);
      // A new or emptied directory level above a writable file's node (e.g.
      // /files/etc) is tree structure, not a file; removed file nodes are
      // caught below through /augeas/files.
      if (!rule && this.files.some((f) => f.write.length > 0 && f.nodeLabels.length > labels.length && isAtOrBelow(f.nodeLabels, labels))) {
        nodes.push(raw);
        continue;
      }
      if (!rule || rule.write.length === 0) {
        const shown = rule && !this.allowed(labels, "read") ? rule.node : raw;
        throw new PolicyDeniedFault(shown, rule ? `the file ${rule.path} is read-only in the policy but has changes` : "a change lies outside every [[augeas.file]]: nothing outside policy files may be saved", rule?.path);
      }
      files.add(rule.path);
      nodes.push(raw);
    }
    for (const pathNode of matchTree(tree, "/augeas/files//path")) {
      const value = tree.get(augeasArg(pathNode), BYTES);
      const fileNode = value ? treeText(value) : undefined;
      if (fileNode !== undefined && fileNode.startsWith("/files/") && matchTree(tree, canonicalNodePath(fileNode) ?? fileNode).length === 0) {
        throw new PolicyDeniedFault(fileNode, "the node of this file was removed: saving would delete the file");
      }
    }
    return { files: [...files], nodes };
  }
}

function isAtOrBelow(labels: readonly string[], ancestor: readonly string[]): boolean {
  return ancestor.length <= labels.length && ancestor.every((l, i) => labels[i] === l);
}

/** The path up to the last unescaped '/'. */
function parentPath(path: string): string {
  let lastSlash = 0;
  for (let i = 0; i < path.length; i++) {
    if (path[i] === "\\") i++;
    else if (path[i] === "/") lastSlash = i;
  }
  return path.slice(0, lastSlash);
}

/** An unambiguous key for a shape (labels are length-prefixed, so no label can forge a separator). */
function shapeKey(access: Access, shape: readonly PatternSegment[]): string {
  let key = access;
  for (const s of shape) key += s.kind === "label" ? `/${s.label.length}:${s.label}` : `/${s.kind}`;
  return key;
}

/** The labels a shape starts with, up to its first wildcard (enough to name the file a path lies in). */
function leadingLabels(shape: readonly PatternSegment[]): string[] {
  const labels: string[] = [];
  for (const s of shape) {
    if (s.kind !== "label") break;
    labels.push(s.label);
  }
  return labels;
}

function describeShape(shape: readonly PatternSegment[]): string {
  return (
    "/" +
    shape.map((s) => (s.kind === "label" ? escapeLabel(s.label) : s.kind === "one" ? "*" : "**")).join("/")
  );
}
