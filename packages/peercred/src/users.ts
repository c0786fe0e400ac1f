// User and group lookups through NSS (getpwnam_r & co.), so LDAP/sssd/systemd users resolve too.
import { native } from './native.js';
import type { GroupInfo, UserInfo } from './native.js';

const MAX_ID = 0xfffffffe; // (uid_t)-1 / (gid_t)-1 are "no id", never a real one

/** passwd entry for `name`, or null if there is none. */
export function lookupUser(name: string): UserInfo | null {
  return native.lookupUser(name);
}

/** group entry for `name`, or null if there is none. */
export function lookupGroup(name: string): GroupInfo | null {
  return native.lookupGroup(name);
}

/** User name for `uid` (for log lines), or null if unknown. */
export function userName(uid: number): string | null {
  return native.userName(uid);
}

/** Group name for `gid` (for log lines), or null if unknown. */
export function groupName(gid: number): string | null {
  return native.groupName(gid);
}

/** A number or all-digit string as an id in [0, 2^32 - 2]; null if it is not numeric; undefined if out of range. */
function numericId(nameOrId: string | number, what: string): number | null | undefined {
  if (typeof nameOrId === 'number') {
    return Number.isInteger(nameOrId) && nameOrId >= 0 && nameOrId <= MAX_ID ? nameOrId : undefined;
  }
  if (typeof nameOrId !== 'string') throw new TypeError(`${what} must be a name or a numeric id`);
  if (!/^[0-9]+$/.test(nameOrId)) return null;
  const id = Number(nameOrId);
  return id <= MAX_ID ? id : undefined;
}

/**
 * uid for a user name or numeric id (config files may say either). Numbers and all-digit
 * strings are taken as ids as-is (not checked against passwd); names go through NSS.
 * undefined if the name is unknown or the id is not a valid uid.
 */
export function resolveUserId(nameOrId: string | number): number | undefined {
  const id = numericId(nameOrId, 'user');
  if (id !== null) return id;
  return lookupUser(nameOrId as string)?.uid;
}

/** gid for a group name or numeric id; same rules as resolveUserId. */
export function resolveGroupId(nameOrId: string | number): number | undefined {
  const id = numericId(nameOrId, 'group');
  if (id !== null) return id;
  return lookupGroup(nameOrId as string)?.gid;
}
