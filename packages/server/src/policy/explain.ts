/**
 * `machinad policy explain`: everything a policy lets a client do, in plain
 * words, for a reviewer who wants to know what a compromised panel could do.
 */
import type { Policy } from "./policy-types.js";
import { patternSource } from "./service-rules.js";
import { forbiddenEnvName } from "../command/forbidden-env.js";
import { effectiveOutputCap } from "../command/output-cap.js";

export function explainPolicy(policy: Policy, defaultLenses: ReadonlyMap<string, string>): string {
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
  say();
  say(policy.files.length ? "Configuration files (Augeas), paths below --root:" : "Configuration files: none.");
  for (const f of policy.files) {
    const lens = f.lens ?? defaultLenses.get(f.path);
    say(`  ${f.path}  (lens ${lens ? lens : "NONE FOUND: the file cannot be loaded"}${f.lens ? "" : ", the module default"}; node ${f.node})`);
    say(`    may read:  ${f.read.length ? f.read.map((p) => p.source).join(", ") : "nothing"}`);
    say(`    may write: ${f.write.length ? f.write.map((p) => p.source).join(", ") + " (create, set, rename, move, remove)" : "nothing (read-only)"}`);
  }
  say();
  say(policy.services.length ? "Services:" : "Services: none.");
  for (const s of policy.services) say(`  ${s.name ?? `names matching ${patternSource(s)}`}: ${s.actions.join(", ")}`);
  if (policy.services.length) say("  (systemd: names are full unit names, `nginx` meaning `nginx.service`; patterns are matched against them)");
  say();
  const pk = policy.packages;
  say("Packages:");
  say(`  install: ${pk.install.length ? pk.install.join(", ") : "none"}`);
  say(`  remove:  ${pk.remove.length ? pk.remove.join(", ") : "none"}`);
  say(`  update package lists: ${pk.update ? "yes" : "no"}`);
  if (pk.install.length || pk.remove.length) {
    say("  (apt-get with an argument vector and a cleared environment; a removal that would take other packages with it,");
    say("   and any change to machinad's own package (--self-package, default machina), is refused)");
  }
  say();
  say(`Timezone: ${policy.timezone.set ? "read and set" : policy.timezone.get ? "read only" : "no access"}`);
  if (policy.timezone.set) say("  (any zone of the system's tz database; timedatectl under systemd, else /etc/localtime and /etc/timezone below --root)");
  say();
  say(policy.commands.length ? "Commands:" : "Commands: none.");
  for (const c of policy.commands) {
    const args = c.args.map((a, i) => `arg ${i + 1} ${Array.isArray(a) ? `one of ${a.map((x) => JSON.stringify(x)).join(" | ")}` : `matching ${a}`}`);
    say(`  ${c.name}: runs ${c.path}${args.length ? ` with ${args.join(", ")}` : " with no arguments"}; timeout ${c.timeout}s${c.env.length ? `; passes env ${c.env.join(", ")}` : ""}${c.user ? `; as user ${c.user}` : ""}`);
    say(`    ${c.stdin ? "accepts stdin from the client" : "no stdin"}; output kept up to ${effectiveOutputCap(c)} bytes (more ends the command)`);
    const never = c.env.filter(forbiddenEnvName);
    if (never.length) say(`    NOTE: ${never.join(", ")} ${never.length === 1 ? "is" : "are"} never passed, whatever env says`);
  }
  if (policy.commands.length) say("  (no shell; environment cleared except PATH and the env list; LD_* and similar loader variables never passed)");
  say();
  say("Everything not listed above is refused (default deny).");
  return lines.join("\n") + "\n";
}
