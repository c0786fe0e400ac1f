/**
 * What each file looked like on disk when the session's tree was loaded, so a
 * save can refuse to overwrite a file somebody else changed in the meantime.
 *
 * libaugeas reads a file in aug_load and we read it again to snapshot it: two
 * reads, between which another writer may change it. A snapshot taken after
 * the load could then hold the new bytes while the tree holds the old ones,
 * and a save would silently revert the other writer's change. So a snapshot
 * is only taken of bytes the tree is known to stand for: the lens parses the
 * bytes we read into a scratch tree under /augeas (which no client path
 * reaches and no save writes) and it must equal the file's tree node for node
 * — whatever happened between the two reads, the snapshot then describes what
 * the tree holds. (After a save the snapshot is of the bytes the daemon put
 * in place itself: workspace.ts.) A snapshot the tree no longer stands for is
 * `stale`: saving that file is a conflict until the session starts over.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Augeas } from "augeas-node-bindings";

export interface FileSnapshot {
  exists: boolean;
  sha256?: string;
  /** Why the tree does not stand for the file on disk any more; saving it is a conflict. */
  stale?: string;
}

const SCRATCH = "/augeas/machina-snapshot";

/** The file's bytes on disk, or null when it does not exist. */
export function readBytes(root: string, file: string): Buffer | null {
  try {
    return fs.readFileSync(path.join(root, file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

export function snapshotOf(bytes: Buffer | null): FileSnapshot {
  return bytes === null ? { exists: false } : { exists: true, sha256: crypto.createHash("sha256").update(bytes).digest("hex") };
}

/** True when the two snapshots describe the same bytes (neither stale). */
export function sameBytes(a: FileSnapshot, b: FileSnapshot): boolean {
  return !a.stale && !b.stale && a.exists === b.exists && a.sha256 === b.sha256;
}

/**
 * True when the tree of `file` is what `lens` makes of `bytes` (null: the file
 * does not exist, and neither does its tree). Only for a tree without pending
 * edits: right after a load.
 */
export function treeParsedFrom(aug: Augeas, lens: string, file: string, bytes: Buffer | null): boolean {
  const node = `/files${file}`;
  if (bytes === null) return aug.match(node).length === 0;
  try {
    aug.set(`${SCRATCH}/text`, bytes.toString("utf8"));
    aug.textStore(lens, `${SCRATCH}/text`, `${SCRATCH}/tree`);
    return sameTree(entries(aug, `${SCRATCH}/tree`), entries(aug, node));
  } catch {
    // Bytes the lens cannot parse (or cannot even be handed to it) are not what it parsed.
    return false;
  } finally {
    aug.rm(SCRATCH);
  }
}

/** Every node below `base`, in document order: its path below `base` and its value. */
function entries(aug: Augeas, base: string): [string, string | null][] {
  return aug.match(`${base}//*`).map((p) => [p.slice(base.length), aug.get(p) ?? null]);
}

function sameTree(a: [string, string | null][], b: [string, string | null][]): boolean {
  return a.length === b.length && a.every(([p, v], i) => b[i]![0] === p && b[i]![1] === v);
}

/** Why the file on disk no longer matches the snapshot, or undefined when it does. */
export function changedSince(root: string, file: string, before: FileSnapshot): string | undefined {
  if (before.stale) return before.stale;
  const now = snapshotOf(readBytes(root, file));
  if (now.exists !== before.exists) return now.exists ? "it was created" : "it was removed";
  if (now.sha256 !== before.sha256) return "its content differs";
  return undefined;
}

/** The file's text on disk, or "" when it does not exist. */
export function readText(root: string, file: string): string {
  try {
    return fs.readFileSync(path.join(root, file), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw e;
  }
}
