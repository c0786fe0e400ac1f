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
