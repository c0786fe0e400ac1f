/**
 * Runs a program the way machinad runs anything: an argument vector (no
 * shell), a cleared environment, stdin closed, a timeout that kills the whole
 * process group, and a cap on the output kept.
 */
import { spawn } from "node:child_process";

export interface BoundedRunOptions {
  /** The environment, complete: nothing of the daemon's own is inherited. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Bytes of stdout+stderr kept; the rest is read and dropped. */
  maxOutputBytes: number;
  cwd?: string;
}

export interface BoundedRunResult {
  /** The exit status; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved as they arrived, up to the cap (UTF-8, lossy). */
  output: string;
  truncated: boolean;
  timedOut: boolean;
}

/**
 * After the program exits, how long to keep reading output that a child it
 * left behind (a daemon that did not close its inherited stdout) still holds
 * open; then the pipes are closed so such a child cannot hold the call.
 */
const OUTPUT_GRACE_MS = 250;

export function runBounded(file: string, args: readonly string[], options: BoundedRunOptions): Promise<BoundedRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      env: options.env,
      cwd: options.cwd ?? "/",
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so a timeout kills everything the script started.
      detached: true,
      shell: false,
    });
    const chunks: Buffer[] = [];
    let kept = 0;
    let truncated = false;
    const take = (b: Buffer) => {
      const room = options.maxOutputBytes - kept;
      if (room <= 0) {
        truncated = true;
        return;
      }
      const part = b.length > room ? b.subarray(0, room) : b;
      if (part.length < b.length) truncated = true;
      chunks.push(part);
      kept += part.length;
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);

    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);

    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const finish = () => {
      if (settled || !exit) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolve({ ...exit, output: Buffer.concat(chunks).toString("utf8"), truncated, timedOut });
    };
    child.once("error", (e) => {
      clearTimeout(timer);
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      // A timed-out script's leftovers in its group are killed too.
      if (timedOut) killGroup();
      grace = setTimeout(finish, OUTPUT_GRACE_MS);
    });
    child.once("close", finish);
  });
}
