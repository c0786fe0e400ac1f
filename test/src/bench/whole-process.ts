/**
 * Whole processes, each timed from spawn to exit (what a shell script or a
 * panel that shells out pays per call):
 *   node.start           `node -e 0`: the floor every node program stands on
 *   client.import        a module that only imports @machina/client
 *   cli.get              `machina get PATH` against the running daemon
 *   augtool.get.careful  `augtool --noautoload -t "Hosts incl /etc/hosts" get PATH`:
 *                        the careful sudo script, one lens and one file
 * (augtool.get, with augtool's default full load, is in processes.ts.)
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanEnv, MACHINA } from "../harness/daemon.js";
import type { Sandbox } from "../harness/sandbox.js";
import type { BenchSize, ScenarioResult } from "./results.js";
import { elapsedNs, latencyResult } from "./stats.js";
import { GET_PATH, HOSTS_FILE, HOSTS_LENS } from "./bench-sandbox.js";
import { withDaemon } from "./bench-daemon.js";

const IMPORT_CLIENT = path.join(path.dirname(fileURLToPath(import.meta.url)), "import-client.js");

function runOnce(file: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: 60_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${path.basename(file)} ${args.join(" ")} failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/** p50/p99 of `runs` sequential whole-process runs (after one unmeasured run, checked by `check`). */
export async function timeProcess(runs: number, file: string, args: string[], check: (stdout: string) => void, env?: NodeJS.ProcessEnv): Promise<ScenarioResult> {
  check(await runOnce(file, args, env));
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await runOnce(file, args, env);
    samples.push(elapsedNs(t0));
  }
  const { p50_us, p99_us } = latencyResult(samples);
  return { p50_us, p99_us };
}

export interface WholeProcessResults {
  nodeStart: ScenarioResult;
  clientImport: ScenarioResult;
  cliGet: ScenarioResult;
  augtoolCareful: ScenarioResult;
}

export async function wholeProcessScenarios(sandbox: Sandbox, size: BenchSize): Promise<WholeProcessResults> {
  const runs = size.processRuns * 2;
  const nodeStart = await timeProcess(runs, process.execPath, ["-e", "0"], () => undefined);
  const clientImport = await timeProcess(runs, process.execPath, [IMPORT_CLIENT], (out) => assert.equal(out.trim(), "function", "the client's connect() was imported"));
  const augtoolCareful = await timeProcess(runs, "augtool", ["-r", sandbox.root, "--noautoload", "-t", `${HOSTS_LENS.replace(/\.lns$/, "")} incl ${HOSTS_FILE}`, "get", GET_PATH], (out) =>
    assert.match(out, new RegExp(`^${GET_PATH} = \\S+`), "augtool reads the node"),
  );
  return withDaemon(sandbox, async () => {
    const args = ["--socket", sandbox.socket, "--secret-file", sandbox.secretFile, "--socket-owner", "any", "get", GET_PATH];
    const cliGet = await timeProcess(runs, process.execPath, [MACHINA, ...args], (out) => assert.match(out, /^\S+\n$/, "machina get prints the value"));
    return { nodeStart, clientImport, cliGet, augtoolCareful };
  });
}
