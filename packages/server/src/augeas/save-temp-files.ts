/**
 * libaugeas saves FILE by writing a temporary FILE.XXXXXX (mkstemp) next to
 * it and renaming that over FILE. When writing the temporary file fails — a
 * full disk — it reports the error but leaves the temporary file behind, in
 * the configuration directory. A failed save must leave the files as they
 * were (invariant 7), so the daemon removes the ones it can prove its own
 * save created: regular files of exactly that name shape that did not exist
 * right before the save.
 */
import fs from "node:fs";
import path from "node:path";

const MKSTEMP_SUFFIX = /^\.[A-Za-z0-9]{6}$/;

/** The temporary-file candidates that exist now next to each policy file (absolute paths). */
export function saveTempFiles(root: string, files: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const file of files) {
    const abs = path.join(root, file);
    const dir = path.dirname(abs);
    const base = path.basename(abs);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.startsWith(base) && MKSTEMP_SUFFIX.test(name.slice(base.length))) out.add(path.join(dir, name));
    }
  }
  return out;
}

/** Removes the candidates that appeared since `before` (regular files only); answers what was removed. */
export function removeNewSaveTempFiles(root: string, files: readonly string[], before: ReadonlySet<string>): string[] {
  const removed: string[] = [];
  for (const candidate of saveTempFiles(root, files)) {
    if (before.has(candidate)) continue;
    try {
      if (!fs.lstatSync(candidate).isFile()) continue;
      fs.unlinkSync(candidate);
      removed.push(candidate);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}
