/**
 * A private copy-on-write view of the machine, for tests that install onto it
 * as root (make install, init scripts, useradd): a mount namespace in which
 * /etc, /usr/local and /var/log are overlays whose writable layer is a tmpfs,
 * and /run is a fresh tmpfs. Commands run inside it through nsenter: they see
 * the host's files, and whatever they change lands in the tmpfs and disappears
 * with the namespace. The host's directories are never written.
 *
 * The namespace also has its own PID namespace, whose first process (the
 * holder, PID 1 there) waits on its stdin, a pipe from this process. When this
 * process ends — normally or by SIGKILL — the pipe closes, the holder exits,
 * and the kernel kills every process left in the namespace (a daemon a test
 * started) and drops its mounts. A killed run leaves nothing behind: no
 * process, no file, not even a scratch directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT, runCommand, SYSTEM_PATH, type CommandOptions } from "./command.js";
import type { RunResult } from "./daemon.js";

/** Host directories the namespace overlays (its writes to them go to a tmpfs). */
export const OVERLAID = ["/etc", "/usr/local", "/var/log"] as const;

/** Run by the holder: set up the mounts, say so, then wait until stdin closes. */
const HOLDER_SCRIPT = `set -eu
mount -t tmpfs -o mode=0755 machina-isolated /run
mkdir -m 0700 /run/.isolated
mkdir -m 1777 /run/lock
for dir; do
  layer=/run/.isolated/$(printf %s "$dir" | tr / _)
  mkdir "$layer" "$layer.work"
  mount -t overlay machina-isolated -o "lowerdir=$dir,upperdir=$layer,workdir=$layer.work" "$dir"
done
echo ready
read -r _ || true
`;

export class IsolatedRoot {
  private constructor(
    private readonly holder: ChildProcess,
    /** The holder's pid as the host sees it. */
    readonly pid: number,
  ) {}

  /** Creates the namespace; resolves once its mounts are in place. */
  static async open(): Promise<IsolatedRoot> {
    const holder = spawn(
      "unshare",
      ["--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", "--mount-proc", "/bin/sh", "-c", HOLDER_SCRIPT, "isolated-root", ...OVERLAID],
      { stdio: ["pipe", "pipe", "pipe"], env: { PATH: SYSTEM_PATH } },
    );
    let stderr = "";
    holder.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    await new Promise<void>((resolve, reject) => {
      let stdout = "";
      holder.stdout.setEncoding("utf8").on("data", (s: string) => {
        stdout += s;
        if (stdout.includes("ready\n")) resolve();
      });
      holder.once("error", reject);
      holder.once("exit", (code, signal) => reject(new Error(`could not set up the isolated root (exit ${code ?? signal}): ${stderr}`)));
    });
    // unshare forked the holder into the new PID namespace: find it among unshare's children.
    const pid = childrenOf(holder.pid!)[0];
    if (pid === undefined) throw new Error("the isolated root's holder process is missing");
    return new IsolatedRoot(holder, pid);
  }

  /** Where this (host) process reads the namespace's `file`: through the holder's root. */
  path(file: string): string {
    return `/proc/${this.pid}/root${file}`;
  }

  /** Runs a program inside the namespace (its mounts and PID namespace), in `options.cwd` there (default: the repository). */
  run(file: string, args: string[], options: CommandOptions = {}): Promise<RunResult> {
    const cwd = options.cwd ?? REPO_ROOT;
    // A shell only to change directory inside the namespace; the program and its arguments stay an argument vector.
    return runCommand("nsenter", [`--target=${this.pid}`, "--mount", "--pid", "--", "/bin/sh", "-c", 'cd "$0" && exec "$@"', cwd, file, ...args], options);
  }

  /**
   * The argv prefix that runs a program in the namespace's mounts only — its
   * /etc (users made there), the host's PID namespace: nsenter enters the
   * mount namespace and execs the program itself, so the child's pid is the
   * program's and signals reach it (DaemonOptions.through).
   */
  mountsOnly(): string[] {
    return ["nsenter", `--target=${this.pid}`, "--mount", "--"];
  }

  /**
   * Starts a long-running program inside the namespace (mounts and PID
   * namespace), without waiting: the ChildProcess is nsenter's, which does not
   * pass signals on; the program ends when the namespace is closed.
   */
  spawn(file: string, args: string[]): ChildProcess {
    return spawn("nsenter", [`--target=${this.pid}`, "--mount", "--pid", "--", file, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: SYSTEM_PATH, LANG: "C.UTF-8" },
    });
  }

  /** Whether the process with pid `nsPid` (as the namespace numbers it) exists and is not a zombie. */
  alive(nsPid: number): boolean {
    let stat: string;
    try {
      stat = fs.readFileSync(this.path(`/proc/${nsPid}/stat`), "utf8");
    } catch {
      return false;
    }
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  }

  /** Ends the namespace: every process in it is killed and its mounts go with it. */
  async close(): Promise<void> {
    if (this.holder.exitCode !== null || this.holder.signalCode !== null) return;
    const exited = new Promise((resolve) => this.holder.once("exit", resolve));
    this.holder.stdin!.end();
    const timer = setTimeout(() => this.holder.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(path.join("/proc", entry, "status"), "utf8");
      if (Number(/^PPid:\s*(\d+)$/m.exec(status)?.[1]) === parent) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** One line per file under each of `roots` (not following symlinks): type, mode, owner, size, mtime, inode. */
export type HostListing = Map<string, string>;

export function listHost(roots: readonly string[]): HostListing {
  const out: HostListing = new Map();
  const walk = (p: string): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      out.set(p, "absent");
      return;
    }
    const type = st.isDirectory() ? "d" : st.isSymbolicLink() ? `l->${fs.readlinkSync(p)}` : st.isFile() ? "f" : "other";
    out.set(p, `${type} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isDirectory() ? "" : st.size} ${st.mtimeMs} ${st.ino}`);
    if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) walk(path.join(p, name));
  };
  for (const root of roots) walk(root);
  return out;
}

/** The entries that differ between two listings, for an assertion message (empty: identical). */
export function listingChanges(before: HostListing, after: HostListing): string[] {
  const changes: string[] = [];
  for (const p of new Set([...before.keys(), ...after.keys()])) {
    if (before.get(p) !== after.get(p)) changes.push(`${p}: ${before.get(p) ?? "absent"} -> ${after.get(p) ?? "absent"}`);
  }
  return changes;
}
