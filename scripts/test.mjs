#!/usr/bin/env node
// Runs every test (unit tests beside the code, cross-package tests in test/) with node's test
// runner, then prints one summary line CI can read: "N passed, N failed".
// Each test may take at most 10 minutes, so a hang fails the run instead of stalling CI.
// Usage: node scripts/test.mjs [name-filter]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const roots = ["packages/augeas/dist-test", "packages/protocol/dist-test", "packages/peercred/dist-test", "packages/server/dist-test", "packages/client/dist-test", "test/dist"];

function collect(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) collect(p, out);
    else if (entry.name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const filter = process.argv[2];
const files = roots.flatMap((r) => collect(path.join(repo, r), [])).filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error("test: no test files found (did the build run?)");
  process.exit(1);
}
if (process.getuid?.() !== 0) console.warn("test: not running as root; tests that need root (daemon sockets owned by root, init scripts, apt) will fail");

// One TAP file per run, so two runs at once cannot mix up their summaries.
const tap = path.join(repo, "test-results", `results.${process.pid}.tap`);
fs.mkdirSync(path.dirname(tap), { recursive: true });
const result = spawnSync(
  process.execPath,
  ["--test", "--test-concurrency=2", "--test-timeout=600000", "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=tap", `--test-reporter-destination=${tap}`, ...files],
  { cwd: repo, stdio: "inherit" },
);
const text = fs.existsSync(tap) ? fs.readFileSync(tap, "utf8") : "";
fs.rmSync(tap, { force: true });
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, "m").exec(text)?.[1] ?? "0");
const passed = count("pass");
const failed = count("fail") + count("cancelled");
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(result.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
