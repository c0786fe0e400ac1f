/**
 * Who may connect: root always; otherwise a peer whose uid is in `[clients]
 * users` or whose primary or supplementary group is in `[clients] groups`. Both
 * lists empty means any local user (the policy must say so explicitly, and
 * `policy check` warns).
 */
import { resolveGroupId, resolveUserId, type PeerCredentials } from "@machina/peercred";
import type { Policy } from "./policy-types.js";

/**
 * How long a name's id is remembered. Names are resolved again after this,
 * so a user created after start-up is recognised within a second; and a flood
 * of refused connections costs one NSS lookup per name and second, not one
 * per connection (they were a tenth of the time each refusal took).
 */
const NAME_TTL_MS = 1000;
const resolved = new Map<string, { id: number | undefined; at: number }>();

function cachedId(kind: "user" | "group", name: string | number, now: number): number | undefined {
  const key = `${kind}:${name}`;
  const hit = resolved.get(key);
  if (hit && now - hit.at < NAME_TTL_MS) return hit.id;
  const id = kind === "user" ? resolveUserId(name) : resolveGroupId(name);
  // The policy's names are few; a bound all the same, so the cache cannot grow without end across reloads.
  if (resolved.size >= 256) resolved.clear();
  resolved.set(key, { id, at: now });
  return id;
}

export function clientAllowed(policy: Policy, peer: PeerCredentials, now = Date.now()): boolean {
  if (peer.uid === 0) return true;
  const { users, groups } = policy.clients;
  if (users.length === 0 && groups.length === 0) return true;
  if (users.some((u) => cachedId("user", u, now) === peer.uid)) return true;
  const peerGroups = new Set([peer.gid, ...peer.groups]);
  return groups.some((g) => {
    const gid = cachedId("group", g, now);
    return gid !== undefined && peerGroups.has(gid);
  });
}
