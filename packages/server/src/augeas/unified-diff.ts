/**
 * Unified diffs of pending changes, with `a/` and `b/` prefixes as git and
 * patch(1) expect. jsdiff computes the hunks; only the header format is ours.
 */
import { structuredPatch } from "diff";

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
