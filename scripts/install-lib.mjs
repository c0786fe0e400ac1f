#!/usr/bin/env node
// `make install`'s library step: lays down what machinad and machina need at run time under
// DEST (the Makefile passes $(DESTDIR)$(LIBDIR)) as an ordinary node_modules tree:
//   DEST/node_modules/@machina/{protocol,peercred,server,client}, augeas-node-bindings
//     package.json, dist/ (without tests), bundle/ (the programs, scripts/bundle.mjs) and the
//     native addon (build/Release/*.node)
//   DEST/node_modules/<dependency>   every production dependency, copied from this checkout's
//     node_modules as npm installed it (so no network and exactly the locked versions)
// Usage: node scripts/install-lib.mjs DEST
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WORKSPACES = ["packages/protocol", "packages/augeas", "packages/peercred", "packages/server", "packages/client"];
const ENTRY_POINTS = ["@machina/server", "@machina/client"];

const dest = process.argv[2];
if (!dest) {
  console.error("usage: node scripts/install-lib.mjs DEST");
  process.exit(2);
}
const destModules = path.join(path.resolve(dest), "node_modules");

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** Workspace packages by name, from their real directories. */
const workspaces = new Map(WORKSPACES.map((dir) => [readJson(path.join(repo, dir, "package.json")).name, path.join(repo, dir)]));

/** Node's lookup: the nearest node_modules/<name> above `fromDir`. */
function locate(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return fs.realpathSync(candidate);
    if (dir === path.dirname(dir)) return undefined;
  }
}

/** Where a third-party package found at `source` goes: the same place relative to its node_modules. */
function targetOf(source) {
  const rel = path.relative(repo, source);
  if (rel.startsWith(`node_modules${path.sep}`)) return path.join(destModules, rel.slice("node_modules/".length));
  // A dependency nested under a workspace (packages/X/node_modules/…) goes under that package.
  for (const [name, dir] of workspaces) {
    const under = path.relative(dir, source);
    if (under.startsWith(`node_modules${path.sep}`)) return path.join(destModules, name, under);
  }
  throw new Error(`dependency outside node_modules: ${source}`);
}

// Test files and build bookkeeping are not part of the installed program.
function wanted(file) {
  const base = path.basename(file);
  return !/\.test\.(js|d\.ts)(\.map)?$|\.test-support\.|\.tsbuildinfo$/.test(base);
}

function copyWorkspace(name, dir) {
  const target = path.join(destModules, name);
  fs.mkdirSync(target, { recursive: true });
  fs.copyFileSync(path.join(dir, "package.json"), path.join(target, "package.json"));
  const dist = path.join(dir, "dist");
  if (!fs.existsSync(dist)) throw new Error(`${dir}/dist is missing: build first (make, or npm run build)`);
  fs.cpSync(dist, path.join(target, "dist"), { recursive: true, filter: wanted });
  const bundle = path.join(dir, "bundle");
  if (fs.existsSync(bundle)) fs.cpSync(bundle, path.join(target, "bundle"), { recursive: true });
  const release = path.join(dir, "build", "Release");
  if (fs.existsSync(path.join(dir, "binding.gyp"))) {
    const addons = fs.existsSync(release) ? fs.readdirSync(release).filter((f) => f.endsWith(".node")) : [];
    if (addons.length === 0) throw new Error(`${dir}: native addon not built: build first (make, or npm run build)`);
    fs.mkdirSync(path.join(target, "build", "Release"), { recursive: true });
    for (const f of addons) fs.copyFileSync(path.join(release, f), path.join(target, "build", "Release", f));
  }
}

const copied = new Set();
function install(name, fromDir) {
  if (workspaces.has(name)) {
    if (copied.has(name)) return;
    copied.add(name);
    const dir = workspaces.get(name);
    copyWorkspace(name, dir);
    dependenciesOf(dir, dir);
    return;
  }
  const source = locate(name, fromDir);
  if (!source) throw new Error(`production dependency ${name} (needed from ${path.relative(repo, fromDir)}) is not installed: run npm install`);
  if (copied.has(source)) return;
  copied.add(source);
  // The whole package directory, including its own nested node_modules.
  fs.cpSync(source, targetOf(source), { recursive: true, dereference: false });
  dependenciesOf(source, source);
}

function dependenciesOf(dir, from) {
  const pkg = readJson(path.join(dir, "package.json"));
  for (const name of Object.keys(pkg.dependencies ?? {})) install(name, from);
  for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
    if (workspaces.has(name) || locate(name, from)) install(name, from);
  }
}

// Files must be readable by everyone (the machina CLI runs as the web user), writable by root only.
function normaliseModes(p) {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    fs.chmodSync(p, 0o755);
    for (const e of fs.readdirSync(p)) normaliseModes(path.join(p, e));
  } else {
    fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

fs.rmSync(destModules, { recursive: true, force: true });
fs.mkdirSync(destModules, { recursive: true });
for (const name of ENTRY_POINTS) install(name, repo);
normaliseModes(path.dirname(destModules));
console.log(`install-lib: ${copied.size} packages in ${destModules}`);
