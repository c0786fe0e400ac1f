/**
 * How init scripts are run: through the daemon's one process runner
 * (../process/run-program.ts) with a cleared environment, stdin closed, a
 * timeout that kills the whole process group at once, and output past the cap
 * dropped rather than fatal (killing a script half-way through a restart could
 * leave its service half-started).
 */
import { runProgram } from "../process/run-program.js";

export interface BoundedRunOptions {
  /** The environment, complete: nothing of the daemon's own is inherited. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Bytes of stdout+stderr kept; the rest is read and dropped. */
  maxOutputBytes: number;
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

export async function runBounded(file: string, args: readonly string[], options: BoundedRunOptions): Promise<BoundedRunResult> {
  const r = await runProgram(file, args, { ...options, killGraceMs: 0, onOutputCap: "drop" });
  return { code: r.exitCode, signal: r.signal, output: r.output.toString("utf8"), truncated: r.truncated, timedOut: r.timedOut };
}
