/**
 * What each file looked like on disk when the session's tree was loaded, so a
 * save can refuse to overwrite a file somebody else changed in the meantime.
 *
 * libaugeas reads a file in aug_load and we read it too: two reads, between
 * which another writer may change it. A snapshot read after the load could
 * then hold the new bytes while the tree holds the old ones, and a save would
 * silently revert the other writer's change. So the file is fingerprinted
 * right before and right after the load — its content, inode and change time
 * (which every write and every rename over it moves, and which no user can
 * set back) — and the snapshot is kept only when both agree: then nothing
 * touched the file while libaugeas read it, and the snapshot describes what
 * the tree holds. (Comparing the tree itself with a parse of the bytes costs
 * libaugeas O(n²) in a file's nodes: seconds for a 10 000-entry hosts file at
 * every session start.) After a save the snapshot is of the bytes the daemon
 * put in place itself (workspace.ts). A snapshot the tree no longer stands
 * for is `stale`: saving that file is a conflict until the session starts over.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface FileSnapshot {
  exists: boolean;
  sha256?: string;
  /** Why the tree does not stand for the file on disk any more; saving it is a conflict. */
  stale?: string;
  /** Bytes on disk (0 when it does not exist; unknown when stale). */
  size?: number;
}

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
  return bytes === null ? { exists: false, size: 0 } : { exists: true, sha256: crypto.createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}

/** True when the two snapshots describe the same bytes (neither stale). */
export function sameBytes(a: FileSnapshot, b: FileSnapshot): boolean {
  return !a.stale && !b.stale && a.exists === b.exists && a.sha256 === b.sha256;
}

/** A file as a load may read it: its snapshot, and the inode and change time it had just before it was read. */
export interface Fingerprint {
  snapshot: FileSnapshot;
  ino: bigint;
  ctimeNs: bigint;
}

export function fingerprint(root: string, file: string): Fingerprint {
  const at = path.join(root, file);
  try {
    const st = fs.statSync(at, { bigint: true });
    return { snapshot: snapshotOf(fs.readFileSync(at)), ino: st.ino, ctimeNs: st.ctimeNs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { snapshot: snapshotOf(null), ino: -1n, ctimeNs: -1n };
    throw e;
  }
}

/** True when nothing wrote or replaced the file between the two fingerprints. */
export function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  return a.ino === b.ino && a.ctimeNs === b.ctimeNs && sameBytes(a.snapshot, b.snapshot);
}

/** Why the file on disk no longer matches the snapshot, or undefined when it does. */
export function changedSince(root: string, file: string, before: FileSnapshot): string | undefined {
  if (before.stale) return before.stale;
  const now = snapshotOf(readBytes(root, file));
  if (now.exists !== before.exists) return now.exists ? "it was created" : "it was removed";
  if (now.sha256 !== before.sha256) return "its content differs";
  return undefined;
}
