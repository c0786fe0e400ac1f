import type { FileError } from "./errors.js";
import type { NativeHandle } from "./native.js";

/**
 * Which part of `/augeas` to read: what a save writes (`files`), what a
 * load writes (`files` plus transform errors), what text calls write.
 */
export type ErrorScope = "all" | "save" | "load" | "text";

// Not "/augeas//error": that also matches /augeas/error, where libaugeas
// keeps the last path-expression error, which is no file's problem.
const scopePatterns: Record<ErrorScope, readonly string[]> = {
  all: ["/augeas/files//error", "/augeas/load/*/error", "/augeas/text//error"],
  save: ["/augeas/files//error"],
  load: ["/augeas/files//error", "/augeas/load/*/error"],
  text: ["/augeas/text//error"],
};

const FILES = "/augeas/files";
const LOAD = "/augeas/load/";
const TEXT = "/augeas/text";
const ERROR = "/error";

// Paths from aug_match escape path syntax characters with a backslash.
function unescapePath(path: string): string {
  return path.replace(/\\(.)/g, "$1");
}

function optionalNumber(text: string | null | undefined): number | undefined {
  if (text == null) return undefined;
  const n = Number(text);
  return Number.isInteger(n) ? n : undefined;
}

function optionalString(text: string | null | undefined): string | undefined {
  return text == null ? undefined : text;
}

function readDetails(handle: NativeHandle, node: string): Omit<FileError, "file" | "node" | "kind"> {
  const details: Omit<FileError, "file" | "node" | "kind"> = {};
  const message = optionalString(handle.get(`${node}/message`));
  if (message !== undefined) details.message = message;
  const line = optionalNumber(handle.get(`${node}/line`));
  if (line !== undefined) details.line = line;
  const char = optionalNumber(handle.get(`${node}/char`));
  if (char !== undefined) details.char = char;
  const pos = optionalNumber(handle.get(`${node}/pos`));
  if (pos !== undefined) details.pos = pos;
  const lens = optionalString(handle.get(`${node}/lens`));
  if (lens !== undefined) details.lens = lens;
  const path = optionalString(handle.get(`${node}/path`));
  if (path !== undefined) details.path = path;
  return details;
}

function readOne(handle: NativeHandle, node: string): FileError[] {
  const value = handle.get(node);
  // A file-info node for a file literally named "error" matches too; real
  // error nodes always carry a value.
  if (typeof value !== "string") return [];
  if (node.startsWith(LOAD)) {
    // A transform whose lens could not be used: its value is the message.
    const transform = node.slice(0, -ERROR.length);
    const lens = handle.get(`${transform}/lens`);
    const base = { node, kind: "transform_failed", message: value, ...(typeof lens === "string" ? { lens } : {}) };
    const incl = handle.match(`${transform}/incl`).map((p) => handle.get(p));
    const files = incl.filter((f): f is string => typeof f === "string");
    return files.length === 0 ? [{ file: null, ...base }] : files.map((file) => ({ file, ...base }));
  }
  let file: string | null = null;
  for (const prefix of [FILES, TEXT]) {
    if (node.startsWith(prefix + "/") && node.endsWith(ERROR)) {
      file = unescapePath(node.slice(prefix.length, -ERROR.length));
    }
  }
  return [{ file, node, kind: value, ...readDetails(handle, node) }];
}

// Kinds only aug_load writes. A file that failed to load has no tree, so a
// save cannot concern it; its stale load error is left out of save reports.
const loadOnlyKinds = new Set(["read_failed", "parse_failed", "parse_skel_failed", "mxfm_load"]);

/** Reads the problems libaugeas recorded under `/augeas` for `scope`. */
export function readFileErrors(handle: NativeHandle, scope: ErrorScope): FileError[] {
  const result: FileError[] = [];
  for (const pattern of scopePatterns[scope]) {
    for (const node of handle.match(pattern)) result.push(...readOne(handle, node));
  }
  return scope === "save" ? result.filter((e) => !loadOnlyKinds.has(e.kind)) : result;
}

/** One line per problem, for error messages: "/etc/hosts: put_failed (Failed to match ...)". */
export function summarize(errors: readonly FileError[]): string {
  return errors
    .map((e) => {
      const firstLine = e.message?.split("\n", 1)[0];
      const where = e.line !== undefined ? ` at line ${e.line}${e.char !== undefined ? `:${e.char}` : ""}` : "";
      return `${e.file ?? e.node}: ${e.kind}${where}${firstLine ? ` (${firstLine})` : ""}`;
    })
    .join("; ");
}
