/**
 * The alternative to the Augeas host process that `augeas.get.thread`
 * measures: the same runtime and call handling, in a worker thread, answering
 * the same requests by postMessage. (machinad does not use it: a thread stuck
 * in a native libaugeas call can be neither terminated nor abandoned.)
 */
import { parentPort, workerData } from "node:worker_threads";
import { AugeasLocalRuntime, createLogger, parsePolicy, runCall } from "@machina/server";

const { root, policy } = workerData as { root: string; policy: string };
const quiet = createLogger("error", () => undefined);
const runtime = new AugeasLocalRuntime(root, quiet);
runtime.usePolicy(parsePolicy(policy, "bench").augeas);
parentPort!.on("message", (m: { id: number; method: string; params: unknown }) => {
  void Promise.resolve(runCall(runtime, m.method, m.params, quiet)).then((outcome) => parentPort!.postMessage({ id: m.id, outcome }));
});
parentPort!.postMessage({ ready: true });
