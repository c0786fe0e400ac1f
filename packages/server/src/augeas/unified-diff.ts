/**
 * Unified diffs of pending changes, with `a/` and `b/` prefixes as git and
 * patch(1) expect. jsdiff computes the hunks; only the header format is ours.
 */
import { structuredPatch } from "diff";
import type { NodeChange } from "@machina/protocol";

export function unifiedDiff(file: string, before: string, after: string): string {
  const name = file.replace(/^\//, "");
  const patch = structuredPatch(`a/${name}`, `b/${name}`, before, after, undefined, undefined, { context: 3 });
  let out = `--- a/${name}\n+++ b/${name}\n`;
  for (const h of patch.hunks) {
    out += `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n`;
    for (const line of h.lines) out += `${line}\n`;
  }
  return out;
}

/**
 * The readable node changes of a file, for people, in unified-diff form: one
 * `-NODE = value` line for what is on disk and one `+NODE = value` line for
 * what a save would write (`NODE` without a value when it has none, `NODE
 * (value hidden)` for a secret one, whatever its value).
 */
export function nodeChangeDiff(file: string, changes: readonly NodeChange[]): string {
  const name = file.replace(/^\//, "");
  const line = (c: NodeChange, value: string | null) => (c.hidden ? `${c.node} (value hidden)` : value === null ? c.node : `${c.node} = ${JSON.stringify(value)}`);
  let out = `--- a/${name} (readable nodes)\n+++ b/${name} (readable nodes)\n`;
  if (changes.length > 0) out += `@@ readable nodes @@\n`;
  for (const c of changes) {
    if (c.change !== "added") out += `-${line(c, c.before)}\n`;
    if (c.change !== "removed") out += `+${line(c, c.after)}\n`;
  }
  return out;
}
