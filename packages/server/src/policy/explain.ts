/**
 * `machinad policy explain`: everything a policy lets a client do, in plain
 * words, for a reviewer who wants to know what a compromised panel could do.
 * Who may connect is said here; each module then explains its own section.
 */
import { MODULES } from "../capability/registry.js";
import type { AnyCapabilityModule } from "../capability/capability-module.js";
import type { ExplainContext } from "../capability/capability-module.js";
import type { Policy } from "./policy-types.js";

export function explainPolicy(policy: Policy, ctx: ExplainContext): string {
  const lines: string[] = [];
  const say = (s = "") => lines.push(s);
  say(`Policy ${policy.source}`);
  say();
  const { users, groups } = policy.clients;
  say("Who may connect:");
  say("  - root (always)");
  if (users.length === 0 && groups.length === 0) say("  - ANY local user (the [clients] lists are empty)");
  for (const u of users) say(`  - user ${u}`);
  for (const g of groups) say(`  - members of group ${g}`);
  for (const m of MODULES as readonly AnyCapabilityModule[]) {
    const section = m.explain((policy as unknown as Record<string, unknown>)[m.name], ctx);
    if (section.length === 0) continue;
    say();
    for (const l of section) say(l);
  }
  say();
  say("Everything not listed above is refused (default deny).");
  return lines.join("\n") + "\n";
}
