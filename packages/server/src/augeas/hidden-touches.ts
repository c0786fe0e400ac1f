/**
 * Which nodes of a file the session's pending edits touched, for the nodes
 * whose values the client may not see (secret, or unreadable). A preview
 * cannot compare such a node's values to decide whether to list it — the
 * answer would tell whether a value set equals the one on disk — so it lists
 * a secret node as changed exactly when this says an edit touched it, and
 * a file whenever an edit touched any hidden value in it. Decided from the
 * edits alone (paths, never values).
 *
 * A node is touched when an edit named it (its path when the edit ran), or
 * when an edit that reshapes the tree (insert, move, rename, remove) may have
 * shifted its position: it lies below a same-labelled sibling of a node that
 * edit named. The second rule also covers a named node that later edits
 * moved to another position; both may list a node whose value is in fact
 * equal, never miss one an edit changed.
 */
import { parseNodePath, type NodePathSegment } from "./augeas-label.js";
import type { FileRule } from "./augeas-section.js";

/** What the touch rules need of a journal entry (see JournalEntry). */
export interface TouchingEdit {
  files: readonly string[];
  /** The nodes it set, created, moved or removed, as node paths when it ran. */
  targets: readonly string[];
  /** True unless it only sets values: it may shift the positions of other nodes. */
  reshapes: boolean;
}

/** A node's place: label and position per step, a missing position as 1 (libaugeas writes `a` for a lone node, `a[1]` once it has siblings). */
type Place = readonly (readonly [string, number])[];

export interface HiddenTouches {
  /** Some edit named a node of the file whose value the client may not see. */
  readonly any: boolean;
  /** Hidden-valued nodes an edit named, by place. */
  readonly named: ReadonlySet<string>;
  /** Where a reshaping edit may have shifted nodes: below `parent`, the siblings labelled `label`, and everything below them. */
  readonly shifted: readonly { parent: Place; label: string }[];
}

function placeOf(segments: readonly NodePathSegment[]): Place {
  return segments.map((s) => [s.label, s.position ?? 1] as const);
}

const placeKey = (place: Place): string => JSON.stringify(place);

function inFile(rule: FileRule, place: Place): boolean {
  return rule.nodeLabels.length <= place.length && rule.nodeLabels.every((l, i) => place[i]![0] === l);
}

/** The touches the edits (in order) made to `rule`'s file, for nodes `isValueVisible` hides. */
export function hiddenTouches(edits: readonly TouchingEdit[], rule: FileRule, isValueVisible: (node: string) => boolean): HiddenTouches {
  let any = false;
  const named = new Set<string>();
  const shifted: { parent: Place; label: string }[] = [];
  for (const edit of edits) {
    if (!edit.files.includes(rule.path)) continue;
    for (const target of edit.targets) {
      const place = placeOf(parseNodePath(target));
      if (!inFile(rule, place)) continue;
      if (edit.reshapes && place.length > rule.nodeLabels.length) shifted.push({ parent: place.slice(0, -1), label: place[place.length - 1]![0] });
      if (isValueVisible(target)) continue;
      any = true;
      named.add(placeKey(place));
    }
  }
  return { any, named, shifted };
}

/** True when the touches cover `node` (a node path as the tree names it now). */
export function isTouched(touches: HiddenTouches, node: string): boolean {
  const place = placeOf(parseNodePath(node));
  if (touches.named.has(placeKey(place))) return true;
  return touches.shifted.some(
    ({ parent, label }) => place.length > parent.length && place[parent.length]![0] === label && parent.every(([l, p], i) => place[i]![0] === l && place[i]![1] === p),
  );
}
