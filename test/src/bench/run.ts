/**
 * `npm run bench` — every scenario, its baselines measured in the same run,
 * on one sandbox tree; prints the table and the ratios against the targets.
 *
 * usage: node test/dist/bench/run.js [--quick] [--json FILE]
 *   --quick      a short run (for the smoke test); its numbers are not meant to be quoted
 *   --json FILE  also write { results: { <scenario>: { p50_us, p99_us, ops_per_s, rss_mb, rss_mb_after } }, ratios, machine }
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { FULL, QUICK, SCENARIOS, type Results } from "./results.js";
import { benchSandbox } from "./bench-sandbox.js";
import { cGet, cSetSave } from "./c-get.js";
import { bindingScenarios } from "./binding.js";
import { echoScenarios } from "./echo.js";
import { hostScenarios } from "./augeas-host.js";
import { brokerScenarios, soak } from "./broker.js";
import { augtoolGet, coldstart } from "./processes.js";
import { wholeProcessScenarios } from "./whole-process.js";
import { panelScenarios } from "./panel.js";
import { serviceScenarios } from "./service.js";
import { formatReport, machine, ratios, writeJson } from "./report.js";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, json: { type: "string" } }, strict: true });
  const size = values.quick ? QUICK : FULL;
  const m = machine();
  console.log(`bench${size.quick ? " (quick)" : ""}: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, ${m.kernel}, node ${m.node}`);
  const sandbox = benchSandbox();
  const results: Results = {};
  const step = async (what: string, fn: () => Promise<void> | void): Promise<void> => {
    const t0 = Date.now();
    process.stdout.write(`bench: ${what} … `);
    await fn();
    console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
  try {
    await step("c.get", () => void (results["c.get"] = cGet(sandbox.root, size)));
    await step("c.setsave", () => void (results["c.setsave"] = cSetSave(sandbox.root, size)));
    await step("binding.get, binding.match", () => {
      const b = bindingScenarios(sandbox.root, size);
      results["binding.get"] = b.get;
      results["binding.match"] = b.match;
    });
    await step("augeas.get.inprocess, augeas.get.thread, augeas.get.host", async () => {
      const h = await hostScenarios(sandbox.root, size);
      results["augeas.get.inprocess"] = h.inProcess;
      results["augeas.get.thread"] = h.thread;
      results["augeas.get.host"] = h.host;
    });
    await step("echo.rtt, echo.pipelined", async () => {
      const e = await echoScenarios(path.join(sandbox.dir, "echo.sock"), size);
      results["echo.rtt"] = e.rtt;
      results["echo.pipelined"] = e.pipelined;
    });
    await step("broker.get.rtt, broker.get.pipelined, broker.setsave.rtt, broker.handshake", async () => {
      const b = await brokerScenarios(sandbox, size);
      results["broker.get.rtt"] = b.getRtt;
      results["broker.get.pipelined"] = b.getPipelined;
      results["broker.setsave.rtt"] = b.setsaveRtt;
      results["broker.handshake"] = b.handshake;
    });
    sandbox.restoreFixtures();
    await step("augtool.get", async () => void (results["augtool.get"] = await augtoolGet(sandbox.root, size)));
    await step("coldstart", async () => void (results["coldstart"] = await coldstart(sandbox, size)));
    await step("node.start, client.import, cli.get, augtool.get.careful", async () => {
      const w = await wholeProcessScenarios(sandbox, size);
      results["node.start"] = w.nodeStart;
      results["client.import"] = w.clientImport;
      results["cli.get"] = w.cliGet;
      results["augtool.get.careful"] = w.augtoolCareful;
    });
    await step("panel.hosts, augtool.print, augtool.print.careful", async () => {
      const p = await panelScenarios(sandbox, size);
      results["panel.hosts"] = p.hosts;
      results["augtool.print"] = p.augtoolPrint;
      results["augtool.print.careful"] = p.augtoolPrintCareful;
    });
    await step("service.restart, dbus.restart (a real systemd in a container)", async () => {
      const s = await serviceScenarios(size);
      results["service.restart"] = s.restart;
      results["dbus.restart"] = s.direct;
    });
    await step(`idle, soak (${size.soakTotal.toLocaleString("en-US")} calls)`, async () => {
      const s = await soak(sandbox, size);
      results.idle = s.idle;
      results.soak = s.soak;
    });
  } finally {
    sandbox.cleanup();
  }
  const missing = SCENARIOS.filter((s) => results[s] === undefined);
  if (missing.length) throw new Error(`scenarios without results: ${missing.join(", ")}`);
  const rs = ratios(results);
  console.log(`\n${formatReport(results, rs)}`);
  if (values.json) {
    writeJson(values.json, results, rs, size.quick);
    console.log(`\nbench: wrote ${values.json}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
