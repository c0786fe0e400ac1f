/**
 * panel.hosts: what the example web panel's Hosts page costs the broker — its
 * own readHosts() (examples/web-panel/src/hosts-entries.ts: one match, then
 * each entry's fields, pipelined) over an open session — against what a
 * panel that shells out pays for the same file:
 *   augtool.print          `augtool print /files/etc/hosts` (default full load)
 *   augtool.print.careful  the same with --noautoload and the one lens
 */
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { MachinaClient } from "@machina/client";
import { connectClient } from "../harness/clients.js";
import { REPO_ROOT } from "../harness/command.js";
import type { Sandbox } from "../harness/sandbox.js";
import type { BenchSize, ScenarioResult } from "./results.js";
import { latencyResult, timeSequential } from "./stats.js";
import { HOSTS_FILE, HOSTS_LENS } from "./bench-sandbox.js";
import { withDaemon } from "./bench-daemon.js";
import { timeProcess } from "./whole-process.js";

type ReadHosts = (m: MachinaClient) => Promise<Array<{ ipaddr: string; canonical: string; aliases: readonly string[] }>>;

/** The panel's own code, as built by `npm run build` (the example is not a dependency of the tests). */
async function panelReadHosts(): Promise<ReadHosts> {
  const file = path.join(REPO_ROOT, "examples", "web-panel", "dist", "hosts-entries.js");
  return ((await import(pathToFileURL(file).href)) as { readHosts: ReadHosts }).readHosts;
}

/** `augtool ARGS` as a whole process, checked to print every entry the panel read. */
function timeAugtool(runs: number, args: string[], entries: number): Promise<ScenarioResult> {
  return timeProcess(runs, "augtool", args, (out) => assert.equal(out.match(/\/ipaddr = /g)?.length, entries, "augtool prints every entry the panel read"));
}

export interface PanelResults {
  hosts: ScenarioResult;
  augtoolPrint: ScenarioResult;
  augtoolPrintCareful: ScenarioResult;
}

export async function panelScenarios(sandbox: Sandbox, size: BenchSize): Promise<PanelResults> {
  const readHosts = await panelReadHosts();
  const { hosts, entries } = await withDaemon(sandbox, async () => {
    const m = await connectClient(sandbox);
    try {
      const first = await readHosts(m);
      assert.ok(first.length > 0 && first.every((e) => e.ipaddr !== "" && e.canonical !== ""), "the Hosts page reads the entries");
      await timeSequential(Math.min(100, size.warmup), () => readHosts(m));
      return { hosts: latencyResult(await timeSequential(Math.max(100, size.rttSamples / 10), () => readHosts(m))), entries: first.length };
    } finally {
      await m.close();
    }
  });
  const print = ["-r", sandbox.root, "print", `/files${HOSTS_FILE}`];
  const careful = ["-r", sandbox.root, "--noautoload", "-t", `${HOSTS_LENS.replace(/\.lns$/, "")} incl ${HOSTS_FILE}`, "print", `/files${HOSTS_FILE}`];
  return {
    hosts,
    augtoolPrint: await timeAugtool(size.processRuns, print, entries),
    augtoolPrintCareful: await timeAugtool(size.processRuns * 2, careful, entries),
  };
}
