/**
 * Unified diffs of pending changes, with `a/` and `b/` prefixes as git and
 * patch(1) expect. jsdiff computes the hunks; only the header format is ours.
 *
 * Files are bytes, and need not be UTF-8 (a Latin-1 hosts file). Lines are
 * compared as bytes, so a change of a byte that is not UTF-8 is never lost in
 * decoding. Text that is UTF-8 throughout is diffed and shown as it is; in the
 * diff of a file that is not, every line is shown escaped — `\\` for each
 * backslash, `\xNN` for each byte outside a valid UTF-8 sequence — so two
 * different lines never look alike (see the protocol's FileDiff).
 */
import { isUtf8 } from "node:buffer";
import { structuredPatch } from "diff";
import type { NodeChange } from "@machina/protocol";
import { bytesOfValue } from "@machina/protocol";
import { treeText } from "./tree-text.js";

const asBytes = (text: string | Uint8Array): Buffer =>
  typeof text === "string" ? Buffer.from(text, "utf8") : Buffer.from(text.buffer, text.byteOffset, text.byteLength);

export function unifiedDiff(file: string, before: string | Uint8Array, after: string | Uint8Array): string {
  const a = asBytes(before);
  const b = asBytes(after);
  const utf8 = isUtf8(a) && isUtf8(b);
  // latin1 maps each byte to one character and back: jsdiff then compares exact bytes.
  const encoding = utf8 ? "utf8" : "latin1";
  const shown = utf8 ? (line: string) => line : (line: string) => escapedLine(Buffer.from(line, "latin1"));
  const name = file.replace(/^\//, "");
  const patch = structuredPatch(`a/${name}`, `b/${name}`, a.toString(encoding), b.toString(encoding), undefined, undefined, { context: 3 });
  let out = `--- a/${name}\n+++ b/${name}\n`;
  for (const h of patch.hunks) {
    out += `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n`;
    for (const line of h.lines) out += /^[-+ ]/.test(line) ? `${line[0]}${shown(line.slice(1))}\n` : `${line}\n`;
  }
  return out;
}

/** A line's bytes for display, one-to-one: `\\` for a backslash, `\xNN` for a byte outside a valid UTF-8 sequence. */
function escapedLine(bytes: Buffer): string {
  return treeText(bytes).replace(/\\|[\udc80-\udcff]/gu, (ch) => (ch === "\\" ? "\\\\" : `\\x${(ch.charCodeAt(0) - 0xdc00).toString(16).toUpperCase()}`));
}

/** A value quoted for a node diff: JSON string syntax, with `\xNN` for each byte that is not part of valid UTF-8. */
function quoteValue(value: NonNullable<NodeChange["before"]>): string {
  const json = JSON.stringify(typeof value === "string" ? value : treeText(bytesOfValue(value)));
  return json.replace(/\\(udc[89a-f][0-9a-f]|[\s\S])/g, (whole, escape: string) => (escape.length === 5 ? `\\x${escape.slice(3).toUpperCase()}` : whole));
}

/**
 * The readable node changes of a file, for people, in unified-diff form: one
 * `-NODE = value` line for what is on disk and one `+NODE = value` line for
 * what a save would write (`NODE` without a value when it has none, `NODE
 * (value hidden)` for a secret one, whatever its value).
 */
export function nodeChangeDiff(file: string, changes: readonly NodeChange[]): string {
  const name = file.replace(/^\//, "");
  const line = (c: NodeChange, value: NodeChange["before"]) => (c.hidden ? `${c.node} (value hidden)` : value === null ? c.node : `${c.node} = ${quoteValue(value)}`);
  let out = `--- a/${name} (readable nodes)\n+++ b/${name} (readable nodes)\n`;
  if (changes.length > 0) out += `@@ readable nodes @@\n`;
  for (const c of changes) {
    if (c.change !== "added") out += `-${line(c, c.before)}\n`;
    if (c.change !== "removed") out += `+${line(c, c.after)}\n`;
  }
  return out;
}
