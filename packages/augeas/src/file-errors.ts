import type { FileError } from "./errors.js";
import type { NativeHandle } from "./native.js";
import { joinBytes } from "./text.js";

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

const FILES = Buffer.from("/augeas/files/");
const LOAD = Buffer.from("/augeas/load/");
const TEXT = Buffer.from("/augeas/text/");
const ERROR = Buffer.from("/error");

// Paths from aug_match escape path syntax characters with a backslash (an ASCII character follows
// it, so working on latin1 text keeps every other byte as it is).
export function unescapePathBytes(path: Buffer): Buffer {
  return Buffer.from(path.toString("latin1").replace(/\\(.)/g, "$1"), "latin1");
}

function optionalNumber(text: string | null | undefined): number | undefined {
  if (text == null) return undefined;
  const n = Number(text);
  return Number.isInteger(n) ? n : undefined;
}

function optionalString(text: string | null | undefined): string | undefined {
  return text == null ? undefined : text;
}

// Error nodes are read through the exact bytes of their paths: a file whose name is not UTF-8
// has a path no string can address, and its error must not be missed. Only the report is text.
function readDetails(handle: NativeHandle, node: Buffer): Omit<FileError, "file" | "node" | "kind"> {
  const child = (name: string): string | null | undefined => handle.get(joinBytes(node, "/", name));
  const details: Omit<FileError, "file" | "node" | "kind"> = {};
  const message = optionalString(child("message"));
  if (message !== undefined) details.message = message;
  const line = optionalNumber(child("line"));
  if (line !== undefined) details.line = line;
  const char = optionalNumber(child("char"));
  if (char !== undefined) details.char = char;
  const pos = optionalNumber(child("pos"));
  if (pos !== undefined) details.pos = pos;
  const lens = optionalString(child("lens"));
  if (lens !== undefined) details.lens = lens;
  const path = optionalString(child("path"));
  if (path !== undefined) details.path = path;
  return details;
}

/** A FileError with the exact bytes of its file name (null where `file` is null). */
export interface FileErrorRecord {
  error: FileError;
  fileBytes: Buffer | null;
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && bytes.subarray(0, prefix.length).equals(prefix);
}

function endsWith(bytes: Buffer, suffix: Buffer): boolean {
  return bytes.length >= suffix.length && bytes.subarray(bytes.length - suffix.length).equals(suffix);
}

function readOne(handle: NativeHandle, node: Buffer): FileErrorRecord[] {
  const value = handle.get(node);
  // A file-info node for a file literally named "error" matches too; real
  // error nodes always carry a value.
  if (typeof value !== "string") return [];
  const nodeText = node.toString("utf8");
  if (startsWith(node, LOAD)) {
    // A transform whose lens could not be used: its value is the message.
    const transform = node.subarray(0, node.length - ERROR.length);
    const lens = handle.get(joinBytes(transform, "/lens"));
    const base = { node: nodeText, kind: "transform_failed", message: value, ...(typeof lens === "string" ? { lens } : {}) };
    const incl = handle.match(joinBytes(transform, "/incl"), true).map((p) => handle.get(p, true));
    const files = incl.filter((f): f is Buffer => f instanceof Buffer);
    if (files.length === 0) return [{ error: { file: null, ...base }, fileBytes: null }];
    return files.map((file) => ({ error: { file: file.toString("utf8"), ...base }, fileBytes: file }));
  }
  let fileBytes: Buffer | null = null;
  for (const prefix of [FILES, TEXT]) {
    if (startsWith(node, prefix) && endsWith(node, ERROR)) {
      // The prefix's last "/" starts the file name.
      fileBytes = unescapePathBytes(node.subarray(prefix.length - 1, node.length - ERROR.length));
    }
  }
  const error = { file: fileBytes === null ? null : fileBytes.toString("utf8"), node: nodeText, kind: value, ...readDetails(handle, node) };
  return [{ error, fileBytes }];
}

// Kinds only aug_load writes. A file that failed to load has no tree, so a
// save cannot concern it; its stale load error is left out of save reports.
const loadOnlyKinds = new Set(["read_failed", "parse_failed", "parse_skel_failed", "mxfm_load"]);

/** Reads the problems libaugeas recorded under `/augeas` for `scope`, with file names' bytes. */
export function readFileErrorRecords(handle: NativeHandle, scope: ErrorScope): FileErrorRecord[] {
  const result: FileErrorRecord[] = [];
  for (const pattern of scopePatterns[scope]) {
    for (const node of handle.match(pattern, true)) result.push(...readOne(handle, node));
  }
  return scope === "save" ? result.filter((e) => !loadOnlyKinds.has(e.error.kind)) : result;
}

/** Reads the problems libaugeas recorded under `/augeas` for `scope`. */
export function readFileErrors(handle: NativeHandle, scope: ErrorScope): FileError[] {
  return readFileErrorRecords(handle, scope).map((r) => r.error);
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
