/**
 * libaugeas saves FILE (in the `newfile` mode the daemon uses, workspace.ts)
 * by writing a temporary FILE.augnew.XXXXXX (mkstemp) and renaming it to
 * FILE.augnew, which the daemon then renames over FILE. When writing the
 * temporary file fails — a full disk — it reports the error but leaves the
 * temporary file behind, in the configuration directory. A failed or
 * abandoned save must leave the directory as it was (invariant 7), so the
 * daemon removes what it can prove its own save created: regular files of
 * exactly those name shapes that did not exist right before the save.
 *
 * A save killed half-way (SIGKILL, a power cut) leaves its temporary file
 * too, and then nobody knows it was ours. At start-up the daemon removes the
 * ones that look like mkstemp's work — a regular file with one link, owned by
 * root, named FILE.augnew. (or FILE., as older versions saved) and six random
 * letters and digits that mix capitals with small letters or digits — and
 * leaves a name that reads like one chosen by hand (`hosts.backup`,
 * `hosts.202401`) alone, logging both. Only beside policy files whose
 * directories only root can change. A FILE.augnew it leaves alone too (it may
 * be augtool --new's work); saving FILE is refused while it exists.
 */
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../logger.js";

/** After FILE: `.augnew` (the new text), or an mkstemp suffix (`.augnew.XXXXXX`, or `.XXXXXX` from older versions) whose six characters are captured. */
const SAVE_SUFFIX = /^(?:\.augnew|(?:\.augnew)?\.([A-Za-z0-9]{6}))$/;

/** Each file a save may leave next to a policy file: its absolute path and, for a temporary file, its six random characters. */
function* tempFileCandidates(root: string, files: readonly string[]): Generator<{ path: string; random: string | undefined }> {
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
      const suffix = name.startsWith(base) ? SAVE_SUFFIX.exec(name.slice(base.length)) : null;
      if (suffix) yield { path: path.join(dir, name), random: suffix[1] };
    }
  }
}

/** The temporary-file candidates that exist now next to each policy file (absolute paths). */
export function saveTempFiles(root: string, files: readonly string[]): Set<string> {
  return new Set([...tempFileCandidates(root, files)].map((c) => c.path));
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

/** Removes, with a log line each, the temporary files a killed save left beside `files` (see above). */
export function removeStaleSaveTempFiles(root: string, files: readonly string[], logger: Logger): void {
  const owners = [0, process.geteuid?.() ?? 0];
  const policyFiles = new Set(files.map((f) => path.join(root, f)));
  for (const candidate of tempFileCandidates(root, files)) {
    if (policyFiles.has(candidate.path)) continue;
    const shown = `/${path.relative(root, candidate.path)}`;
    try {
      const st = fs.lstatSync(candidate.path);
      if (!st.isFile() || st.nlink !== 1 || !owners.includes(st.uid)) continue;
      if (candidate.random === undefined) {
        logger.warn(`${shown} exists (augtool --new's work, or an interrupted save's): left alone; saving ${shown.slice(0, -".augnew".length)} is refused until it is removed`);
        continue;
      }
      // mkstemp draws from 62 characters: a capital and a small letter or digit are in ~96 % of its names, and rarely in a name chosen by hand.
      if (!/[A-Z]/.test(candidate.random) || !/[a-z0-9]/.test(candidate.random)) {
        logger.warn(`${shown} may be a temporary file an interrupted save left behind, but its name could have been chosen by hand: left alone`);
        continue;
      }
      fs.unlinkSync(candidate.path);
      logger.warn(`removed ${shown}, a temporary file an interrupted save left behind`);
    } catch {
      // gone already
    }
  }
}
