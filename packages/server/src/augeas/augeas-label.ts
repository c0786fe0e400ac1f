/*
 * Node labels as they appear in Augeas path expressions.
 *
 * Client paths and policy node patterns spell labels with a conservative
 * character set; anything else must be backslash-escaped, the way libaugeas
 * itself escapes labels in the paths aug_match returns (`a\/b`, `a\ b`).
 * Labels are compared in decoded form everywhere, so an escape can never make
 * two different labels look alike.
 */

/** Characters a label may hold without a backslash in client paths and patterns. */
export const PLAIN_LABEL_CHAR = /^[A-Za-z0-9_\-.:#@+~,]$/;

/**
 * Characters the canonical form writes without a backslash. `,` ends names in
 * pathx and `:` could start an axis, so both are escaped; so is `*`, which
 * libaugeas itself leaves unescaped in the paths aug_match returns (a label
 * `*` would come back as a wildcard step).
 */
const CANONICAL_PLAIN_CHAR = /^[A-Za-z0-9_\-.#@+~]$/;

/** Longest label a client may name; Augeas has no limit, we want one. */
export const MAX_LABEL_LENGTH = 1024;

/**
 * Why a decoded label is unacceptable in a client path or pattern, or
 * undefined when it is fine. `beyondAscii`: the label came from a client
 * path, whose `%HH` bytes (tree text, tree-text.ts) it may hold; labels given
 * as plain strings (patterns, insert and rename) stay printable ASCII.
 */
export function labelProblem(label: string, beyondAscii = false): string | undefined {
  if (label.length === 0) return "empty label";
  if (label.length > MAX_LABEL_LENGTH) return `label longer than ${MAX_LABEL_LENGTH} characters`;
  if (/^\.+$/.test(label)) return "a label of only dots is not a label (no '.' or '..' steps)";
  // Escaped or not, no control characters: pathx strips trailing white space
  // byte by byte (isspace), escaped or not. Bytes beyond ASCII are always
  // escaped in the canonical form, so pathx never reads them as syntax.
  if (beyondAscii ? /[\x00-\x1f\x7f]/.test(label) : !/^[\x20-\x7e]+$/.test(label)) {
    return beyondAscii ? "label holds a control character" : "label holds a control or non-ASCII character";
  }
  // pathx reads `name::` at the start of a step as an axis; refusing `::` in labels
  // keeps the canonical form unambiguous without relying on escaping ':'.
  if (label.includes("::")) return "'::' (an axis) is not allowed";
  return undefined;
}

/**
 * The label as libaugeas must read it back: every character outside a small
 * safe set is backslash-escaped. `leadingDigitEscaped` is for the first label
 * of a relative path inside a predicate, where pathx would read `1/x` as the
 * number 1.
 */
export function escapeLabel(label: string, leadingDigitEscaped = false): string {
  let out = "";
  let first = true;
  // By code point: a backslash between the halves of a surrogate pair would leave two lone surrogates.
  for (const ch of label) {
    const plain = CANONICAL_PLAIN_CHAR.test(ch) && !(first && leadingDigitEscaped && /[0-9]/.test(ch));
    out += plain ? ch : `\\${ch}`;
    first = false;
  }
  return out;
}

/** One segment of a resolved node path: its decoded label and positional suffix, if any. */
export interface NodePathSegment {
  label: string;
  position?: number;
}

interface Token {
  ch: string;
  escaped: boolean;
}

/**
 * Splits a node path as returned by aug_match (`/files/etc/hosts/2/alias[1]`,
 * `/files/x/a\/b`) into decoded labels: only an unescaped `/` separates, and
 * an unescaped trailing `[N]` is a position, not part of the label.
 */
export function parseNodePath(path: string): NodePathSegment[] {
  if (!path.startsWith("/")) throw new Error(`not an absolute node path: ${JSON.stringify(path)}`);
  const segments: NodePathSegment[] = [];
  let tokens: Token[] = [];
  const flush = (): void => {
    segments.push(segmentFromTokens(tokens));
    tokens = [];
  };
  for (let i = 1; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === "\\" && i + 1 < path.length) {
      tokens.push({ ch: path[i + 1]!, escaped: true });
      i++;
    } else if (ch === "/") {
      flush();
    } else {
      tokens.push({ ch, escaped: false });
    }
  }
  if (path.length > 1) flush();
  return segments;
}

function segmentFromTokens(tokens: Token[]): NodePathSegment {
  const last = tokens[tokens.length - 1];
  if (last && !last.escaped && last.ch === "]") {
    let j = tokens.length - 2;
    while (j >= 0 && !tokens[j]!.escaped && /[0-9]/.test(tokens[j]!.ch)) j--;
    const open = tokens[j];
    if (open && !open.escaped && open.ch === "[" && j < tokens.length - 2) {
      const digits = tokens.slice(j + 1, -1).map((t) => t.ch).join("");
      return { label: tokens.slice(0, j).map((t) => t.ch).join(""), position: Number(digits) };
    }
  }
  return { label: tokens.map((t) => t.ch).join("") };
}

/** The decoded labels of a resolved node path, positions dropped. */
export function nodePathLabels(path: string): string[] {
  return parseNodePath(path).map((s) => s.label);
}

/** A node path for decoded labels (no positions), in the form libaugeas accepts. */
export function nodePathFromLabels(labels: readonly string[]): string {
  return labels.map((l) => `/${escapeLabel(l)}`).join("");
}

/**
 * A resolved node path re-serialised so that it addresses exactly that node
 * when handed back to libaugeas (aug_match leaves `*` and `$` unescaped), or
 * undefined for a node pathx cannot address at all: pathx reads a label `.`
 * or `..` as a step even when escaped.
 */
export function canonicalNodePath(resolved: string): string | undefined {
  let out = "";
  for (const seg of parseNodePath(resolved)) {
    if (seg.label === "." || seg.label === ".." || seg.label === "") return undefined;
    out += `/${escapeLabel(seg.label)}${seg.position === undefined ? "" : `[${seg.position}]`}`;
  }
  return out;
}
