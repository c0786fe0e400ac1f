/*
 * Node patterns from the policy (`*`, `**`, `*\/alias`, `#comment`), matched
 * against the decoded labels of a resolved node path below a file's node.
 * Positional suffixes never take part: a rule about `alias` is about every
 * alias, whichever position it has now or after an edit.
 */
import { labelProblem, nodePathLabels, PLAIN_LABEL_CHAR } from "./augeas-label.js";

export type PatternSegment =
  | { kind: "label"; label: string }
  /** `*`: exactly one segment */
  | { kind: "one" }
  /** `**`: zero or more segments */
  | { kind: "any" };

export interface NodePattern {
  /** The text as written in the policy. */
  source: string;
  segments: PatternSegment[];
}

export class NodePatternError extends Error {
  override readonly name = "NodePatternError";
}

/** Compiles `a/*\/b`, `**`, `#comment`, `a\/b` (escaped slash inside a label). Throws NodePatternError. */
export function compileNodePattern(source: string): NodePattern {
  if (source.length === 0) throw new NodePatternError("empty pattern (use \"**\" for the whole file)");
  if (source.startsWith("/")) throw new NodePatternError("patterns are relative to the file's node: no leading '/'");
  if (source.length > 4096) throw new NodePatternError("pattern too long");
  const segments: PatternSegment[] = [];
  for (const raw of splitUnescaped(source)) {
    if (raw === "") throw new NodePatternError("empty segment ('//' or trailing '/')");
    if (raw === "*") segments.push({ kind: "one" });
    else if (raw === "**") {
      // `**/**` means the same as `**`; collapsing keeps matching linear.
      if (segments[segments.length - 1]?.kind !== "any") segments.push({ kind: "any" });
    } else segments.push({ kind: "label", label: decodePatternLabel(raw) });
  }
  return { source, segments };
}

function splitUnescaped(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\") {
      current += text.slice(i, i + 2);
      i++;
    } else if (ch === "/") {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function decodePatternLabel(raw: string): string {
  let label = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === "\\") {
      const next = raw[i + 1];
      if (next === undefined) throw new NodePatternError(`dangling '\\' in ${JSON.stringify(raw)}`);
      label += next;
      i++;
    } else if (ch === "*") {
      throw new NodePatternError(`'*' must be a whole segment (in ${JSON.stringify(raw)})`);
    } else if (ch === "[") {
      throw new NodePatternError(`positional suffixes and predicates are not patterns (in ${JSON.stringify(raw)}); positions are ignored when matching`);
    } else if (!PLAIN_LABEL_CHAR.test(ch)) {
      throw new NodePatternError(`character ${JSON.stringify(ch)} must be escaped with '\\' (in ${JSON.stringify(raw)})`);
    } else label += ch;
  }
  const problem = labelProblem(label);
  if (problem) throw new NodePatternError(`${problem} (in ${JSON.stringify(raw)})`);
  return label;
}

/** Whether the decoded labels match the pattern. */
export function matchNodePattern(pattern: NodePattern, labels: readonly string[]): boolean {
  return matchSegments(pattern.segments, labels);
}

/** Whether a resolved node path (relative to nothing: give labels below the file node) matches any pattern. */
export function matchesAny(patterns: readonly NodePattern[], labels: readonly string[]): boolean {
  return patterns.some((p) => matchSegments(p.segments, labels));
}

/** Convenience for tests and explain output: match a relative node path string such as `2/alias[1]`. */
export function matchRelativeNodePath(pattern: NodePattern, relative: string): boolean {
  return matchNodePattern(pattern, relative === "" ? [] : nodePathLabels(`/${relative}`));
}

/** Simulation over the set of pattern positions reached; `any` keeps its position. Linear in labels × segments. */
export function matchSegments(segments: readonly PatternSegment[], labels: readonly string[]): boolean {
  let states = closure(segments, new Set([0]));
  for (const label of labels) {
    states = stepSegments(segments, states, label);
    if (states.size === 0) return false;
  }
  return states.has(segments.length);
}

/** The positions reached from `states` by reading one `label` (closed under `**` matching nothing). */
export function stepSegments(segments: readonly PatternSegment[], states: Iterable<number>, label: string): Set<number> {
  const next = new Set<number>();
  for (const s of states) {
    const seg = segments[s];
    if (!seg) continue;
    if (seg.kind === "any") next.add(s);
    else if (seg.kind === "one" || seg.label === label) next.add(s + 1);
  }
  return closure(segments, next);
}

/** Adds the positions reachable by letting `**` match nothing. */
export function closure(segments: readonly PatternSegment[], states: Set<number>): Set<number> {
  const out = new Set(states);
  for (const s of states) {
    let i = s;
    while (segments[i]?.kind === "any") out.add(++i);
  }
  return out;
}
