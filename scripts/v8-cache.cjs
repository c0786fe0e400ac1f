"use strict";
// Copied into packages/client/bundle/ by scripts/bundle.mjs. Loads the machina CLI's bundle
// with the V8 code cache made for it at build time (FILE.v8cache): compiling ~430 KB was
// ~15-25 ms of every `machina` run, a process per call. A cache made by another node (another
// V8, other flags: Debian's node 18 running a package built on node 20) is rejected by V8
// itself, and the program is then compiled as usual. Node applies source maps only to what
// its own loader loads, so with --enable-source-maps the program is require()d instead.
// (machinad is not loaded this way: its stack traces, in its log, keep their source maps.)
const fs = require("node:fs");
const vm = require("node:vm");
const { createRequire, wrap } = require("node:module");

/** Runs FILE as a CommonJS module (with its code cache when V8 accepts it) and answers its exports. */
exports.load = function load(file) {
  if (process.execArgv.includes("--enable-source-maps") || /--enable-source-maps/.test(process.env.NODE_OPTIONS ?? "")) return require(file);
  const source = fs.readFileSync(file, "utf8");
  let cachedData;
  try {
    cachedData = fs.readFileSync(`${file}.v8cache`);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(wrap(source.startsWith("#!") ? `//${source}` : source), { filename: file, cachedData });
  const module = { exports: {}, filename: file, loaded: false };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, require("node:path").dirname(file));
  module.loaded = true;
  return module.exports;
};

/**
 * For scripts/bundle.mjs only (`node v8-cache.cjs --write-cache FILE ARGS…`): runs FILE with
 * ARGS as its command line, and writes FILE.v8cache when the process exits.
 */
function loadAndWriteCache(file) {
  const source = fs.readFileSync(file, "utf8");
  const script = new vm.Script(wrap(source.startsWith("#!") ? `//${source}` : source), { filename: file });
  process.on("exit", () => fs.writeFileSync(`${file}.v8cache`, script.createCachedData()));
  const module = { exports: {}, filename: file, loaded: false };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, require("node:path").dirname(file));
}

if (require.main === module && process.argv[2] === "--write-cache") {
  const file = process.argv[3];
  process.argv = [process.argv[0], file, ...process.argv.slice(4)];
  loadAndWriteCache(file);
}
