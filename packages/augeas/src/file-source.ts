// Which file a node belongs to, and what saving that file would write, whether or not the file
// was loaded with span information.
//
// libaugeas 1.14 answers aug_source (and aug_ns_attr's file) with the file node's span filename:
// the on-disk name, root included, for a file loaded while spans were on (AUG_ENABLE_SPAN, or
// /augeas/span = enable at the last aug_load), but the /files path for one loaded without. That
// is a property of each loaded file, not of the handle (spans can be switched at run time, and
// an unchanged file is not reloaded), so the answer is read, not predicted. aug_preview resolves
// the file the same way and fails outright for a file loaded with spans; preview then runs the
// same lens put (aug_text_retrieve) itself.
import { readFileSync } from "node:fs";
import { AugeasError } from "./errors.js";
import type { NativeHandle } from "./native.js";
import { isAtOrBelow, joinBytes, type StringOrBytes } from "./text.js";

const FILES = Buffer.from("/files");

/** The file node owning a node, and how libaugeas named the file. */
export interface FileNode {
  /** The file's top node under /files, as a path expression (exact bytes). */
  node: Buffer;
  /** Set when the file was loaded with spans: libaugeas' on-disk name for it, root included. */
  diskPath?: Buffer;
}

/** Whether libaugeas keeps file information (/augeas/files/...) for the file node `node`. */
function isFileNode(handle: NativeHandle, node: Buffer): boolean {
  return handle.match(joinBytes("/augeas", node, "/path"), true).length === 1;
}

/** The /files path of the file at `relative` (below the root), escaped as a path expression. */
function filesPath(handle: NativeHandle, relative: Buffer): Buffer {
  const parts: Buffer[] = [FILES];
  let start = 0;
  for (let i = 0; i <= relative.length; i++) {
    if (i === relative.length || relative[i] === 0x2f) {
      if (i > start) parts.push(Buffer.from("/"), handle.escapeName(relative.subarray(start, i), true));
      start = i + 1;
    }
  }
  return Buffer.concat(parts);
}

/**
 * Turns what aug_source (or aug_ns_attr) answered for a node into its file node. `nodePath`
 * gives the node's fully qualified path, to tell the two readings apart in the one case where
 * both name a loaded file (root "/" and a directory /files on disk).
 */
export function resolveSource(handle: NativeHandle, source: Buffer, nodePath: () => Buffer | undefined): FileNode {
  const candidates: FileNode[] = [];
  const root = handle.get("/augeas/root", true);
  if (root instanceof Buffer && source.length > root.length && source.subarray(0, root.length).equals(root)) {
    const node = filesPath(handle, source.subarray(root.length));
    if (isFileNode(handle, node)) candidates.push({ node, diskPath: source });
  }
  if (source.length > FILES.length && source.subarray(0, FILES.length + 1).equals(joinBytes(FILES, "/")) && isFileNode(handle, source)) {
    candidates.push({ node: source });
  }
  if (candidates.length > 1) {
    const path = nodePath();
    const owner = path === undefined ? undefined : candidates.find((c) => isAtOrBelow(path, c.node));
    if (owner !== undefined) return owner;
  }
  // Nothing recorded for it (its /augeas/files entry was removed): take libaugeas' word.
  return candidates[0] ?? { node: source };
}

/** The file node owning the one node `path` selects, or null if it belongs to no file. */
export function fileNodeOf(handle: NativeHandle, path: StringOrBytes): FileNode | null {
  const source = handle.source(path, true);
  if (source === null) return null;
  return resolveSource(handle, source, () => {
    const paths = handle.match(path, true);
    return paths.length === 1 ? paths[0] : undefined;
  });
}

/** Scratch nodes preview uses for a file loaded with spans; removed again within the call. */
export const PREVIEW_SCRATCH = "/augeas/__augeas_node_bindings_preview";

/**
 * What saving the file `file` would write, as aug_preview computes it: the file's current text
 * on disk put back through its lens with the tree's changes. aug_preview itself is used unless
 * the file was loaded with spans, which it cannot handle.
 */
export function previewFile(handle: NativeHandle, file: FileNode, asBuffer: boolean): string | Buffer | null {
  if (file.diskPath === undefined) return handle.preview(file.node, asBuffer);
  const lens = handle.get(joinBytes("/augeas", file.node, "/lens"), true);
  if (!(lens instanceof Buffer)) {
    throw new AugeasError({ code: "ENOLENS", message: "Lens not found", details: `No lens found for path ${file.node.toString("utf8")}` });
  }
  let text: Buffer;
  try {
    text = readFileSync(file.diskPath);
  } catch {
    throw new AugeasError({ code: "EFILEACCESS", message: "Cannot open or read a file", details: `Cannot read file ${file.diskPath.toString("utf8")}` });
  }
  // libaugeas reads the file as a C string: it ends at the first NUL.
  const nul = text.indexOf(0);
  if (nul >= 0) text = text.subarray(0, nul);
  try {
    handle.set(`${PREVIEW_SCRATCH}/in`, text);
    handle.textRetrieve(lens, `${PREVIEW_SCRATCH}/in`, file.node, `${PREVIEW_SCRATCH}/out`);
    const out = handle.get(`${PREVIEW_SCRATCH}/out`, asBuffer);
    return out ?? (asBuffer ? Buffer.alloc(0) : "");
  } finally {
    handle.rm(PREVIEW_SCRATCH);
  }
}
