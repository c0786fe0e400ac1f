/**
 * Who may connect: root always; otherwise a peer whose uid is in `[clients]
 * users` or whose primary or supplementary group is in `[clients] groups`. Both
 * lists empty means any local user (the policy must say so explicitly, and
 * `policy check` warns).
 */
import { resolveGroupId, resolveUserId, type PeerCredentials } from "@machina/peercred";
import type { Policy } from "./policy-types.js";

export function clientAllowed(policy: Policy, peer: PeerCredentials): boolean {
  if (peer.uid === 0) return true;
  const { users, groups } = policy.clients;
  if (users.length === 0 && groups.length === 0) return true;
  // Names are resolved at each connection, so a user created after start-up is recognised.
  if (users.some((u) => resolveUserId(u) === peer.uid)) return true;
  const peerGroups = new Set([peer.gid, ...peer.groups]);
  return groups.some((g) => {
    const gid = resolveGroupId(g);
    return gid !== undefined && peerGroups.has(gid);
  });
}
