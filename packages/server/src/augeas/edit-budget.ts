/**
 * The session's edits, held to bounds (SessionLimits in limits.ts): edits
 * pending and the bytes they hold, and the size of each policy file's tree.
 * Every edit is priced before it runs, from the change and the nodes its
 * authorisation resolved (`editCost`); `admit` refuses it (`limit-exceeded`)
 * before anything changes, so the pending edits stay exactly as they were.
 *
 * Tree size is checked per file, not per session: a session could otherwise
 * save, reconnect and go on growing the same file. An edit's node count is an
 * upper bound (every node it names may be new); only when that bound would
 * cross the limit is the file's tree counted (aug_defvar counts a node set
 * without building its paths: ~2 ms for 50 000 nodes) and the named nodes
 * that already exist taken off. File bytes are the size on disk at the last
 * load or save plus what pending edits add: exact counting would take a put
 * of the file (seconds for a large one).
 *
 * Limits are plain data, so this can run wherever the tree lives.
 */
import type { AugeasEdit } from "@machina/protocol";
import { LimitExceededFault } from "../faults.js";
import type { SessionLimits } from "../limits.js";
import { valueByteLength } from "./augeas-value.js";

/** The limits this file enforces. */
export type EditLimits = Pick<SessionLimits, "maxPendingEdits" | "maxPendingBytes" | "maxFileNodes" | "maxFileBytes" | "maxApplyChanges">;

/** What one edit adds to one policy file. */
interface FileGrowth {
  /** Nodes it may add: an upper bound. */
  nodes: number;
  /** Of the nodes it names, those that may exist already (set, setm): not growth if they do. */
  maybeExisting: string[];
  /** Bytes it may add to the file's tree: values, and labels (bounded by the node paths it names). */
  bytes: number;
}

/** The price of one edit, known before it runs. */
export interface EditCost {
  /** Bytes its journal entry holds: paths, labels, values (a setm value once per node it sets), resolved node paths. */
  readonly bytes: number;
  /** Per policy file (its path, e.g. /etc/hosts) that the edit may grow: what it adds. */
  readonly growth: ReadonlyMap<string, FileGrowth>;
}

/** What `admit` needs of the tree and the files. */
export interface BudgetView {
  /** Nodes below the file's node in the tree, counted now. */
  countNodes(file: string): number;
  /** True when the node (a canonical node path) exists. */
  exists(node: string): boolean;
  /** The file's size on disk at its last load or save (0 when it did not exist). */
  diskSize(file: string): number;
}

const utf8 = (s: string | null | undefined): number => (s ? Buffer.byteLength(s, "utf8") : 0);

/**
 * Prices an authorised change: `targets` are the nodes authorisation resolved
 * (what the change sets, creates, moves or removes), `fileOf` maps a node to
 * its policy file.
 */
export function editCost(change: AugeasEdit, targets: readonly string[], fileOf: (node: string) => string | undefined): EditCost {
  const { op } = change;
  let named = 0;
  for (const t of targets) named += utf8(t);
  const paths = op === "move" ? utf8(change.source) + utf8(change.destination) : op === "setm" ? utf8(change.base) + utf8(change.sub) : utf8(change.path);
  const value = op === "set" || op === "setm" ? valueByteLength(change.value) : 0;
  const label = op === "insert" || op === "rename" ? utf8(change.label) : 0;
  // A setm's value is stored once per node it sets; an insert's or rename's label once per node.
  const copies = op === "setm" || op === "insert" || op === "rename" ? targets.length : 1;
  const bytes = paths + named + (value + label) * Math.max(1, copies);

  const growth = new Map<string, FileGrowth>();
  if (op === "remove") return { bytes, growth };
  for (const t of targets) {
    const file = fileOf(t);
    if (file === undefined) continue;
    let g = growth.get(file);
    if (!g) growth.set(file, (g = { nodes: 0, maybeExisting: [], bytes: 0 }));
    switch (op) {
      case "set":
      case "clear":
      case "touch":
      case "setm":
        // The node set, or one created on the way to it: its label and (the set one) its value.
        g.nodes++;
        g.maybeExisting.push(t);
        g.bytes += utf8(t) + (op === "setm" ? value : 0);
        break;
      case "insert":
        g.nodes++;
        g.bytes += label;
        break;
      case "move":
        // Moved nodes keep their values; their labels and places are new to this file.
        g.nodes++;
        g.bytes += utf8(t);
        break;
      case "rename":
        g.bytes += label;
        break;
    }
  }
  // A set stores its value once, in the file of the node it sets.
  if (op === "set" && value > 0) {
    const file = targets.length > 0 ? fileOf(targets[targets.length - 1]!) : undefined;
    const g = file === undefined ? undefined : growth.get(file);
    if (g) g.bytes += value;
  }
  return { bytes, growth };
}

/** Refuses an `augeas.apply` of more changes than the limit, before any is looked at. */
export function checkApplyChanges(count: number, limits: EditLimits): void {
  if (count > limits.maxApplyChanges) throw new LimitExceededFault("apply-changes", limits.maxApplyChanges, `augeas.apply with ${count} changes`);
}

/** The costs of the pending edits, in journal order, their sums, and what is known of each file's tree. */
export class EditBudget {
  private costs: EditCost[] = [];
  private pendingBytes = 0;
  /** Per file: bytes pending edits add to it. */
  private fileBytes = new Map<string, number>();
  /**
   * Per file: an upper bound of the nodes in its tree, from the last count
   * plus what admitted edits may have added since; forgotten whenever the
   * tree is rebuilt, or an admitted edit did not complete.
   */
  private nodeBounds = new Map<string, number>();
  /** The edit admitted last, until it is added; still set at the next admit means it failed half-way. */
  private admitted: EditCost | undefined;

  constructor(readonly limits: EditLimits) {}

  /**
   * Throws LimitExceededFault when performing an edit of this cost would go
   * beyond a limit; the pending edits do not change either way.
   */
  admit(cost: EditCost, view: BudgetView): void {
    const l = this.limits;
    // An edit admitted before that never completed may have changed the tree part-way.
    if (this.admitted) this.nodeBounds.clear();
    this.admitted = undefined;
    if (this.costs.length + 1 > l.maxPendingEdits) {
      throw new LimitExceededFault("pending-edits", l.maxPendingEdits, "too many edits pending; save or discard them first");
    }
    if (this.pendingBytes + cost.bytes > l.maxPendingBytes) {
      throw new LimitExceededFault("pending-bytes", l.maxPendingBytes, `pending edits would hold ${this.pendingBytes + cost.bytes} bytes; save or discard them first`);
    }
    for (const [file, g] of cost.growth) {
      const size = view.diskSize(file) + (this.fileBytes.get(file) ?? 0) + g.bytes;
      if (g.bytes > 0 && size > l.maxFileBytes) {
        throw new LimitExceededFault("file-bytes", l.maxFileBytes, `${file} would grow to about ${size} bytes`, file);
      }
      if (g.nodes === 0) continue;
      let bound = this.nodeBounds.get(file);
      if (bound !== undefined && bound + g.nodes <= l.maxFileNodes) continue;
      bound = view.countNodes(file);
      this.nodeBounds.set(file, bound);
      if (bound + g.nodes <= l.maxFileNodes) continue;
      // Near the limit: the nodes the edit names that exist already are not growth.
      let added = g.nodes;
      for (const node of g.maybeExisting) if (view.exists(node)) added--;
      if (bound + added > l.maxFileNodes) {
        throw new LimitExceededFault("file-nodes", l.maxFileNodes, `${file} has ${bound} nodes and this edit may add ${added}`, file);
      }
    }
    this.admitted = cost;
  }

  /** The admitted edit was performed. */
  add(cost: EditCost): void {
    if (this.admitted === cost) this.admitted = undefined;
    this.costs.push(cost);
    this.pendingBytes += cost.bytes;
    for (const [file, g] of cost.growth) {
      this.fileBytes.set(file, (this.fileBytes.get(file) ?? 0) + g.bytes);
      const bound = this.nodeBounds.get(file);
      if (bound !== undefined) this.nodeBounds.set(file, bound + g.nodes);
    }
  }

  /** Keeps the first `count` edits: the tree was rebuilt from disk and they were replayed. */
  rolledBack(count: number): void {
    const kept = this.costs.slice(0, count);
    this.reset();
    for (const cost of kept) this.add(cost);
  }

  /** The pending edits were saved: none is pending, and the tree is unchanged. */
  saved(): void {
    this.costs = [];
    this.pendingBytes = 0;
    this.fileBytes = new Map();
  }

  /** The tree was reloaded from disk: nothing pending, nothing known. */
  reset(): void {
    this.saved();
    this.nodeBounds = new Map();
    this.admitted = undefined;
  }
}
