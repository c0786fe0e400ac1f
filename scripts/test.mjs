#!/usr/bin/env node
// Runs every test (unit tests beside the code, cross-package tests in test/) with node's test
// runner, then prints one summary line CI can read: "N passed, N failed, N skipped".
// Each test may take at most 10 minutes, so a hang fails the run instead of stalling CI.
//
// "skipped" counts the tests and suites node skipped (a skipped suite counts once: its tests are
// never listed) and its todo tests (a todo test runs, but its failure does not count: it holds
// the suite to nothing either). A skip or todo is allowed only when its reason contains one of
// the substrings listed in test/allowed-skips.txt; any other one (including one with no reason
// at all) fails the run, so a test cannot quietly stop running, for example because something
// it needs is missing on the machine.
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
// Read first: a malformed allowlist fails the run before any test starts.
const allowedSkips = readAllowedSkips(path.join(repo, "test", "allowed-skips.txt"));
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
const { skipped, unexplained } = reportSkips(text, allowedSkips);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(result.status === 0 && failed === 0 && passed > 0 && unexplained === 0 ? 0 : 1);

/**
 * The allowlist: one reason substring per line; lines starting with "#" are comments, and every
 * entry needs a comment right above it (one comment may cover the entries right below it; a blank
 * line ends it) saying why that skip is fine: an unexplained entry would defeat the point.
 */
function readAllowedSkips(file) {
  if (!fs.existsSync(file)) return [];
  const entries = [];
  let commented = false;
  fs.readFileSync(file, "utf8").split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith("#")) commented = true;
    else if (line === "") commented = false;
    else {
      if (!commented) {
        console.error(`test: ${path.relative(repo, file)}:${i + 1}: an allowed skip needs a comment line above it saying why`);
        process.exit(1);
      }
      entries.push({ reason: line, line: i + 1 });
    }
  });
  return entries;
}

/**
 * Lists every skipped or todo test or suite from its TAP line ("ok 3 - name # SKIP reason", at any
 * depth; a skipped suite is one line and hides its tests) and answers how many there are and how
 * many of them are unexplained. (Counted from these lines, not from the "# skipped N" and
 * "# todo N" totals, which leave skipped suites out.)
 */
function reportSkips(tap, allowed) {
  // The tap reporter escapes "#" and "\\" (and control characters) in names and reasons, so the
  // first unescaped " # " starts the directive.
  const directive = /^\s*(?:not )?ok \d+ - ((?:\\.|[^\\#])*?) # (SKIP|TODO)(?: (.*))?$/gm;
  const unescape = (s) => s.replace(/\\(.)/g, (_, c) => ({ b: "\b", f: "\f", t: "\t", n: "\n", r: "\r" })[c] ?? c);
  let skipped = 0;
  let bad = 0;
  for (const [, name, kind, rawReason] of tap.matchAll(directive)) {
    skipped++;
    const reason = unescape(rawReason ?? "").trim();
    const entry = reason === "" ? undefined : allowed.find((a) => reason.includes(a.reason));
    if (!entry) bad++;
    const why = entry ? `allowed by test/allowed-skips.txt:${entry.line}` : "UNEXPLAINED: add its reason to test/allowed-skips.txt, or make it run";
    console.log(`${kind === "SKIP" ? "skipped" : "todo"}: ${unescape(name)}${reason ? ` (${reason})` : " (no reason given)"}: ${why}`);
  }
  if (bad > 0) console.log(`test: ${bad} skipped or todo test(s) without an allowed reason; the run fails`);
  return { skipped, unexplained: bad };
}
