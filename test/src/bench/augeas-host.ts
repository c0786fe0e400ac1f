/**
 * `augeas.get.inprocess`, `augeas.get.thread` and `augeas.get.host`: the
 * daemon's own handling of one `augeas.get` (policy engine, then libaugeas)
 * without the socket — in this process, as machinad did before libaugeas
 * moved off its event loop; in a worker thread (the alternative, thread-host.ts);
 * and through the Augeas host process, as it does now. The differences are
 * what each call pays for being off the event loop; `broker.get.rtt` includes it.
 */
import { Worker } from "node:worker_threads";
import { AugeasHost, AugeasLocalRuntime, createLogger, parsePolicy, runCall } from "@machina/server";
import type { BenchSize, ScenarioResult } from "./results.js";
import { BENCH_POLICY, GET_PATH } from "./bench-sandbox.js";
import { elapsedNs, latencyResult } from "./stats.js";

const quiet = createLogger("error", () => undefined);
// What the host needs of a caller: a call it cuts short closes the session (never here).
const caller = { closeAfterThisReply: () => undefined, hungUp: new AbortController().signal, peer: { pid: process.pid, uid: 0, gid: 0 } } as unknown as Parameters<AugeasHost["call"]>[2];

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

/** The same call through a worker thread that holds the runtime. */
async function threadScenario(root: string, size: BenchSize): Promise<ScenarioResult> {
  const worker = new Worker(new URL("./thread-host.js", import.meta.url), { workerData: { root, policy: BENCH_POLICY } });
  try {
    const waiting = new Map<number, (outcome: Awaited<ReturnType<typeof runCall>>) => void>();
    await new Promise<void>((resolve, reject) => {
      worker.once("error", reject);
      worker.on("message", (m: { ready?: true; id: number; outcome: Awaited<ReturnType<typeof runCall>> }) => {
        if (m.ready) return resolve();
        waiting.get(m.id)?.(m.outcome);
        waiting.delete(m.id);
      });
    });
    let id = 0;
    const call = () =>
      new Promise<Awaited<ReturnType<typeof runCall>>>((resolve) => {
        waiting.set(++id, resolve);
        worker.postMessage({ id, method: "augeas.get", params: { path: GET_PATH } });
      });
    return await timed(size, async () => expect(await call()));
  } finally {
    await worker.terminate();
  }
}

function expect(outcome: Awaited<ReturnType<typeof runCall>>): void {
  if (!outcome.granted || !("result" in outcome)) throw new Error(`augeas.get of ${GET_PATH} failed: ${JSON.stringify(outcome)}`);
}

export async function hostScenarios(root: string, size: BenchSize): Promise<{ inProcess: ScenarioResult; thread: ScenarioResult; host: ScenarioResult }> {
  const section = parsePolicy(BENCH_POLICY, "bench").augeas;
  const params = { path: GET_PATH };

  const local = new AugeasLocalRuntime(root, quiet);
  let inProcess: ScenarioResult;
  try {
    local.usePolicy(section);
    inProcess = await timed(size, () => expect(runCall(local, "augeas.get", params, quiet) as Awaited<ReturnType<typeof runCall>>));
  } finally {
    local.close();
  }

  const thread = await threadScenario(root, size);
  const host = new AugeasHost(root, quiet, 60_000);
  try {
    host.usePolicy(section);
    await host.ready();
    const call = { id: "bench-0-1", time: new Date().toISOString() };
    const result = await timed(size, async () => expect(await host.call("augeas.get", params, caller, call)));
    return { inProcess, thread, host: result };
  } finally {
    host.close();
  }
}
