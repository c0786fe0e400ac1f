#!/usr/bin/env node
// Builds everything: the two native addons (only when their sources changed), the TypeScript
// (tsc -b) and the bundles; then links the workspaces' bins (machina, machinad) into
// node_modules/.bin, so that `npx machina …` and `npx machinad …` work in the checkout.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NATIVE = [
  { dir: "packages/augeas", output: "build/Release/augeas.node" },
  { dir: "packages/peercred", output: "build/Release/peercred.node" },
];

function newestSource(dir) {
  let newest = fs.statSync(path.join(dir, "binding.gyp")).mtimeMs;
  for (const f of fs.readdirSync(path.join(dir, "src", "native"))) newest = Math.max(newest, fs.statSync(path.join(dir, "src", "native", f)).mtimeMs);
  return newest;
}

for (const { dir, output } of NATIVE) {
  const abs = path.join(repo, dir);
  const out = path.join(abs, output);
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= newestSource(abs)) continue;
  console.log(`build: native addon in ${dir}`);
  const nodedir = fs.existsSync("/usr/include/node/node_api.h") ? ["--nodedir=/usr"] : [];
  execFileSync(path.join(repo, "node_modules", ".bin", "node-gyp"), ["rebuild", ...nodedir], { cwd: abs, stdio: ["ignore", "ignore", "inherit"] });
}

console.log("build: tsc -b");
execFileSync(path.join(repo, "node_modules", ".bin", "tsc"), ["-b"], { cwd: repo, stdio: "inherit" });

// The shipped form: each program in a few files (scripts/bundle.mjs says why).
execFileSync(process.execPath, [path.join(repo, "scripts", "bundle.mjs")], { cwd: repo, stdio: "inherit" });

// npm links a workspace's bins into node_modules/.bin at install time only if their targets exist,
// and ours are the bundles made just now: link them the way npm does (a relative symlink through
// node_modules/<package>, the target made executable), replacing whatever is there.
function linkWorkspaceBins() {
  const binDir = path.join(repo, "node_modules", ".bin");
  const { workspaces } = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8"));
  for (const dir of workspaces) {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, dir, "package.json"), "utf8"));
    const bins = typeof pkg.bin === "string" ? { [pkg.name.split("/").pop()]: pkg.bin } : (pkg.bin ?? {});
    for (const [name, target] of Object.entries(bins)) {
      const file = path.join(repo, dir, target);
      if (!fs.existsSync(file)) throw new Error(`build: the bin ${name} of ${pkg.name} (${target}) was not built`);
      fs.chmodSync(file, fs.statSync(file).mode | 0o111);
      const link = path.join(binDir, name);
      const wanted = path.relative(binDir, path.join(repo, "node_modules", pkg.name, target));
      let current;
      try {
        current = fs.readlinkSync(link);
      } catch {
        current = undefined;
      }
      if (current === wanted) continue;
      fs.mkdirSync(binDir, { recursive: true });
      const tmp = `${link}.${process.pid}.tmp`;
      fs.rmSync(tmp, { force: true });
      fs.symlinkSync(wanted, tmp);
      fs.renameSync(tmp, link);
    }
  }
}
linkWorkspaceBins();
