#!/usr/bin/env node
// Builds this package's native addon (build/Release/*.node) with node-gyp on the machine that
// installs the package, against its node and its system libraries: npm runs it as the package's
// "install" script (and again on `npm rebuild`); in machina's checkout, scripts/build.mjs runs it
// again when the C++ sources change.
//
// Usage: node build-addon.mjs [--pkg-config MODULE=DEBIAN-PACKAGE]...
//   (--pkg-config augeas=libaugeas-dev: the addon links libaugeas, found through pkg-config)
//
// A missing library, pkg-config, compiler, make or python3 is one line naming the Debian packages
// to install, not node-gyp's pages of errors.
//
// Offline: node-gyp needs node's headers. Unless npm is configured with a nodedir, and when the
// headers of the running node are installed beside it or in /usr (<prefix>/include/node, as
// Debian's libnode-dev and NodeSource's nodejs install them), node-gyp is given --nodedir instead
// of downloading them. node-gyp is npm's own (npm tells its scripts where: npm_config_node_gyp),
// else one installed above this directory, else the one on PATH.
//
// The same file ships in augeas-node-bindings and @machina/peercred. Node 18.20 or newer.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { name } = JSON.parse(fs.readFileSync(path.join(here, "package.json"), "utf8"));

/** Prints one line saying why the addon cannot be built, and exits. */
function fail(reason) {
  console.error(`${name}: cannot build the native addon: ${reason}`);
  process.exit(1);
}

function runs(cmd, args) {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

// --pkg-config MODULE=PACKAGE: the system libraries the addon links.
const libraries = [];
for (let i = 2; i < process.argv.length; i++) {
  const [module, debianPackage] = process.argv[i] === "--pkg-config" ? (process.argv[++i] ?? "").split("=") : [];
  if (!module || !debianPackage) fail(`bad arguments to build-addon.mjs: ${process.argv.slice(2).join(" ")}`);
  libraries.push({ module, debianPackage });
}

// What node-gyp needs, checked first so that a missing piece is one clear line instead of
// node-gyp's pages: the reasons, and the Debian packages that provide what is missing.
const pkgConfig = process.env.PKG_CONFIG || "pkg-config";
const reasons = [];
const needed = new Set();
if (libraries.length > 0 && !runs(pkgConfig, ["--version"])) {
  reasons.push(`no ${pkgConfig}`);
  for (const l of libraries) needed.add(l.debianPackage).add("pkg-config");
} else {
  for (const l of libraries) {
    if (runs(pkgConfig, ["--exists", l.module])) continue;
    reasons.push(`pkg-config finds no "${l.module}"`);
    needed.add(l.debianPackage).add("pkg-config");
  }
}
for (const [tool, args, overridden] of [["g++", ["--version"], process.env.CXX], ["make", ["--version"]], ["python3", ["--version"], process.env.npm_config_python || process.env.PYTHON]]) {
  if (overridden || runs(tool, args)) continue;
  reasons.push(`no ${tool}`);
  needed.add(tool);
}
if (reasons.length > 0) {
  const list = [...needed];
  fail(`${reasons.join(", ")}; install ${list.slice(0, -1).join(", ")}${list.length > 1 ? " and " : ""}${list.at(-1)} (Debian/Ubuntu: apt-get install ${list.join(" ")})`);
}

/** The headers of the running node, installed beside it or in /usr, when npm names none. */
function localNodeDir() {
  if (process.env.npm_config_nodedir) return undefined;
  for (const prefix of [path.resolve(path.dirname(process.execPath), ".."), "/usr", "/usr/local"]) {
    const include = path.join(prefix, "include", "node");
    let header;
    try {
      header = fs.readFileSync(path.join(include, "node_version.h"), "utf8");
    } catch {
      continue;
    }
    const part = (p) => new RegExp(`^#define NODE_${p}_VERSION (\\d+)`, "m").exec(header)?.[1];
    if (`${part("MAJOR")}.${part("MINOR")}.${part("PATCH")}` === process.versions.node && fs.existsSync(path.join(include, "node_api.h"))) return prefix;
  }
  return undefined;
}

/** How to run node-gyp: [program, ...arguments before node-gyp's own]. */
function nodeGyp() {
  const npmOwn = process.env.npm_config_node_gyp;
  if (npmOwn && fs.existsSync(npmOwn)) return [process.execPath, npmOwn];
  try {
    return [process.execPath, createRequire(path.join(here, "package.json")).resolve("node-gyp/bin/node-gyp.js")];
  } catch {
    return ["node-gyp"];
  }
}

const nodedir = localNodeDir();
const [program, ...pre] = nodeGyp();
const r = spawnSync(program, [...pre, "rebuild", ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: here, stdio: ["ignore", "inherit", "inherit"] });
if (r.error) fail(`could not run node-gyp (${r.error.message})`);
if (r.status !== 0) fail(`node-gyp rebuild failed (exit ${r.status ?? r.signal}), see above`);
