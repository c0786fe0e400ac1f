/**
 * What each file looked like on disk when the session's tree was loaded, so a
 * save can refuse to overwrite a file somebody else changed in the meantime.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface FileSnapshot {
  exists: boolean;
  sha256?: string;
  /** Bytes on disk (0 when it does not exist). */
  size: number;
}

export function snapshotFile(root: string, file: string): FileSnapshot {
  try {
    const bytes = fs.readFileSync(path.join(root, file));
    return { exists: true, sha256: crypto.createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { exists: false, size: 0 };
    throw e;
  }
}

/** Why the file on disk no longer matches the snapshot, or undefined when it does. */
export function changedSince(root: string, file: string, before: FileSnapshot): string | undefined {
  const now = snapshotFile(root, file);
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
