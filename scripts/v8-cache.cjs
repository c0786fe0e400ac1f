"use strict";
// Copied into packages/client/bundle/ by scripts/bundle.mjs. Loads the machina CLI's bundle
// with the V8 code cache made for it at build time (FILE.v8cache): compiling ~430 KB was
// ~15-25 ms of every `machina` run, a process per call. A cache made by another node (another
// V8, other flags: Debian's node 18 running a package built on node 20) is rejected by V8
// itself, and the program is then compiled as usual. Node applies source maps only to what
// its own loader loads, so with --enable-source-maps the program is require()d instead.
// (machinad is not loaded this way: at a cold start it waits for its Augeas host's node start,
// not for its own compile; README, "Performance".)
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const { createRequire, wrap } = require("node:module");

/** FILE as a CommonJS module's wrapper, compiled (from cachedData when given and V8 accepts it). */
function compile(file, cachedData) {
  const source = fs.readFileSync(file, "utf8");
  // A first line "#!…" becomes a comment (it is not JavaScript), the same way when the cache is made and used.
  return new vm.Script(wrap(source.startsWith("#!") ? `//${source}` : source), { filename: file, cachedData });
}

/** Runs a compiled module wrapper as FILE; answers its exports. */
function execute(script, file) {
  const module = { exports: {}, filename: file, loaded: false };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  return module.exports;
}

/** Runs FILE as a CommonJS module (with its code cache when V8 accepts it) and answers its exports. */
exports.load = function load(file) {
  if (process.execArgv.includes("--enable-source-maps") || /--enable-source-maps/.test(process.env.NODE_OPTIONS ?? "")) return require(file);
  let cachedData;
  try {
    cachedData = fs.readFileSync(`${file}.v8cache`);
  } catch {
    cachedData = undefined;
  }
  return execute(compile(file, cachedData), file);
};

/**
 * For scripts/bundle.mjs only (`node v8-cache.cjs --write-cache FILE ARGS…`): runs FILE with
 * ARGS as its command line, and writes FILE.v8cache when the process exits.
 */
function loadAndWriteCache(file) {
  const script = compile(file, undefined);
  // Taken at exit, so that it holds the functions the run compiled too.
  process.on("exit", () => fs.writeFileSync(`${file}.v8cache`, script.createCachedData()));
  execute(script, file);
}

if (require.main === module && process.argv[2] === "--write-cache") {
  const file = process.argv[3];
  process.argv = [process.argv[0], file, ...process.argv.slice(4)];
  loadAndWriteCache(file);
}
