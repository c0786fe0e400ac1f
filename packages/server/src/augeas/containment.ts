/**
 * Is a policy file, on disk, still the file the policy names? libaugeas follows
 * symlinks — even out of its root — so before loading and before saving we check
 * that the path under --root has no symlink anywhere (realpath equals the
 * literal path) and, when it exists, is a regular file. A file that does not
 * exist yet is acceptable when its directory passes the same test (a save may
 * create it).
 */
import fs from "node:fs";
import path from "node:path";

export type Containment = { ok: true; exists: boolean } | { ok: false; reason: string };

export function checkContainment(root: string, file: string): Containment {
  const realRoot = fs.realpathSync(root);
  const literal = path.join(realRoot, file);
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(literal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") return { ok: false, reason: `cannot inspect it (${(e as NodeJS.ErrnoException).code})` };
  }
  if (st) {
    if (st.isSymbolicLink()) return { ok: false, reason: "it is a symbolic link" };
    if (!st.isFile()) return { ok: false, reason: "it is not a regular file" };
  }
  const target = st ? literal : path.dirname(literal);
  let real: string;
  try {
    real = fs.realpathSync(target);
  } catch {
    return { ok: false, reason: "its directory does not exist" };
  }
  if (real !== target) return { ok: false, reason: `it resolves outside the policy's path (through a symbolic link)` };
  return { ok: true, exists: st !== undefined };
}
