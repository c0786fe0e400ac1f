/**
 * libaugeas compiles every lens it finds in its search path, so whoever can
 * write a lens directory can run code in the root daemon's Augeas. The daemon
 * clears AUGEAS_LENS_LIB and AUGEAS_ROOT (which would redirect the search path
 * and the root) and refuses to start if a standard lens directory is not owned
 * by root, is writable by group or others, or lies below a directory another
 * user could change (../trusted-path.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { untrustedAncestorBecause, untrustedBecause } from "../trusted-path.js";

export const STANDARD_LENS_DIRECTORIES = ["/usr/share/augeas/lenses", "/usr/share/augeas/lenses/dist"];

export function scrubAugeasEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  delete env.AUGEAS_LENS_LIB;
  delete env.AUGEAS_ROOT;
  delete env.AUGEAS_DEBUG;
}

/** Problems with the lens directories; empty when they are safe. */
export function lensDirectoryProblems(dirs: readonly string[] = STANDARD_LENS_DIRECTORIES): string[] {
  const problems: string[] = [];
  for (const dir of dirs) {
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch {
      continue;
    }
    const own = untrustedBecause(st);
    const above = own ? undefined : untrustedAncestorBecause(path.dirname(fs.realpathSync(dir)));
    if (own) problems.push(`${dir} ${own}`);
    else if (above) problems.push(`${dir} is below ${above}`);
  }
  return problems;
}
