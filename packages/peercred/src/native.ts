// Loads the N-API addon (build/Release/peercred.node, built on install by build-addon.mjs).
import { createRequire } from 'node:module';

export interface RawCredentials {
  pid: number;
  uid: number;
  gid: number;
}

export interface UserInfo {
  uid: number;
  /** Primary group from the passwd entry. */
  gid: number;
  /** Canonical name from the passwd entry. */
  name: string;
}

export interface GroupInfo {
  gid: number;
  name: string;
}

/** The addon's functions. They throw TypeError on bad arguments and Error with `code` = errno name on failure. */
export interface Native {
  /** getsockopt(SO_PEERCRED); EAFNOSUPPORT if not a Unix-domain socket, ENOTCONN if no peer. */
  peerCred(fd: number): RawCredentials;
  /** getsockopt(SO_PEERGROUPS): supplementary groups, or null when the kernel lacks it (< 4.13). */
  peerGroups(fd: number): number[] | null;
  lookupUser(name: string): UserInfo | null;
  lookupGroup(name: string): GroupInfo | null;
  userName(uid: number): string | null;
  groupName(gid: number): string | null;
  /** sd_notify(3)'s datagram: `message` to the Unix datagram socket `socketPath` (absolute, or "@name": abstract). */
  notifySocket(socketPath: string, message: string): void;
  /** llistxattr(2): the names of the path's extended attributes (a symbolic link's own, never its target's). */
  listXattrs(path: string): string[];
  /** lgetxattr(2): one attribute's value; ENODATA when there is none of that name. */
  getXattr(path: string, name: string): Buffer;
  /** lsetxattr(2): creates or replaces one attribute. */
  setXattr(path: string, name: string, value: Uint8Array): void;
  /** lremovexattr(2); ENODATA when there is none of that name. */
  removeXattr(path: string, name: string): void;
}

function load(): Native {
  // Found by the package's own name (its "exports" list the addon), so that a bundle holding
  // this module (machinad's, scripts/bundle.mjs) finds it too, through node_modules.
  const require = createRequire(import.meta.url);
  const addon = '@machina/peercred/build/Release/peercred.node';
  try {
    return require(addon) as Native;
  } catch (cause) {
    throw new Error(
      `@machina/peercred: cannot load native addon ${addon} ` +
        `(build it with \`npm rebuild @machina/peercred\`; Linux only)`,
      { cause },
    );
  }
}

export const native: Native = load();
