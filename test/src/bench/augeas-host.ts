/**
 * `augeas.get.inprocess` and `augeas.get.host`: the daemon's own handling of
 * one `augeas.get` (policy engine, then libaugeas) without the socket — once
 * in this process, as machinad did before libaugeas moved off its event loop,
 * and once through the Augeas host process, as it does now. Their difference
 * is what each call pays for the host; `broker.get.rtt` includes it.
 */
import { AugeasHost, AugeasLocalRuntime, createLogger, parsePolicy, runCall } from "@machina/server";
import type { BenchSize, ScenarioResult } from "./results.js";
import { BENCH_POLICY, GET_PATH } from "./bench-sandbox.js";
import { elapsedNs, latencyResult } from "./stats.js";

const quiet = createLogger("error", () => undefined);
// What the host needs of a caller: a call it cuts short closes the session (never here).
const caller = { closeAfterThisReply: () => undefined, hungUp: new AbortController().signal } as unknown as Parameters<AugeasHost["call"]>[2];

async function timed(size: BenchSize, op: () => unknown): Promise<ScenarioResult> {
  for (let i = 0; i < size.warmup; i++) await op();
  const samples: number[] = [];
  for (let i = 0; i < size.rttSamples; i++) {
    const t0 = process.hrtime.bigint();
    await op();
    samples.push(elapsedNs(t0));
  }
  return latencyResult(samples);
}

export async function hostScenarios(root: string, size: BenchSize): Promise<{ inProcess: ScenarioResult; host: ScenarioResult }> {
  const section = parsePolicy(BENCH_POLICY, "bench").augeas;
  const params = { path: GET_PATH };
  const expect = (outcome: ReturnType<typeof runCall>) => {
    if (!outcome.granted || !("result" in outcome)) throw new Error(`augeas.get of ${GET_PATH} failed: ${JSON.stringify(outcome)}`);
  };

  const local = new AugeasLocalRuntime(root, quiet);
  let inProcess: ScenarioResult;
  try {
    local.usePolicy(section);
    inProcess = await timed(size, () => expect(runCall(local, "augeas.get", params, quiet)));
  } finally {
    local.close();
  }

  const host = new AugeasHost(root, quiet, 60_000);
  try {
    host.usePolicy(section);
    await host.ready();
    const result = await timed(size, async () => expect(await host.call("augeas.get", params, caller)));
    return { inProcess, host: result };
  } finally {
    host.close();
  }
}
