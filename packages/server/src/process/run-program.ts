/**
 * Runs one program for every backend (init scripts, apt, timedatectl,
 * allowlisted commands): an argument vector (never a shell), the environment
 * exactly as given (nothing inherited from the daemon), its own process group
 * (so a timeout reaches everything it started), a time limit (SIGTERM to the
 * group, SIGKILL after a grace period), and a cap on the output kept. By
 * default reaching the cap kills the group, as execFile's maxBuffer does,
 * because a program flooding its output would otherwise keep the call busy
 * until its timeout; init scripts ask to have the excess dropped instead, since
 * killing one half-way through a restart could leave its service half-started.
 *
 * A program may also be *contained* (allowlisted commands are): whatever it
 * started dies with it — when it exits, times out or floods, its process group
 * is killed, and so is its cgroup where the daemon can give it one
 * (program-cgroup.ts), which holds even the children that left its session
 * and group with setsid(); the call answers only once they are gone. Init
 * scripts and apt are not contained: the services they start must outlive them.
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import type { Readable } from "node:stream";
import type { Logger } from "../logger.js";
import { ProgramCgroup } from "./program-cgroup.js";

/** The PATH every child gets: system directories only. */
export const SAFE_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

export interface ProgramOptions {
  /** The complete environment of the child. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL after a timeout (default 2000 ms); 0: SIGKILL at once. */
  killGraceMs?: number;
  /** Bytes of stdout + stderr kept. */
  maxOutputBytes: number;
  /** What reaching maxOutputBytes does: end the program (default), or drop the rest and let it finish. */
  onOutputCap?: "kill" | "drop";
  /** Written to stdin, which is then closed; default: stdin is /dev/null. */
  stdin?: Uint8Array;
  /** Run as this uid/gid (libuv drops supplementary groups when it changes ids as root). */
  uid?: number;
  gid?: number;
  /** Receives each line the program writes to file descriptor 3 (apt's `APT::Status-Fd=3`). */
  onStatusLine?: (line: string) => void;
  /** Called once the program has started. */
  onStart?: (pid: number) => void;
  /** Kill everything the program started once it ends (see above); `logger` hears when only its process group can be. */
  contain?: { logger: Logger };
}

export interface ProgramResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The output cap was reached (and the program killed, unless onOutputCap is "drop"). */
  truncated: boolean;
  stdout: Buffer;
  stderr: Buffer;
  /** stdout and stderr interleaved as they arrived. */
  output: Buffer;
}

/**
 * After the program exits, how long to keep reading output a child it left
 * behind still holds open; then the pipes are closed so it cannot hold the call.
 */
const OUTPUT_GRACE_MS = 250;

/** Starts `file` with `args`; rejects only when it cannot be started (ENOENT, EACCES, …). */
export function runProgram(file: string, args: readonly string[], options: ProgramOptions): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = [options.stdin ? "pipe" : "ignore", "pipe", "pipe"];
    if (options.onStatusLine) stdio.push("pipe");
    // detached: its own session and process group (setsid), so a kill reaches everything that stays in them.
    const start = (): ChildProcess =>
      spawn(file, [...args], {
        env: options.env,
        cwd: "/",
        stdio,
        detached: true,
        shell: false,
        ...(options.uid !== undefined ? { uid: options.uid } : {}),
        ...(options.gid !== undefined ? { gid: options.gid } : {}),
      });
    let cgroup = options.contain ? ProgramCgroup.create(options.contain.logger) : undefined;
    let child: ChildProcess;
    try {
      const inside = cgroup?.spawnInside(start, options.contain!.logger);
      if (cgroup && !inside) void cgroup.remove(0);
      if (!inside) cgroup = undefined;
      child = inside?.value ?? start();
    } catch (e) {
      void cgroup?.remove(0);
      throw e;
    }

    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
      if (signal === "SIGKILL") cgroup?.kill();
    };
    /** Answers once nothing the program started is left in its cgroup (at once without one). */
    const gone = async (): Promise<void> => {
      if (cgroup && !(await cgroup.remove())) options.contain?.logger.warn(`${file}: processes it started outlived the kill; its cgroup is left in place`);
    };

    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const both: Buffer[] = [];
    let kept = 0;
    let truncated = false;
    const killOnCap = (options.onOutputCap ?? "kill") === "kill";
    const take = (into: Buffer[]) => (chunk: Buffer) => {
      if (truncated) return;
      const room = options.maxOutputBytes - kept;
      const part = chunk.length > room ? chunk.subarray(0, Math.max(0, room)) : chunk;
      if (part.length > 0) {
        into.push(part);
        both.push(part);
        kept += part.length;
      }
      if (part.length < chunk.length) {
        truncated = true;
        if (killOnCap) killGroup("SIGKILL");
      }
    };
    child.stdout!.on("data", take(out));
    child.stderr!.on("data", take(err));

    const status = options.onStatusLine ? (child.stdio[3] as Readable | null | undefined) : null;
    if (status && options.onStatusLine) {
      let pending = "";
      status.setEncoding("utf8");
      status.on("data", (text: string) => {
        pending += text;
        // A status line is short; a program writing megabytes without a newline is ignored past 64 KiB.
        if (pending.length > 65536) pending = "";
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          try {
            options.onStatusLine!(line);
          } catch {
            // A failing progress consumer must not break the run.
          }
        }
      });
      status.on("error", () => undefined);
    }

    if (options.stdin && child.stdin) {
      // The program may exit without reading its input: EPIPE is not our failure.
      child.stdin.on("error", () => undefined);
      child.stdin.end(Buffer.from(options.stdin.buffer, options.stdin.byteOffset, options.stdin.byteLength));
    }

    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      const grace = options.killGraceMs ?? 2000;
      if (grace === 0) return killGroup("SIGKILL");
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), grace);
    }, options.timeoutMs);

    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const finish = () => {
      if (settled || !exit) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(grace);
      for (const s of child.stdio) s?.destroy();
      const result = { exitCode: exit.code, signal: exit.signal, timedOut, truncated, stdout: Buffer.concat(out), stderr: Buffer.concat(err), output: Buffer.concat(both) };
      void gone().then(() => resolve(result));
    };
    child.once("spawn", () => {
      if (child.pid !== undefined) options.onStart?.(child.pid);
    });
    child.once("error", (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      void gone().then(() => reject(e));
    });
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      // Whatever it left running goes too: always when it is contained, else once it timed out or flooded.
      if (options.contain || timedOut || (truncated && killOnCap)) killGroup("SIGKILL");
      grace = setTimeout(finish, OUTPUT_GRACE_MS);
    });
    child.once("close", finish);
  });
}
