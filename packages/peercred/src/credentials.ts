// peerCredentials(socket): who is on the other end of an accepted Unix-domain socket.
import type { Socket } from 'node:net';
import { Socket as NetSocket } from 'node:net';

import { native } from './native.js';
import { groupsFromProc } from './proc-groups.js';

export interface PeerCredentials {
  /** Peer's pid at connect() time (0 if it lives in a pid namespace we cannot see). */
  pid: number;
  /** Peer's effective uid at connect() time. */
  uid: number;
  /** Peer's effective gid at connect() time. */
  gid: number;
  /** Supplementary groups plus `gid`, ascending, without duplicates. */
  groups: number[];
}

/** The OS file descriptor behind a net.Socket, or a thrown Error (code ERR_PEERCRED_NO_FD). */
export function socketFd(socket: Socket): number {
  if (!(socket instanceof NetSocket)) throw new TypeError('peerCredentials: expected a net.Socket');
  // Undocumented but stable: libuv stream handles (Pipe, TCP) expose `fd` on Unix.
  const fd: unknown = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) {
    throw Object.assign(
      new Error('peerCredentials: socket has no file descriptor (destroyed, not yet connected, or not an OS socket)'),
      { code: 'ERR_PEERCRED_NO_FD' },
    );
  }
  return fd;
}

/**
 * SO_PEERCRED of a connected Unix-domain socket (normally one a net.Server just accepted),
 * plus its supplementary groups from SO_PEERGROUPS (Linux >= 4.13) or, failing that,
 * /proc/<pid>/status (racy: see proc-groups.ts). The kernel records these at connect()
 * time; the peer cannot forge them.
 *
 * Throws Error with `code`: ERR_PEERCRED_NO_FD (no fd), EAFNOSUPPORT (not a Unix-domain
 * socket), ENOTCONN (no peer), EBADF/ENOTSOCK, ERR_PEERCRED_GROUPS (fallback failed).
 */
export function peerCredentials(socket: Socket): PeerCredentials {
  const fd = socketFd(socket);
  const cred = native.peerCred(fd);
  const supplementary = native.peerGroups(fd) ?? groupsFromProc(cred);
  const groups = [...new Set([cred.gid, ...supplementary])].sort((a, b) => a - b);
  return { pid: cred.pid, uid: cred.uid, gid: cred.gid, groups };
}
