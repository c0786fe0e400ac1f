// Fallback for kernels without SO_PEERGROUPS (< 4.13): read the peer's groups from /proc.
//
// RACE: SO_PEERCRED is a snapshot taken at connect(); /proc/<pid>/status is the
// process's state *now*. Between the two the peer may have exited and its pid been
// reused by another process, or it may have called setgroups()/exec'd a setgid
// binary. We narrow this by requiring the status file's effective uid and gid to
// still equal the SO_PEERCRED ones and refusing otherwise, but a same-uid/gid
// process that reused the pid, or a setgroups() by the same process, is not
// detectable. SO_PEERGROUPS has no such race; prefer kernels that have it.
import { readFileSync } from 'node:fs';

import type { RawCredentials } from './native.js';

function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Numeric fields after `Name:` in a /proc/<pid>/status text, or undefined if the line is absent. */
export function statusField(status: string, name: string): number[] | undefined {
  const line = status.split('\n').find((l) => l.startsWith(`${name}:`));
  if (line === undefined) return undefined;
  return line
    .slice(name.length + 1)
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
}

/**
 * Supplementary groups of `cred.pid` from /proc/<pid>/status (`Groups:` line),
 * after checking that its effective uid/gid still match `cred`. Throws (code
 * ERR_PEERCRED_GROUPS) if the process is gone, invisible from this pid namespace
 * (pid 0), or its credentials changed.
 */
export function groupsFromProc(cred: RawCredentials): number[] {
  if (!Number.isInteger(cred.pid) || cred.pid <= 0) {
    throw codedError(`peer pid ${cred.pid} is not visible here; cannot read its groups from /proc`, 'ERR_PEERCRED_GROUPS');
  }
  let status: string;
  try {
    status = readFileSync(`/proc/${cred.pid}/status`, 'utf8');
  } catch (cause) {
    throw Object.assign(new Error(`cannot read /proc/${cred.pid}/status for the peer's groups`, { cause }), {
      code: 'ERR_PEERCRED_GROUPS',
    });
  }
  // Uid:/Gid: lines are "real effective saved fs"; SO_PEERCRED records the effective ids.
  const euid = statusField(status, 'Uid')?.[1];
  const egid = statusField(status, 'Gid')?.[1];
  const groups = statusField(status, 'Groups');
  if (euid !== cred.uid || egid !== cred.gid || groups === undefined || groups.some((g) => !Number.isInteger(g))) {
    throw codedError(
      `process ${cred.pid} no longer matches the peer (uid ${cred.uid}, gid ${cred.gid}); refusing to use its /proc groups`,
      'ERR_PEERCRED_GROUPS',
    );
  }
  return groups;
}
