// Test support (not a test file): runs a small ES module in a separate node process, so that an
// operation that used to crash libaugeas (SIGSEGV, SIGABRT) or hang takes down that child and the
// test sees it as a failed outcome, instead of killing or stalling the test runner.
import { spawnSync } from "node:child_process";

/** The built package, for `await import(packageUrl)` in a child script. */
export const packageUrl = import.meta.resolve("#src/index.js");

export interface ChildOutcome {
  /** Exit code, or null when a signal ended the child. */
  status: number | null;
  signal: NodeJS.Signals | null;
  /** The child was killed (SIGKILL) after `timeoutMs`. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs `source` as an ES module (read from stdin: it may be longer than a command-line argument
 * may be) and waits for it, killing it after `timeoutMs`. The script should print its findings
 * (for example one JSON line) to stdout.
 */
export function runChildScript(source: string, timeoutMs = 20_000): ChildOutcome {
  const r = spawnSync(process.execPath, ["--input-type=module"], {
    input: source,
    // glibc fills freed memory with this byte, so reading freed memory (a use after free in
    // libaugeas) crashes every time instead of only when the memory was reused.
    env: { ...process.env, MALLOC_PERTURB_: "165" },
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    maxBuffer: 16 * 2 ** 20,
  });
  // A child that could not be started at all is reported as a failure, never as a clean exit.
  const timedOut = r.error !== undefined && "code" in r.error && r.error.code === "ETIMEDOUT";
  if (r.error !== undefined && !timedOut) throw r.error;
  return { status: r.status, signal: r.signal, timedOut, stdout: r.stdout, stderr: r.stderr };
}

/** One line for an assertion message: how the child ended and what it said. */
export function describeOutcome(o: ChildOutcome): string {
  const end = o.timedOut ? "timed out (killed)" : o.signal !== null ? `killed by ${o.signal}` : `exit ${o.status}`;
  // The first lines of stderr carry the reason (FATAL ERROR, an assertion, "double free").
  const lines = (s: string, pick: (l: string[]) => string[]): string => pick(s.trim().split("\n")).join(" | ").slice(0, 600);
  return `child ${end}; stdout: ${lines(o.stdout, (l) => l.slice(-4))}; stderr: ${lines(o.stderr, (l) => l.slice(0, 4))}`;
}
