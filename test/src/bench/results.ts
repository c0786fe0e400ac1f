/**
 * What a scenario reports. The field names are fixed: other tools read the
 * JSON (`{ "results": { "<name>": ScenarioResult } }`).
 */
export interface ScenarioResult {
  /** Median latency of one operation, in microseconds. */
  p50_us?: number;
  /** 99th-percentile latency of one operation, in microseconds. */
  p99_us?: number;
  /** Sustained operations per second. */
  ops_per_s?: number;
  /** Resident set size in MiB (coldstart: the daemon's at its first answer; soak: after soakFirst calls; idle: a started daemon's, before any client). */
  rss_mb?: number;
  /** soak only: the daemon's RSS in MiB after the whole soak. */
  rss_mb_after?: number;
}

/** Every scenario, in the order they run and print. */
export const SCENARIOS = [
  "c.get",
  "binding.get",
  "binding.match",
  "augeas.get.inprocess",
  "augeas.get.thread",
  "augeas.get.host",
  "echo.rtt",
  "echo.pipelined",
  "broker.get.rtt",
  "broker.get.pipelined",
  "broker.setsave.rtt",
  "c.setsave",
  "broker.handshake",
  "augtool.get",
  "coldstart",
  "node.start",
  "client.import",
  "cli.get",
  "augtool.get.careful",
  "panel.hosts",
  "augtool.print",
  "augtool.print.careful",
  "service.restart",
  "dbus.restart",
  "idle",
  "soak",
] as const;

export type ScenarioName = (typeof SCENARIOS)[number];

export type Results = Partial<Record<ScenarioName, ScenarioResult>>;

/** How much to measure: the full run, or `--quick` (a smoke run; its numbers are not meant to be quoted). */
export interface BenchSize {
  quick: boolean;
  /** Batches × calls per batch for the in-process scenarios (c.get, binding.*). */
  batches: number;
  batchSize: number;
  /** Sequential round trips measured (after `warmup` unmeasured ones). */
  rttSamples: number;
  warmup: number;
  /** Calls per pipelined run, and how many runs (the median is reported). */
  pipelinedCalls: number;
  pipelinedRuns: number;
  setsaveSamples: number;
  handshakeSamples: number;
  /** Processes started for augtool.get and for coldstart. */
  processRuns: number;
  /** soak: RSS is read after `soakFirst` calls and again after `soakTotal`. */
  soakFirst: number;
  soakTotal: number;
}

export const FULL: BenchSize = {
  quick: false,
  batches: 200,
  batchSize: 1000,
  rttSamples: 10_000,
  warmup: 1000,
  pipelinedCalls: 50_000,
  pipelinedRuns: 3,
  setsaveSamples: 1000,
  handshakeSamples: 200,
  processRuns: 10,
  soakFirst: 10_000,
  soakTotal: 1_000_000,
};

export const QUICK: BenchSize = {
  quick: true,
  batches: 20,
  batchSize: 200,
  rttSamples: 300,
  warmup: 100,
  pipelinedCalls: 2000,
  pipelinedRuns: 1,
  setsaveSamples: 30,
  handshakeSamples: 10,
  processRuns: 2,
  soakFirst: 1000,
  soakTotal: 5000,
};
