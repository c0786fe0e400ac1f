/*
 * Static questions about node patterns, answered without looking at the tree:
 * "can any node of this shape be readable?" and "is every node of this shape
 * readable?". Deciding from the shape of a path, not from what exists, is
 * what keeps refusals from revealing whether an unreadable node exists.
 *
 * A shape and a pattern are both sequences of label / `*` / `**` segments, so
 * both are small automata over labels. Patterns only ever compare labels for
 * equality with their literals, so the alphabet "every literal mentioned,
 * plus one label that is none of them" decides exactly; the answer is a
 * product exploration of the shape against the subset construction of the
 * union of patterns.
 */
import { closure, stepSegments, type PatternSegment } from "./node-pattern.js";

/** A label that equals no literal (labels never contain NUL). */
const OTHER = "\u0000other";

type PatternSet = readonly (readonly PatternSegment[])[];

function alphabet(shape: readonly PatternSegment[], patterns: PatternSet): string[] {
  const labels = new Set<string>([OTHER]);
  for (const seq of [shape, ...patterns]) for (const seg of seq) if (seg.kind === "label") labels.add(seg.label);
  return [...labels];
}

/** State of the union automaton: for each pattern, the set of positions reached. */
type UnionState = Set<number>[];

function unionKey(state: UnionState): string {
  return state.map((s) => [...s].sort((a, b) => a - b).join(",")).join("|");
}

function unionAccepts(patterns: PatternSet, state: UnionState): boolean {
  return state.some((s, i) => s.has(patterns[i]!.length));
}

/**
 * Explores every run of `shape` paired with the union automaton. `visit` is
 * told about each pair where the shape accepts; returning true stops early.
 */
function explore(
  shape: readonly PatternSegment[],
  patterns: PatternSet,
  visit: (accepts: boolean) => boolean,
): boolean {
  const symbols = alphabet(shape, patterns);
  const start: UnionState = patterns.map((p) => closure(p, new Set([0])));
  const seen = new Set<string>();
  const queue: [number, UnionState][] = [];
  const push = (s: number, u: UnionState): void => {
    const key = `${s}#${unionKey(u)}`;
    if (seen.has(key)) return;
    seen.add(key);
    queue.push([s, u]);
  };
  for (const s of closure(shape, new Set([0]))) push(s, start);
  while (queue.length > 0) {
    const [s, u] = queue.shift()!;
    if (s === shape.length && visit(unionAccepts(patterns, u))) return true;
    for (const label of symbols) {
      const nextShape = stepSegments(shape, [s], label);
      if (nextShape.size === 0) continue;
      const nextUnion = u.map((states, i) => stepSegments(patterns[i]!, states, label));
      for (const s2 of nextShape) push(s2, nextUnion);
    }
  }
  return false;
}

/** Whether some label sequence of `shape` is matched by some pattern. */
export function shapeIntersects(shape: readonly PatternSegment[], patterns: PatternSet): boolean {
  if (patterns.length === 0) return false;
  return explore(shape, patterns, (accepts) => accepts);
}

/** Whether every label sequence of `shape` is matched by some pattern. */
export function shapeCovered(shape: readonly PatternSegment[], patterns: PatternSet): boolean {
  // covered ⇔ no run reaches the end of the shape outside every pattern
  return !explore(shape, patterns, (accepts) => !accepts);
}
