/**
 * libaugeas compiles every lens it finds in its search path, so whoever can
 * write a lens directory can run code in the root daemon's Augeas. The daemon
 * clears AUGEAS_LENS_LIB and AUGEAS_ROOT (which would redirect the search path
 * and the root) and refuses to start if a standard lens directory is not owned
 * by root or is writable by group or others.
 */
import fs from "node:fs";

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
    if (st.uid !== 0) problems.push(`${dir} is owned by uid ${st.uid}, not root`);
    if (st.mode & 0o022) problems.push(`${dir} is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`);
  }
  return problems;
}
