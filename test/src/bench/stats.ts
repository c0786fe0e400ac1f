/**
 * Turning timings into the reported numbers. Every sample is taken with
 * process.hrtime.bigint() (or CLOCK_MONOTONIC in the C program) and kept as
 * nanoseconds; percentiles are nearest-rank over the sorted samples.
 */
import fs from "node:fs";
import type { ScenarioResult } from "./results.js";

/** Nearest-rank percentile (0 < q ≤ 1) of samples (need not be sorted). */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}

/** p50/p99 in µs and ops/s (from the median) of per-operation samples in ns. */
export function latencyResult(samplesNs: readonly number[]): ScenarioResult {
  const p50 = percentile(samplesNs, 0.5);
  return { p50_us: round(p50 / 1000), p99_us: round(percentile(samplesNs, 0.99) / 1000), ops_per_s: Math.round(1e9 / p50) };
}

/** Three significant digits at most, without float noise in the JSON. */
export function round(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return Number(x.toFixed(Math.min(digits, 6)));
}

/** Nanoseconds since `start` (a process.hrtime.bigint() value). */
export function elapsedNs(start: bigint): number {
  return Number(process.hrtime.bigint() - start);
}

/** Times `n` runs of an async operation one after another; answers each run's ns. */
export async function timeSequential(n: number, op: (i: number) => Promise<unknown>): Promise<number[]> {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await op(i);
    out[i] = elapsedNs(t0);
  }
  return out;
}

/**
 * Runs `total` calls of `op` keeping `window` in flight; answers calls per
 * second over the whole run.
 */
export async function throughput(total: number, window: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let started = 0;
  const t0 = process.hrtime.bigint();
  const lane = async (): Promise<void> => {
    while (started < total) await op(started++);
  };
  await Promise.all(Array.from({ length: Math.min(window, total) }, lane));
  return total / (elapsedNs(t0) / 1e9);
}

/** A process's resident set size in MiB, from /proc. */
export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return round(Number(m[1]) / 1024);
}
