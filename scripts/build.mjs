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
  // The package's install script, the way npm runs it on install: build-addon.mjs (node-gyp).
  const install = JSON.parse(fs.readFileSync(path.join(abs, "package.json"), "utf8")).scripts.install.split(" ");
  if (install[0] !== "node") throw new Error(`${dir}: the install script is not \`node build-addon.mjs …\`: ${install.join(" ")}`);
  execFileSync(process.execPath, install.slice(1), { cwd: abs, stdio: ["ignore", "ignore", "inherit"] });
}

console.log("build: tsc -b");
execFileSync(path.join(repo, "node_modules", ".bin", "tsc"), ["-b"], { cwd: repo, stdio: "inherit" });

// tsc -b never deletes what it once emitted: a module renamed or removed would live on in dist/
// (and in npm pack's tarball). Drop every emitted file whose source is gone.
const OUTPUTS = [
  ...fs.readdirSync(path.join(repo, "packages")).flatMap((p) => ["dist", "dist-test"].map((d) => [`packages/${p}/${d}`, `packages/${p}/src`])),
  ["test/dist", "test/src"],
  ["examples/web-panel/dist", "examples/web-panel/src"],
];
const EMITTED = /\.(js|d\.ts)(\.map)?$/;
function prune(outDir, srcDir) {
  for (const entry of fs.readdirSync(outDir, { withFileTypes: true })) {
    const out = path.join(outDir, entry.name);
    if (entry.isDirectory()) {
      prune(out, path.join(srcDir, entry.name));
      if (fs.readdirSync(out).length === 0) fs.rmdirSync(out);
    } else if (EMITTED.test(entry.name) && !fs.existsSync(path.join(srcDir, entry.name.replace(EMITTED, ".ts")))) {
      console.log(`build: removing ${path.relative(repo, out)} (its source is gone)`);
      fs.rmSync(out);
    }
  }
}
for (const [outDir, srcDir] of OUTPUTS) if (fs.existsSync(path.join(repo, outDir))) prune(path.join(repo, outDir), path.join(repo, srcDir));

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
