/**
 * A save replaces FILE by renaming a new version (FILE.augnew) over it, so
 * everything that belongs to the inode rather than the bytes would be lost
 * unless the new version is given it first. libaugeas copies the owner,
 * group and mode (transfer_file_attrs; the SELinux context too, but only
 * where it is built with SELinux, and not Debian's), and nothing else: a
 * POSIX ACL (`setfacl -m u:nobody:r`) or a `user.*` attribute would silently
 * vanish at the first save. So before the validators run and before the
 * rename, the new version gets FILE's
 *
 * - owner, group and permission bits (again: a new version written by
 *   someone other than libaugeas, such as a rollback, has the daemon's), and
 * - every extended attribute: POSIX ACLs (system.posix_acl_access), SELinux
 *   context (security.selinux), capabilities, trusted.* and user.*; an
 *   attribute FILE lacks goes (an access ACL inherited from the directory's
 *   default ACL), except the security.* labels the kernel's security module
 *   gives a new file, which are its to decide.
 *
 * A file the daemon creates (new-file-rule.ts) gets exactly the policy's
 * mode, owner and group instead: an inherited access ACL is removed, so the
 * mode says everything about who may read it.
 *
 * The order matters: chown(2) clears setuid bits and security.capability, so
 * the owner comes first, then the mode, then the attributes; an access ACL
 * set last also sets the group bits, to the same mask FILE has.
 */
import fs from "node:fs";
import { getXattr, listXattrs, removeXattr, setXattr } from "@machina/peercred";
import { Fault } from "../faults.js";
import type { Logger } from "../logger.js";
import type { NewFileRule } from "./new-file-rule.js";
import type { NewVersion } from "./save-validators.js";

/** Labels a security module gives every new file: left as it chose when FILE has none to copy. */
const isSecurityLabel = (name: string) => name.startsWith("security.");

/**
 * Gives the new version FILE's attributes, or — FILE does not exist — the
 * policy's attributes for a new file. Throws `backend-failed` (the details in
 * the log) when it cannot: the save is then abandoned, nothing written.
 */
export function giveAttributes(version: NewVersion, logger: Logger): void {
  const file = version.rule.path;
  let step = "inspect the file";
  try {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(version.target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    const from = st ? { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid } : newFileAttributes(version.rule.create);
    const xattrs = new Map<string, Buffer>();
    if (st) {
      step = "read its extended attributes";
      for (const name of listXattrs(version.target)) xattrs.set(name, getXattr(version.target, name));
    }
    const fd = fs.openSync(version.temp, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      step = "inspect its new version";
      const now = fs.fstatSync(fd);
      if (!now.isFile() || now.nlink !== 1) throw new Error(`${version.temp} is not a regular file with one link`);
      step = "remove what its new version should not have";
      for (const name of listXattrs(version.temp)) {
        if (xattrs.has(name) || isSecurityLabel(name)) continue;
        removeXattr(version.temp, name);
      }
      step = "give its new version the owner";
      fs.fchownSync(fd, from.uid, from.gid);
      step = "give its new version the mode";
      fs.fchmodSync(fd, from.mode);
      for (const [name, value] of xattrs) {
        step = `give its new version the attribute ${name}`;
        setXattr(version.temp, name, value);
      }
      step = "check its new version";
      const done = fs.fstatSync(fd);
      if ((done.mode & 0o7777) !== from.mode || done.uid !== from.uid || done.gid !== from.gid) {
        throw new Error(`it has mode ${(done.mode & 0o7777).toString(8)} and owner ${done.uid}:${done.gid}, not ${from.mode.toString(8)} and ${from.uid}:${from.gid}`);
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    logger.error(`saving ${file}: cannot ${step}`, e);
    const code = (e as NodeJS.ErrnoException).code;
    throw new Fault("backend-failed", `${file}: its new version could not be given the file's owner, mode and attributes${code ? ` (${code})` : ""}; nothing was written`, {
      backend: "file-attributes",
      retryable: false,
    });
  }
}

/** The attributes of a file the daemon creates: the policy's (create = true is checked before a save gets here). */
function newFileAttributes(rule: NewFileRule | undefined): { mode: number; uid: number; gid: number } {
  if (!rule) throw new Error("the file does not exist and the policy does not let it be created");
  return { mode: rule.mode, uid: rule.uid, gid: rule.gid };
}
