/**
 * A cgroup (v2) of its own for one program and everything it starts, so all
 * of it can be killed at once: a process group reaches only the children that
 * stay in it, while one that calls setsid() (a daemon, `setsid -f`) leaves the
 * group but never its cgroup. Made below the daemon's own cgroup, which must
 * be writable: the root cgroup under SysV init, a unit with `Delegate=yes`
 * under systemd (init/machina.service). Needs `cgroup.kill` (Linux 5.14).
 * Where that is not available `create` answers undefined and the program is
 * contained by its process group alone (the daemon logs why, once).
 *
 * The program has to be born inside: the daemon moves itself into the new
 * cgroup, spawns (fork and exec happen before spawn returns), and moves itself
 * back — so not even a child forked in the program's first instant escapes.
 * The cgroup is killed only while the daemon is verifiably outside it.
 */
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../logger.js";

interface Hierarchy {
  /** The daemon's own cgroup directory. */
  own: string;
}

let hierarchy: Hierarchy | null | undefined;
let created = 0;

export class ProgramCgroup {
  private constructor(
    private readonly dir: string,
    private readonly own: string,
  ) {}

  /** A new, empty cgroup below the daemon's, or undefined (and a log line, once) when there cannot be one. */
  static create(logger: Logger): ProgramCgroup | undefined {
    const h = findHierarchy(logger);
    if (!h) return undefined;
    const dir = path.join(h.own, `machina-program-${process.pid}-${++created}`);
    try {
      fs.mkdirSync(dir);
    } catch (e) {
      hierarchy = null;
      logger.warn(`programs are contained by their process group only: cannot make a cgroup below ${h.own} (${(e as NodeJS.ErrnoException).code ?? e})`);
      return undefined;
    }
    if (!fs.existsSync(path.join(dir, "cgroup.kill"))) {
      hierarchy = null;
      fs.rmdirSync(dir);
      logger.warn("programs are contained by their process group only: cgroups here have no cgroup.kill (Linux 5.14 or later)");
      return undefined;
    }
    return new ProgramCgroup(dir, h.own);
  }

  /**
   * Runs `spawn` (which must fork synchronously) with the daemon inside this
   * cgroup, so its child is born there. Answers undefined, without calling
   * `spawn`, when the daemon cannot enter it.
   */
  spawnInside<T>(spawn: () => T, logger: Logger): { value: T } | undefined {
    try {
      fs.writeFileSync(path.join(this.dir, "cgroup.procs"), String(process.pid));
    } catch (e) {
      logger.warn(`a program is contained by its process group only: cannot enter ${this.dir} (${(e as NodeJS.ErrnoException).code ?? e})`);
      return undefined;
    }
    try {
      return { value: spawn() };
    } finally {
      try {
        fs.writeFileSync(path.join(this.own, "cgroup.procs"), String(process.pid));
      } catch (e) {
        // kill() checks where the daemon is before it kills anything.
        logger.error(`cannot leave the cgroup ${this.dir} after starting a program`, e);
      }
    }
  }

  /** Kills every process in the cgroup (SIGKILL), unless the daemon itself is in it. */
  kill(): void {
    if (ownCgroupDir() === this.dir) return;
    try {
      fs.writeFileSync(path.join(this.dir, "cgroup.kill"), "1");
    } catch {
      // Gone already.
    }
  }

  /** Waits (at most `ms`) until no process is left in the cgroup, then removes it; answers whether it is empty. */
  async remove(ms = 5000): Promise<boolean> {
    const end = Date.now() + ms;
    for (;;) {
      try {
        fs.rmdirSync(this.dir);
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return true;
        if (code !== "EBUSY" || Date.now() > end) return false;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** The daemon's cgroup v2 directory, if the unified hierarchy is mounted; else null (logged once). */
function findHierarchy(logger: Logger): Hierarchy | null {
  if (hierarchy !== undefined) return hierarchy;
  const own = ownCgroupDir();
  if (!own) {
    logger.warn("programs are contained by their process group only: no cgroup v2 hierarchy is mounted where the daemon can see its own cgroup");
    return (hierarchy = null);
  }
  return (hierarchy = { own });
}

/** The directory of the daemon's own cgroup in the mounted cgroup v2 hierarchy, if there is one. */
function ownCgroupDir(): string | undefined {
  let cgroup: string;
  let mountinfo: string;
  try {
    cgroup = fs.readFileSync("/proc/self/cgroup", "utf8");
    mountinfo = fs.readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return undefined;
  }
  const own = /^0::(\/.*)$/m.exec(cgroup)?.[1];
  if (own === undefined) return undefined;
  for (const line of mountinfo.split("\n")) {
    // id parent major:minor root mount-point options [optional…] - fstype source super-options
    const [left, right] = line.split(" - ");
    if (!right?.startsWith("cgroup2 ")) continue;
    const fields = left!.split(" ");
    const root = unescapeMountPath(fields[3]!);
    const mountPoint = unescapeMountPath(fields[4]!);
    const rel = path.relative(root, own);
    if (rel.startsWith("..")) continue;
    return path.join(mountPoint, rel);
  }
  return undefined;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}
