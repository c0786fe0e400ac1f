/**
 * Is a policy file, on disk, still the file the policy names — and one no
 * other user can swap? libaugeas follows symlinks — even out of its root —
 * and cannot write through a directory descriptor: it saves FILE by writing
 * FILE.XXXXXX and renaming it over FILE, by name. So before loading and
 * before saving we check that:
 *
 * - the path under --root has no symlink anywhere (realpath equals the
 *   literal path) and, when it exists, is a regular file with one link (a
 *   hard link would make its other name be read and written in its place);
 * - every directory from the file's up to --root itself is owned by root and
 *   writable by neither group nor others, and every directory above --root is
 *   owned by root and not writable by others unless sticky (../trusted-path.ts).
 *
 * The second rule is what makes the check hold until the save: only root can
 * then rename, replace or relink anything on the path, so nothing can change
 * between the check and libaugeas' rename. A file that does not exist yet is
 * acceptable when its directory passes the same tests (a save may create it).
 */
import fs from "node:fs";
import path from "node:path";
import { untrustedAncestorBecause, untrustedBecause } from "../trusted-path.js";

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
    if (st.nlink > 1) return { ok: false, reason: `it has ${st.nlink} hard links (another name of the same file could be read or written through it)` };
  }
  const target = st ? literal : path.dirname(literal);
  let real: string;
  try {
    real = fs.realpathSync(target);
  } catch {
    return { ok: false, reason: "its directory does not exist" };
  }
  if (real !== target) return { ok: false, reason: `it resolves outside the policy's path (through a symbolic link)` };
  const chain = untrustedDirectoryBecause(realRoot, path.dirname(literal));
  return chain ? { ok: false, reason: chain } : { ok: true, exists: st !== undefined };
}

/**
 * Why some directory from `dir` up to `realRoot`, or above it, would let a
 * user other than root swap the file — named as the policy would (`/etc`),
 * or `--root` itself — or undefined.
 */
function untrustedDirectoryBecause(realRoot: string, dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const name = d === realRoot ? "--root" : `the directory ${"/" + path.relative(realRoot, d)}`;
    let why: string | undefined;
    try {
      why = untrustedBecause(fs.lstatSync(d));
    } catch (e) {
      return `${name} cannot be inspected (${(e as NodeJS.ErrnoException).code ?? "error"})`;
    }
    if (why) return `${name} ${why}; only root may be able to change the directories of a policy file`;
    if (d === realRoot || d === path.dirname(d)) break;
  }
  const above = realRoot === path.dirname(realRoot) ? undefined : untrustedAncestorBecause(path.dirname(realRoot));
  return above ? `--root is below ${above}; only root may be able to change the directories above --root` : undefined;
}
