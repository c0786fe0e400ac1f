/**
 * The broker scenarios: the real machinad (started as the integration tests
 * start it, with its audit log on) called through @machina/client.
 *   broker.get.rtt        sequential augeas.get
 *   broker.get.pipelined  augeas.get with WINDOW calls in flight
 *   broker.setsave.rtt    augeas.set + augeas.save of a one-line change
 *   broker.handshake      connect + mutual authentication
 *   idle                  a fresh daemon's RSS once it has started, before any client
 *   soak                  its RSS after soakFirst and soakTotal calls
 */
import assert from "node:assert/strict";
import { BusyError, connect, type MachinaClient } from "@machina/client";
import { withDaemon } from "./bench-daemon.js";
import { connectClient } from "../harness/clients.js";
import type { Sandbox } from "../harness/sandbox.js";
import type { BenchSize, ScenarioResult } from "./results.js";
import { elapsedNs, latencyResult, median, rssMb, throughput, timeSequential } from "./stats.js";
import { GET_PATH, MATCH_PATH, SET_PATH } from "./bench-sandbox.js";
import { WINDOW } from "./echo.js";

export interface BrokerResults {
  getRtt: ScenarioResult;
  getPipelined: ScenarioResult;
  setsaveRtt: ScenarioResult;
  handshake: ScenarioResult;
}

export async function brokerScenarios(sandbox: Sandbox, size: BenchSize): Promise<BrokerResults> {
  return withDaemon(sandbox, async () => {
    const m = await connectClient(sandbox);
    let getRtt: ScenarioResult, getPipelined: ScenarioResult, setsaveRtt: ScenarioResult;
    try {
      const params = { path: GET_PATH };
      const expected = await m.augeas.get(params);
      assert.equal(typeof expected.value, "string", `${GET_PATH} has no value through the broker`);
      await timeSequential(size.warmup, () => m.augeas.get(params));
      getRtt = latencyResult(await timeSequential(size.rttSamples, () => m.augeas.get(params)));

      const runs: number[] = [];
      for (let r = 0; r < size.pipelinedRuns; r++) runs.push(await throughput(size.pipelinedCalls, WINDOW, () => m.augeas.get(params)));
      getPipelined = { ops_per_s: Math.round(median(runs)) };

      setsaveRtt = await setSave(m, sandbox, size);
    } finally {
      await m.close();
    }
    const handshake = await handshakes(sandbox, size);
    return { getRtt, getPipelined, setsaveRtt, handshake };
  });
}

/** set + save, alternating two values so every save really writes the file. */
async function setSave(m: MachinaClient, sandbox: Sandbox, size: BenchSize): Promise<ScenarioResult> {
  const values = ["bench-a", "bench-b"];
  const once = async (i: number): Promise<void> => {
    await m.augeas.set({ path: SET_PATH, value: values[i % 2]! });
    const { files } = await m.augeas.save();
    assert.deepEqual(files, ["/etc/hosts"], "each set + save writes /etc/hosts");
  };
  const warm = Math.min(50, Math.ceil(size.setsaveSamples / 10));
  await timeSequential(warm, once);
  const samples = await timeSequential(size.setsaveSamples, (i) => once(i + warm));
  assert.match(sandbox.read("/etc/hosts"), /bench-[ab]/, "the saves reached the file");
  return latencyResult(samples);
}

/**
 * connect() through to the server's proof checked. The daemon frees its one
 * session slot only after it has seen the previous connection close; a
 * `busy` answer is retried and that attempt not counted.
 */
async function handshakes(sandbox: Sandbox, size: BenchSize): Promise<ScenarioResult> {
  const samples: number[] = [];
  const warm = Math.min(20, size.handshakeSamples);
  while (samples.length < size.handshakeSamples + warm) {
    const t0 = process.hrtime.bigint();
    let m: MachinaClient;
    try {
      m = await connect({ socket: sandbox.socket, secretFile: sandbox.secretFile });
    } catch (e) {
      if (!(e instanceof BusyError)) throw e;
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    samples.push(elapsedNs(t0));
    await m.close();
  }
  return latencyResult(samples.slice(warm));
}

/** A fresh daemon: its RSS idle, then after soakFirst calls and after soakTotal (gets and matches, pipelined). */
export async function soak(sandbox: Sandbox, size: BenchSize): Promise<{ idle: ScenarioResult; soak: ScenarioResult }> {
  return withDaemon(sandbox, async (daemon) => {
    // Settled: the Augeas host has loaded the files, nothing else is going on.
    await new Promise((r) => setTimeout(r, 1000));
    const idle = { rss_mb: rssMb(daemon.pid) };
    const m = await connectClient(sandbox);
    try {
      const op = (i: number) => (i % 2 === 0 ? m.augeas.get({ path: GET_PATH }) : m.augeas.match({ path: MATCH_PATH }));
      await throughput(size.soakFirst, WINDOW, op);
      const first = rssMb(daemon.pid);
      await throughput(size.soakTotal - size.soakFirst, WINDOW, op);
      const after = rssMb(daemon.pid);
      return { idle, soak: { rss_mb: first, rss_mb_after: after } };
    } finally {
      await m.close();
    }
  });
}
