// Extended attributes (xattr(7)) of a path, which Node has no API for: the daemon keeps a
// configuration file's POSIX ACLs (system.posix_acl_access / _default), SELinux context
// (security.selinux) and other attributes when it replaces the file with a new version.
import { native } from './native.js';

/**
 * The names of `path`'s extended attributes, in the kernel's order. Like every function
 * here it does not follow a final symbolic link (llistxattr(2)): a link's own attributes.
 * Namespaces the process may not see (trusted.* without CAP_SYS_ADMIN) are left out by the kernel.
 */
export function listXattrs(path: string): string[] {
  return native.listXattrs(path);
}

/** One attribute's value (lgetxattr(2)); throws an Error with `code` ENODATA when there is none of that name. */
export function getXattr(path: string, name: string): Buffer {
  return native.getXattr(path, name);
}

/** Creates or replaces one attribute (lsetxattr(2)). */
export function setXattr(path: string, name: string, value: Uint8Array): void {
  native.setXattr(path, name, value);
}

/** Removes one attribute (lremovexattr(2)); throws with `code` ENODATA when there is none of that name. */
export function removeXattr(path: string, name: string): void {
  native.removeXattr(path, name);
}
