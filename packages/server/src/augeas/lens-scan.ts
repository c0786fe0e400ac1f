/**
 * Finds the default lens of files the policy names without a lens. Done once
 * at start-up (and by `policy explain`): a throw-away Augeas handle autoloads
 * every module without loading any file, and each module's transform tells
 * which lens handles which glob of paths. The daemon's own handle then loads
 * only the policy's files with those lenses.
 */
import { Augeas } from "augeas-node-bindings";

export interface LensScan {
  /** file → lens (e.g. `Hosts.lns`), for every file some module claims. */
  lenses: Map<string, string>;
}

export function scanDefaultLenses(files: readonly string[]): LensScan {
  const lenses = new Map<string, string>();
  if (files.length === 0) return { lenses };
  const aug = new Augeas({ root: "/", noLoad: true });
  try {
    const transforms = aug.match("/augeas/load/*").map((node) => ({
      lens: aug.get(`${node}/lens`) ?? undefined,
      incl: aug.match(`${node}/incl`).map((n) => aug.get(n) ?? ""),
      excl: aug.match(`${node}/excl`).map((n) => aug.get(n) ?? ""),
    }));
    for (const file of files) {
      for (const t of transforms) {
        if (!t.lens) continue;
        if (!t.incl.some((g) => globMatches(g, file))) continue;
        if (t.excl.some((g) => globMatches(g, file) || globMatches(g, file.slice(file.lastIndexOf("/") + 1)))) continue;
        lenses.set(file, t.lens.startsWith("@") ? `${t.lens.slice(1)}.lns` : t.lens);
        break;
      }
    }
  } finally {
    aug.close();
  }
  return { lenses };
}

/** fnmatch(3) with FNM_PATHNAME, as libaugeas applies filters: `*` and `?` do not cross `/`. */
export function globMatches(glob: string, file: string): boolean {
  let re = "^";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        re += ".*";
        i++;
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) re += "\\[";
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith("!")) cls = "^" + cls.slice(1);
        re += `[${cls.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(re + "$").test(file);
}
