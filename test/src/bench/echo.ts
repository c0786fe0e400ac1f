/**
 * `echo.rtt` and `echo.pipelined`: the minimal echo server (echo-server.ts)
 * in another process, called by the minimal line client, with the same
 * params, sample counts and window as the broker scenarios.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchSize, ScenarioResult } from "./results.js";
import { latencyResult, median, throughput, timeSequential } from "./stats.js";
import { LineClient } from "./line-client.js";
import { startNode } from "./child-process.js";
import { GET_PATH } from "./bench-sandbox.js";

const ECHO_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "echo-server.js");
/** Calls in flight in every pipelined scenario. */
export const WINDOW = 256;

export async function echoScenarios(socketPath: string, size: BenchSize): Promise<{ rtt: ScenarioResult; pipelined: ScenarioResult }> {
  const server = await startNode(ECHO_SERVER, [socketPath], "stdout", /^ready$/m);
  try {
    const client = await LineClient.connect(socketPath);
    try {
      const params = { path: GET_PATH };
      await timeSequential(size.warmup, () => client.call("augeas.get", params));
      const rtt = latencyResult(await timeSequential(size.rttSamples, () => client.call("augeas.get", params)));
      const runs: number[] = [];
      for (let r = 0; r < size.pipelinedRuns; r++) runs.push(await throughput(size.pipelinedCalls, WINDOW, () => client.call("augeas.get", params)));
      return { rtt, pipelined: { ops_per_s: Math.round(median(runs)) } };
    } finally {
      client.close();
    }
  } finally {
    await server.stop();
  }
}
