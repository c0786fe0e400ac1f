#!/usr/bin/env node
// Lints the whole tree: `tsc -b` (the type check; it also writes the .d.ts files that ESLint's
// type-aware rules read), ESLint (eslint.config.mjs) and knip (knip.jsonc: unused files, exports
// and dependencies). Prints what they find, then one summary line; exits 1 on any finding.
// Usage: node scripts/lint.mjs
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const started = performance.now();
const bin = (name) => path.join(repo, "node_modules", ".bin", name);

function finish(verdict, ok) {
  console.log(`\nlint: ${verdict} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  process.exit(ok ? 0 : 1);
}

const tsc = spawnSync(bin("tsc"), ["-b", "--pretty"], { cwd: repo, stdio: "inherit" });
if (tsc.status !== 0) finish("tsc -b failed, see above", false);

const eslint = new ESLint({ cwd: repo });
const results = await eslint.lintFiles(["."]);
const report = await (await eslint.loadFormatter("stylish")).format(results);
if (report) process.stdout.write(report);
const problems = results.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
const badFiles = results.filter((r) => r.errorCount + r.warningCount > 0).length;

// knip exits 0 when it finds nothing, 1 when it finds something, 2 when it could not run.
const knip = spawnSync(bin("knip"), ["--no-progress"], { cwd: repo, stdio: "inherit" });

const failures = [];
if (problems > 0) failures.push(`eslint: ${problems} problem${problems === 1 ? "" : "s"} in ${badFiles} file${badFiles === 1 ? "" : "s"}`);
if (knip.status === 1) failures.push("knip: unused code or dependencies, see above");
else if (knip.status !== 0) failures.push(`knip could not run (${knip.error?.message ?? `exit ${knip.status ?? knip.signal}`})`);
if (failures.length > 0) finish(failures.join("; "), false);
finish(`clean: tsc -b, eslint (${results.length} files), knip`, true);
