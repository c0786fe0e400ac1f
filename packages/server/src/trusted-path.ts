/**
 * What the daemon may act on as root without another user steering it: a
 * file or directory only root can change — owned by root (or by the daemon's
 * own user, for an unprivileged demo) and writable by neither its group nor
 * others — reached through directories only root can change. One rule for
 * init scripts, lens directories and policy files.
 *
 * Above such a directory a sticky directory writable by others (`/tmp`) is
 * acceptable: there nobody but an entry's owner (root) may rename or remove
 * it, so the path still leads where it did.
 */
import fs from "node:fs";
import path from "node:path";

/** The owners the daemon trusts: root, and the daemon's own user when it is not root. */
function trustedOwners(): readonly number[] {
  const uid = process.geteuid?.() ?? 0;
  return uid === 0 ? [0] : [0, uid];
}

/** Why a file or directory (its lstat) could be changed by a user other than root, or undefined. */
export function untrustedBecause(st: fs.Stats): string | undefined {
  if (!trustedOwners().includes(st.uid)) return `is owned by uid ${st.uid}, not root`;
  if (st.mode & 0o022) return `is writable by ${writers(st.mode)} (mode ${(st.mode & 0o7777).toString(8)})`;
  return undefined;
}

/**
 * Why some directory from `dir` up to `/` would let a user other than root
 * rename or replace what lies below it, or undefined: each must be owned by
 * a trusted owner and not writable by group or others — unless sticky. `dir`
 * should be a real path (no symbolic links); a symbolic link on the way is
 * refused.
 */
export function untrustedAncestorBecause(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(d);
    } catch (e) {
      return `${d} cannot be inspected (${(e as NodeJS.ErrnoException).code ?? "error"})`;
    }
    if (!st.isDirectory()) return `${d} is not a directory${st.isSymbolicLink() ? " (a symbolic link)" : ""}`;
    if (!trustedOwners().includes(st.uid)) return `${d} is owned by uid ${st.uid}, not root`;
    if (st.mode & 0o022 && !(st.mode & 0o1000)) {
      return `${d} is writable by ${writers(st.mode)} without the sticky bit (mode ${(st.mode & 0o7777).toString(8)})`;
    }
    if (d === path.dirname(d)) return undefined;
  }
}

function writers(mode: number): string {
  return mode & 0o002 ? "others" : "its group";
}

/** Symbolic links followed at most while resolving a program (the kernel's own limit is 40). */
const MAX_LINKS = 40;

/**
 * Why a program named by absolute path could be swapped by a user other than
 * root, or undefined: walking the path one component at a time, every
 * directory entered must be one only root can change (as above, sticky ones
 * accepted), every symbolic link on the way owned by root, and the file it
 * ends at a regular file only root can change.
 */
export function untrustedProgramBecause(file: string): string | undefined {
  const root = fs.lstatSync("/");
  const rootWhy = untrustedDirectory(root);
  if (rootWhy) return `/ ${rootWhy}`;
  let dir = "/";
  let rest = file.split("/").filter((c) => c !== "" && c !== ".");
  let links = 0;
  while (rest.length > 0) {
    const name = rest.shift()!;
    if (name === "..") {
      dir = path.dirname(dir);
      continue;
    }
    const here = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(here);
    } catch (e) {
      return `${here} cannot be inspected (${(e as NodeJS.ErrnoException).code ?? "error"})`;
    }
    if (st.isSymbolicLink()) {
      if (!trustedOwners().includes(st.uid)) return `${here} is a symbolic link owned by uid ${st.uid}, not root`;
      if (++links > MAX_LINKS) return `${file} has too many symbolic links`;
      const target = fs.readlinkSync(here);
      if (target.startsWith("/")) dir = "/";
      rest = [...target.split("/").filter((c) => c !== "" && c !== "."), ...rest];
      continue;
    }
    if (st.isDirectory()) {
      const why = untrustedDirectory(st);
      if (why) return `${here} ${why}`;
      dir = here;
      continue;
    }
    if (rest.length > 0) return `${here} is not a directory`;
    if (!st.isFile()) return `${here} is not a regular file`;
    const why = untrustedBecause(st);
    return why ? `${here} ${why}` : undefined;
  }
  return `${file} is a directory`;
}

function untrustedDirectory(st: fs.Stats): string | undefined {
  if (!trustedOwners().includes(st.uid)) return `is owned by uid ${st.uid}, not root`;
  if (st.mode & 0o022 && !(st.mode & 0o1000)) return `is writable by ${writers(st.mode)} without the sticky bit (mode ${(st.mode & 0o7777).toString(8)})`;
  return undefined;
}
