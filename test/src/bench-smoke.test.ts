/**
 * `npm run bench -- --quick` runs to the end and reports every scenario with
 * the fields it is defined to have. Never asserts on a time: the numbers of a
 * quick run on a busy test machine mean nothing, only their presence does.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { SCENARIOS } from "./bench/results.js";
import { run } from "./harness/daemon.js";

const RUN = path.join(path.dirname(fileURLToPath(import.meta.url)), "bench", "run.js");

/** The fields each scenario must report (others may be there too). */
const FIELDS: Record<(typeof SCENARIOS)[number], string[]> = {
  "c.get": ["p50_us", "p99_us", "ops_per_s"],
  "binding.get": ["p50_us", "p99_us", "ops_per_s"],
  "binding.match": ["p50_us", "p99_us", "ops_per_s"],
  "augeas.get.inprocess": ["p50_us", "p99_us", "ops_per_s"],
  "augeas.get.thread": ["p50_us", "p99_us", "ops_per_s"],
  "augeas.get.host": ["p50_us", "p99_us", "ops_per_s"],
  "echo.rtt": ["p50_us", "p99_us", "ops_per_s"],
  "echo.pipelined": ["ops_per_s"],
  "broker.get.rtt": ["p50_us", "p99_us", "ops_per_s"],
  "broker.get.pipelined": ["ops_per_s"],
  "broker.setsave.rtt": ["p50_us", "p99_us", "ops_per_s"],
  "c.setsave": ["p50_us", "p99_us", "ops_per_s"],
  "broker.handshake": ["p50_us", "p99_us", "ops_per_s"],
  "augtool.get": ["p50_us", "p99_us"],
  coldstart: ["p50_us", "p99_us", "rss_mb"],
  "node.start": ["p50_us", "p99_us"],
  "client.import": ["p50_us", "p99_us"],
  "cli.get": ["p50_us", "p99_us"],
  "augtool.get.careful": ["p50_us", "p99_us"],
  "panel.hosts": ["p50_us", "p99_us", "ops_per_s"],
  "augtool.print": ["p50_us", "p99_us"],
  "augtool.print.careful": ["p50_us", "p99_us"],
  "service.restart": ["p50_us", "p99_us", "ops_per_s"],
  "dbus.restart": ["p50_us", "p99_us", "ops_per_s"],
  idle: ["rss_mb"],
  soak: ["rss_mb", "rss_mb_after"],
};

test("npm run bench -- --quick completes and reports every scenario", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-bench-smoke-"));
  try {
    const json = path.join(dir, "bench.json");
    const r = await run(RUN, ["--quick", "--json", json], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, `bench failed:\n${r.stdout}\n${r.stderr}`);
    const doc = JSON.parse(fs.readFileSync(json, "utf8")) as { results: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(doc.results).sort(), [...SCENARIOS].sort());
    for (const name of SCENARIOS) {
      for (const field of FIELDS[name]) {
        const v = doc.results[name]![field];
        assert.ok(typeof v === "number" && Number.isFinite(v) && v > 0, `${name}.${field} is a positive number (got ${String(v)})`);
      }
      // The printed table names every scenario too.
      assert.match(r.stdout, new RegExp(`^${name.replace(/\./g, "\\.")}\\s`, "m"), `the table shows ${name}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
