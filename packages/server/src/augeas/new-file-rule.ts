/**
 * `create = true` on an `[[augeas.file]]`: the daemon may create the file
 * when it does not exist (its directory must, and must pass the containment
 * checks, containment.ts). Without it, a save that would create the file is
 * refused: a policy names files that are expected to be there, and a missing
 * one more likely means a wrong path or --root than a wish to start a file.
 *
 * The new file gets exactly `mode` (a string of octal digits: "0640"),
 * `owner` and `group` (names or numeric ids, resolved when the policy is
 * loaded) — by default 0644, root, root. The mode holds permission bits only:
 * a setuid, setgid or sticky configuration file is never what is meant.
 */
import { resolveGroupId, resolveUserId } from "@machina/peercred";
import { describe, type PolicyValidator, type TomlTable } from "../policy/policy-validator.js";

export interface NewFileRule {
  /** Permission bits (0o644). */
  mode: number;
  uid: number;
  gid: number;
  /** As the policy wrote them (or the defaults), for `policy explain`. */
  owner: string;
  group: string;
}

export const DEFAULT_NEW_FILE: Readonly<NewFileRule> = { mode: 0o644, uid: 0, gid: 0, owner: "root", group: "root" };

const MODE = /^0?[0-7]{3}$/;

/** Reads `create`, `mode`, `owner` and `group` of table `key`; problems go to the validator (then ok is false). */
export function parseNewFile(t: TomlTable, key: string, v: PolicyValidator): { ok: boolean; rule?: NewFileRule } {
  const before = v.problems.length;
  const create = v.bool(t, key, "create", false);
  const failed = () => v.problems.slice(before).some((p) => p.severity === "error");
  if (!create) {
    for (const name of ["mode", "owner", "group"] as const) {
      if (t[name] !== undefined) v.error(`${key}.${name}`, `only a file the daemon creates gets a ${name} (create = true); a save keeps an existing file's own`);
    }
    return { ok: !failed() };
  }
  const rule: NewFileRule = { ...DEFAULT_NEW_FILE };
  if (t.mode !== undefined) {
    if (typeof t.mode === "string" && MODE.test(t.mode)) rule.mode = Number.parseInt(t.mode, 8);
    else if (typeof t.mode === "number") v.error(`${key}.mode`, `must be a string of octal digits like "0640", not the number ${t.mode} (which is ambiguous)`);
    else v.error(`${key}.mode`, `must be a string of octal digits like "0640" (permission bits only: no setuid, setgid or sticky bit), not ${describe(t.mode)}`);
    if (rule.mode & 0o002) v.warn(`${key}.mode`, `${t.mode as string} lets every user of the machine change the file`);
  }
  const owner = idOf(t, key, "owner", v, resolveUserId);
  if (owner) [rule.owner, rule.uid] = owner;
  const group = idOf(t, key, "group", v, resolveGroupId);
  if (group) [rule.group, rule.gid] = group;
  return failed() ? { ok: false } : { ok: true, rule };
}

/** A user or group as the policy wrote it (a name or a numeric id) and its id, or undefined (absent, or a problem reported). */
function idOf(t: TomlTable, key: string, name: "owner" | "group", v: PolicyValidator, resolve: (nameOrId: string | number) => number | undefined): [string, number] | undefined {
  const value = t[name];
  if (value === undefined) return undefined;
  const what = name === "owner" ? "user" : "group";
  if ((typeof value !== "string" || value === "") && typeof value !== "number") {
    v.error(`${key}.${name}`, `must be a ${what} name or numeric id, not ${describe(value)}`);
    return undefined;
  }
  const id = resolve(value);
  if (id === undefined) {
    v.error(`${key}.${name}`, typeof value === "number" || /^[0-9]+$/.test(value) ? `${value} is not a valid ${what} id` : `no ${what} ${JSON.stringify(value)} on this machine`);
    return undefined;
  }
  return [String(value), id];
}

/** What `policy explain` says of a missing file. */
export function explainNewFile(rule: NewFileRule | undefined): string {
  if (!rule) return "if missing: not created, a save is refused (create = true would allow it)";
  const who = (name: string, id: number) => (name === String(id) ? name : `${name} (${id})`);
  return `if missing: created by a save, with mode ${rule.mode.toString(8).padStart(4, "0")}, owner ${who(rule.owner, rule.uid)}, group ${who(rule.group, rule.gid)}`;
}
