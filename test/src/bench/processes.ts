/**
 * The per-process scenarios:
 *   augtool.get  one `augtool -r ROOT get PATH` with augtool's default full
 *                load (every lens, every file it knows under ROOT) — what a
 *                panel pays per click when it shells out through a sudo rule;
 *   coldstart    spawning machinad until its first augeas.get is answered
 *                (rss_mb: the daemon's RSS right then).
 */
import assert from "node:assert/strict";
import { connect } from "@machina/client";
import { MACHINAD_NODE_FLAGS } from "@machina/server/node-flags";
import { daemonArgs, MACHINAD } from "../harness/daemon.js";
import type { Sandbox } from "../harness/sandbox.js";
import type { BenchSize, ScenarioResult } from "./results.js";
import { elapsedNs, latencyResult, median, rssMb, round } from "./stats.js";
import { startNode } from "./child-process.js";
import { GET_PATH } from "./bench-sandbox.js";
import { timeProcess } from "./whole-process.js";

export function augtoolGet(root: string, size: BenchSize): Promise<ScenarioResult> {
  return timeProcess(size.processRuns, "augtool", ["-r", root, "get", GET_PATH], (out) => assert.match(out, new RegExp(`^${GET_PATH} = \\S+`), "augtool reads the same node"));
}

/** p50/p99 only: a rate of process starts is not a throughput anyone runs at. */
function perProcess(samples: number[]): ScenarioResult {
  const { p50_us, p99_us } = latencyResult(samples);
  return { p50_us, p99_us };
}

export async function coldstart(sandbox: Sandbox, size: BenchSize): Promise<ScenarioResult> {
  const samples: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < size.processRuns; i++) {
    const t0 = process.hrtime.bigint();
    // As the installed wrapper starts it.
    const daemon = await startNode(MACHINAD, daemonArgs(sandbox), "stderr", / info: listening on /, MACHINAD_NODE_FLAGS);
    try {
      const m = await connect({ socket: sandbox.socket, secretFile: sandbox.secretFile });
      try {
        const { value } = await m.augeas.get({ path: GET_PATH });
        samples.push(elapsedNs(t0));
        assert.equal(typeof value, "string");
        rss.push(rssMb(daemon.child.pid!));
      } finally {
        await m.close();
      }
    } catch (e) {
      throw new Error(`coldstart: ${(e as Error).message}\n${daemon.stderr()}`, { cause: e });
    } finally {
      await daemon.stop();
    }
  }
  return { ...perProcess(samples), rss_mb: round(median(rss)) };
}
