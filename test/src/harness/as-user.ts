/**
 * Running something as another user: the web panel and hostile peers as
 * `nobody`, clients the policy admits or refuses, unprivileged callers of a
 * bus. Every test that does goes through here, because of one trap: the
 * checkout may sit below a directory that user cannot enter (a clone in
 * `/root`, mode 0700, or in any `mktemp -d`; CI runs the suite from such a
 * clone), and then nothing in it is readable by them — not our code, not the
 * directory the test runs in.
 *
 * - What they run from the checkout is staged first (`stageForUser`): copied
 *   into a fresh directory outside it that the user can read (the panel's
 *   one-file bundle and its static files; see web-panel.ts). Node and system
 *   programs are run where they are.
 * - They start in `/`, never in the checkout, with the test's clean
 *   environment and `HOME=/nonexistent`, through `setpriv` (supplementary
 *   groups cleared unless given).
 * - Before anything starts, the program and every absolute path among its
 *   arguments must be reachable by the user (each directory above it
 *   searchable, the file itself readable; by the mode bits, ACLs aside): one
 *   that is not fails at once, naming the directory in the way, instead of a
 *   "Cannot find module" or EACCES from the child later.
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT, runCommand } from "./command.js";
import { cleanEnv, type RunResult } from "./daemon.js";

export interface OtherUser {
  /** For messages. */
  name: string;
  uid: number;
  gid: number;
  /** Supplementary groups (default: none). */
  groups?: number[];
}

export const NOBODY: OtherUser = { name: "nobody", uid: 65534, gid: 65534 };

/** A user by uid whose group has the same id (the test users of the systemd container). */
export function userWithId(uid: number, name = `uid ${uid}`): OtherUser {
  return { name, uid, gid: uid };
}

/** `setpriv` taking `user`'s identity, then `argv`. */
function setprivArgv(user: OtherUser, argv: readonly string[]): string[] {
  const groups = user.groups?.length ? [`--groups=${user.groups.join(",")}`] : ["--clear-groups"];
  return ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, ...groups, "--", ...argv];
}

/**
 * The same, for a user named in another root (the systemd container, the
 * isolated root of the install tests), where its ids and groups are looked up:
 * `user` with primary group `group` (default: the group of the same name) and
 * its supplementary groups from that root's /etc/group. What it runs there is
 * installed into that root, never read from this checkout, so there is
 * nothing to stage or check here.
 */
export function setprivByNameArgv(user: string, argv: readonly string[], options: { group?: string; resetEnv?: boolean } = {}): string[] {
  return ["setpriv", `--reuid=${user}`, `--regid=${options.group ?? user}`, "--init-groups", ...(options.resetEnv ? ["--reset-env"] : []), "--", ...argv];
}

/** The permission bits of `st` that apply to `user` (owner, group or others), shifted to rwx. */
function bitsFor(user: OtherUser, st: fs.Stats): number {
  if (user.uid === 0) return 0o7;
  if (st.uid === user.uid) return (st.mode >> 6) & 0o7;
  if (st.gid === user.gid || user.groups?.includes(st.gid)) return (st.mode >> 3) & 0o7;
  return st.mode & 0o7;
}

/**
 * Why `user` cannot reach `target` (a sentence naming the directory or file in
 * the way), or undefined when it can: every directory from `/` down must be
 * searchable by it, and `target` itself (when it exists) readable, or
 * searchable for a directory. A path that does not exist yet is judged by the
 * directories above it. Symlinks are followed, as the kernel would.
 */
export function unreachable(user: OtherUser, target: string): string | undefined {
  let resolved: string;
  try {
    resolved = fs.realpathSync(target);
  } catch {
    const parent = path.dirname(target);
    return parent === target ? undefined : unreachable(user, parent);
  }
  const parts = resolved.split(path.sep).filter((p) => p !== "");
  let dir = "/";
  for (const part of parts) {
    const st = fs.statSync(dir);
    if ((bitsFor(user, st) & 0o1) === 0) {
      return `${user.name} cannot enter ${dir} (mode ${(st.mode & 0o7777).toString(8)}, owner uid ${st.uid}, group ${st.gid}), on the way to ${target}`;
    }
    dir = path.join(dir, part);
  }
  const st = fs.statSync(resolved);
  const need = st.isDirectory() ? 0o1 : 0o4;
  if ((bitsFor(user, st) & need) === 0) {
    return `${user.name} cannot ${st.isDirectory() ? "enter" : "read"} ${target} (mode ${(st.mode & 0o7777).toString(8)}, owner uid ${st.uid}, group ${st.gid})`;
  }
  return undefined;
}

/** Throws unless `user` can reach the program `argv[0]` (found on PATH when not a path) and every absolute path among the arguments. */
function assertCanReach(user: OtherUser, argv: readonly string[], env: NodeJS.ProcessEnv): void {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("spawnAs: no program");
  const paths = args.filter((a) => a.startsWith("/"));
  if (program.includes("/")) paths.unshift(program);
  else {
    const found = (env.PATH ?? "").split(":").map((d) => path.join(d, program)).find((f) => fs.existsSync(f));
    if (found) paths.unshift(found);
  }
  for (const p of paths) {
    const why = unreachable(user, p);
    if (why) throw new Error(`${why}: stage what ${user.name} must read outside this directory (stageForUser in test/src/harness/as-user.ts)`);
  }
}

export interface AsUserOptions {
  /** Added to the test's clean environment (cleanEnv) and HOME=/nonexistent. */
  env?: NodeJS.ProcessEnv;
  /** Default "/": a directory every user can enter. */
  cwd?: string;
  stdio?: StdioOptions;
}

function environment(options: AsUserOptions): NodeJS.ProcessEnv {
  return { ...cleanEnv(), HOME: "/nonexistent", ...options.env };
}

/** Starts `argv` as `user` (see the top of this file). stdio defaults to ignore, pipe, pipe. */
export function spawnAs(user: OtherUser, argv: readonly string[], options: AsUserOptions = {}): ChildProcess {
  const env = environment(options);
  assertCanReach(user, argv, env);
  const [setpriv, ...rest] = setprivArgv(user, argv);
  return spawn(setpriv!, rest, { cwd: options.cwd ?? "/", env, stdio: options.stdio ?? ["ignore", "pipe", "pipe"] });
}

/** Runs `argv` as `user` to completion (runCommand: a timeout, output kept, `input` on stdin). */
export function runAs(user: OtherUser, argv: readonly string[], options: Omit<AsUserOptions, "stdio"> & { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const env = environment(options);
  assertCanReach(user, argv, env);
  const [setpriv, ...rest] = setprivArgv(user, argv);
  return runCommand(setpriv!, rest, {
    cwd: options.cwd ?? "/",
    env,
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}

/** `node -e SCRIPT ARGS…` as `user`: code that needs nothing from the checkout. */
export function spawnNodeScriptAs(user: OtherUser, script: string, args: readonly string[] = [], options: AsUserOptions = {}): ChildProcess {
  return spawnAs(user, [process.execPath, "-e", script, ...args], options);
}

const staged: string[] = [];
process.on("exit", () => {
  for (const dir of staged) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Copies files and directories from the checkout into a fresh directory
 * outside it that `user` can read (mode 0755, files 0644 or 0755), removed
 * when the test process exits. `entries` maps each path inside that directory
 * to its source. Answers the directory.
 */
export function stageForUser(user: OtherUser, entries: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-staged-"));
  staged.push(dir);
  fs.chmodSync(dir, 0o755);
  for (const [to, from] of Object.entries(entries)) {
    const dest = path.join(dir, to);
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
    fs.cpSync(from, dest, { recursive: true });
  }
  const normalise = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) {
      fs.chmodSync(p, 0o755);
      for (const e of fs.readdirSync(p)) normalise(path.join(p, e));
    } else if (st.isFile()) fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  };
  normalise(dir);
  const why = unreachable(user, dir);
  if (why) throw new Error(`stageForUser: ${why} (the temporary directory, ${os.tmpdir()}, must be reachable by ${user.name}: set TMPDIR)`);
  return dir;
}

const stagedClients = new Map<number, string>();

/**
 * The client's bundles (packages/client/bundle: the `machina` CLI with the
 * files it loads beside it, and the ESM library `client.js`) staged for
 * `user`, once per uid: answers the staged directory.
 */
export function stagedClientBundle(user: OtherUser): string {
  let dir = stagedClients.get(user.uid);
  if (dir === undefined) {
    dir = path.join(stageForUser(user, { bundle: path.join(REPO_ROOT, "packages", "client", "bundle") }), "bundle");
    stagedClients.set(user.uid, dir);
  }
  return dir;
}
