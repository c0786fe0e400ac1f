/**
 * `binding.get` and `binding.match`: the same calls as the C program, through
 * augeas-node-bindings in this process, timed the same way (the mean of a
 * batch of calls per sample, after a warm-up of a tenth as many calls).
 */
import { Augeas } from "augeas-node-bindings";
import type { BenchSize, ScenarioResult } from "./results.js";
import { elapsedNs, latencyResult } from "./stats.js";
import { GET_PATH, HOSTS_FILE, HOSTS_LENS, MATCH_PATH } from "./bench-sandbox.js";

function openHostsTree(root: string): Augeas {
  const aug = new Augeas({ root, noModuleAutoload: true, noLoad: true });
  aug.transform(HOSTS_LENS, HOSTS_FILE);
  aug.load();
  return aug;
}

function batched(size: BenchSize, op: () => unknown): ScenarioResult {
  for (let i = 0; i < (size.batches * size.batchSize) / 10 + 1; i++) op();
  const samples: number[] = [];
  for (let b = 0; b < size.batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < size.batchSize; i++) op();
    samples.push(elapsedNs(t0) / size.batchSize);
  }
  return latencyResult(samples);
}

export function bindingScenarios(root: string, size: BenchSize): { get: ScenarioResult; match: ScenarioResult } {
  const aug = openHostsTree(root);
  try {
    const value = aug.get(GET_PATH);
    if (typeof value !== "string") throw new Error(`${GET_PATH} has no value in the bench tree`);
    if (aug.match(MATCH_PATH).length < 2) throw new Error(`${MATCH_PATH} matches too few nodes in the bench tree`);
    return { get: batched(size, () => aug.get(GET_PATH)), match: batched(size, () => aug.match(MATCH_PATH)) };
  } finally {
    aug.close();
  }
}
