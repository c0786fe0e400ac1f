/**
 * Node paths as clients see them. Client paths are ASCII (augeas-path.ts):
 * a label's bytes from 0x80 to 0xFF are written `%HH`, so a Latin-1 label
 * `caf` 0xE9 is `caf%E9` and a UTF-8 `café` is `caf%C3%A9`. The daemon's own
 * paths are tree text (tree-text.ts), with such labels escaped by a backslash
 * per character (escapeLabel); these functions turn them into the client's
 * spelling — lossless, and accepted back by the path grammar.
 */
import { parseNodePath } from "./augeas-label.js";
import { treeBytes } from "./tree-text.js";

/** `%HH` for every byte of one character (a code point, or one escaped byte). */
function percentBytes(ch: string): string {
  let out = "";
  for (const b of treeBytes(ch)) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/**
 * A daemon path (tree text: a canonical path, or one libaugeas answered) in
 * the client's spelling: every character beyond ASCII, escaped by a backslash
 * or not, becomes `%HH` per byte; everything else stays as it is. An ASCII
 * path is returned unchanged.
 */
export function clientPathText(path: string): string {
  if (/^[\x00-\x7f]*$/.test(path)) return path;
  return path.replace(/\\([^\x00-\x7f])|\\([\s\S])|([^\x00-\x7f])/gu, (whole, escaped?: string, _ascii?: string, raw?: string) => {
    const ch = escaped ?? raw;
    return ch === undefined ? whole : percentBytes(ch);
  });
}

/**
 * Text for a client that may quote daemon paths (an error message, a reason):
 * only what stands for a label's bytes — a backslash-escaped character beyond
 * ASCII, or a byte that is not UTF-8 — becomes `%HH`; other text (an em dash
 * in a message, a policy file's name) stays as it is.
 */
export function clientMessageText(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return text.replace(/\\([^\x00-\x7f])|\\([\s\S])|([\udc80-\udcff])/gu, (whole, escaped?: string, _ascii?: string, raw?: string) => {
    const ch = escaped ?? raw;
    return ch === undefined ? whole : percentBytes(ch);
  });
}

/**
 * The client path of a node (a canonical node path, tree text), or undefined
 * when no client path can spell one of its labels: a label holding a control
 * character (the path grammar refuses them: pathx strips trailing white space
 * byte by byte, escaped or not), or `.`/`..`/empty (pathx reads them as steps).
 */
export function clientNodePath(canonical: string): string | undefined {
  for (const { label } of parseNodePath(canonical)) {
    if (label === "" || label === "." || label === ".." || /[\x00-\x1f\x7f]/.test(label)) return undefined;
  }
  return clientPathText(canonical);
}
