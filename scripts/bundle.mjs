#!/usr/bin/env node
// The shipped form of machinad, machina and @machina/client: each is one file (bundle/) instead
// of the hundreds tsc writes to dist/ (TypeBox alone is 266), because resolving and loading those
// files was most of a start-up (issue 17). Built from dist/ after `tsc -b`, so the bundles hold
// exactly the code the unit tests ran.
//
//   packages/server/bundle/machinad.cjs   the daemon's CLI (bin machinad): its entry point, which
//                                         loads machinad-program.cjs (the rest) once it has
//                                         started the Augeas host
//   packages/server/bundle/host-main.cjs  the Augeas host process machinad starts
//   packages/client/bundle/machina.cjs    the client CLI (bin machina): loads machina.body.cjs
//                                         with a V8 code cache (v8-cache.cjs, see codeCache)
//   packages/client/bundle/client.js      the library (`import … from "@machina/client"`)
//   examples/web-panel/bundle/web-panel.mjs   the example web panel with the library inside: one
//                                         file (plus ../public) that a user who cannot read this
//                                         checkout can be given (npm start and the tests stage a
//                                         copy of it for the panel's unprivileged user)
//
// The three programs are CommonJS: node starts a CommonJS entry without its ES module loader,
// ~20–35 ms sooner on the test machines, and each of them is a process start (the host is one
// per daemon start). The library stays an ES module: it is imported by the panel's own modules.
// The Augeas host is bundled on its own, without the vocabulary (TypeBox) only the daemon uses.
//
// Left out of the bundles, loaded from node_modules: the two native addons (their .node files,
// found by package name) and dbus-next (imported only when the systemd backend connects).
// Each file has a source map beside it (machinad maps the stack traces it logs with them, stack-trace.ts),
// which a user's debugger can follow in an installed package too (embedForeignSources).
//
// Usage: node scripts/bundle.mjs   (scripts/build.mjs runs it)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const SERVER_EXTERNAL = ["*.node", "dbus-next"];
const BUNDLES = [
  // machinad's entry point alone, so that it starts the Augeas host before node compiles the
  // rest of the daemon (cli/main.ts), which it then loads from machinad-program.cjs.
  { dir: "packages/server", entry: "dist/cli/main.js", out: "machinad.cjs", external: SERVER_EXTERNAL, split: { "./program.js": "./machinad-program.cjs" } },
  { dir: "packages/server", entry: "dist/cli/program.js", out: "machinad-program.cjs", external: SERVER_EXTERNAL },
  { dir: "packages/server", entry: "dist/augeas/host/host-main.js", out: "host-main.cjs", external: SERVER_EXTERNAL },
  // The CLI's code, run by machina.cjs with its V8 code cache (see codeCache below).
  { dir: "packages/client", entry: "dist/cli/main.js", out: "machina.body.cjs", external: [] },
  { dir: "packages/client", entry: "dist/index.js", out: "client.js", external: [] },
  // The panel with @machina/client built in from the client's dist/ (its package export is
  // client.js, a bundle already); __MACHINA_VERSION__ is then the client's. An .mjs, so that a
  // copy without the panel's package.json beside it is still an ES module.
  {
    dir: "examples/web-panel",
    entry: "dist/main.js",
    out: "web-panel.mjs",
    external: [],
    packages: { "@machina/client": "packages/client/dist/index.js" },
    versionOf: "packages/client",
  },
];

// An ES module's import.meta.url, for the code that finds files beside itself.
const CJS_BANNER = 'const __machinaImportMetaUrl = require("node:url").pathToFileURL(__filename).href;';
// CommonJS dependencies bundled into an ES module call require() for Node's built-ins.
const ESM_BANNER = 'import { createRequire as __machinaCreateRequire } from "node:module";\nconst require = __machinaCreateRequire(import.meta.url);';

// Everything is made in a staging directory beside bundle/, then published file by file (publish):
// a program running from bundle/ meanwhile — a test's daemon while another test runs `make
// install`, which builds — never finds a file missing or half written.
const DIRS = [...new Set(BUNDLES.map((b) => b.dir))];
const staging = (dir) => path.join(repo, dir, `bundle.next-${process.pid}`);
/** Whether a staging directory's build is still running (another `make` at the same time). */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}
for (const dir of DIRS) {
  for (const e of fs.readdirSync(path.join(repo, dir))) {
    const pid = /^bundle\.next-(\d+)$/.exec(e)?.[1];
    if (pid !== undefined && !alive(Number(pid))) fs.rmSync(path.join(repo, dir, e), { recursive: true, force: true });
  }
}
/** Leaves the imports named in `split` out of a bundle, loaded from the file they map to instead. */
const splitPlugin = (split) => ({
  name: "machina-split",
  setup(b) {
    b.onResolve({ filter: /^\.\// }, (args) => (split[args.path] ? { path: split[args.path], external: true } : undefined));
  },
});

/** Resolves the packages named in `packages` to the files they map to (paths from the repository). */
const packagesPlugin = (packages) => ({
  name: "machina-packages",
  setup(b) {
    b.onResolve({ filter: /^@machina\// }, (args) => (packages[args.path] ? { path: path.join(repo, packages[args.path]) } : undefined));
  },
});

for (const { dir, entry, out, external, split, packages, versionOf } of BUNDLES) {
  const abs = path.join(repo, dir);
  const { version } = JSON.parse(fs.readFileSync(path.join(repo, versionOf ?? dir, "package.json"), "utf8"));
  const cjs = out.endsWith(".cjs");
  await build({
    entryPoints: [path.join(abs, entry)],
    outfile: path.join(staging(dir), out),
    bundle: true,
    format: cjs ? "cjs" : "esm",
    platform: "node",
    target: "node18.20",
    external,
    plugins: [...(split ? [splitPlugin(split)] : []), ...(packages ? [packagesPlugin(packages)] : [])],
    // In a CommonJS program, import() of what is left out becomes require(): no ES module loader.
    ...(cjs ? { supported: { "dynamic-import": false } } : {}),
    banner: { js: cjs ? CJS_BANNER : ESM_BANNER },
    define: {
      __MACHINA_VERSION__: JSON.stringify(version),
      __MACHINA_HOST_MAIN__: JSON.stringify("./host-main.cjs"),
      ...(cjs ? { "import.meta.url": "__machinaImportMetaUrl" } : {}),
    },
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "linked",
    logLevel: "warning",
  });
}
// Each map names the TypeScript sources its code came from, as paths relative to the bundle. Those
// of the bundle's own package stay paths: its src/ ships beside bundle/. Every other one (another
// workspace package's source, a dependency's file in node_modules) has its text embedded
// (sourcesContent), because where those files are in an installed node_modules, if anywhere,
// cannot be known here.
function embedForeignSources(dir, out) {
  const file = path.join(staging(dir), `${out}.map`);
  const own = path.join(repo, dir, "src") + path.sep;
  const map = JSON.parse(fs.readFileSync(file, "utf8"));
  map.sourcesContent = map.sources.map((s) => {
    const abs = path.resolve(path.dirname(file), s);
    return abs.startsWith(own) ? null : fs.readFileSync(abs, "utf8");
  });
  fs.writeFileSync(file, JSON.stringify(map));
}
for (const { dir, out } of BUNDLES) embedForeignSources(dir, out);

// machina runs once per call, so its compile time counts: machina.cjs loads machina.body.cjs
// through v8-cache.cjs with V8's code cache, made here by running `machina --help` (the
// functions that run then are in the cache too).
function codeCache(dir) {
  const bundle = staging(dir);
  fs.copyFileSync(path.join(repo, "scripts", "v8-cache.cjs"), path.join(bundle, "v8-cache.cjs"));
  fs.writeFileSync(
    path.join(bundle, "machina.cjs"),
    '#!/usr/bin/env node\n"use strict";\n// machina: the CLI in machina.body.cjs, compiled from its code cache (scripts/bundle.mjs).\nrequire("./v8-cache.cjs").load(require("node:path").join(__dirname, "machina.body.cjs"));\n',
    { mode: 0o755 },
  );
  const body = path.join(bundle, "machina.body.cjs");
  execFileSync(process.execPath, [path.join(bundle, "v8-cache.cjs"), "--write-cache", body, "--help"], { stdio: "ignore" });
  if (!fs.existsSync(`${body}.v8cache`)) throw new Error(`bundle: no code cache was written for ${body}`);
}
codeCache("packages/client");

/**
 * Moves what was made into bundle/: each file renamed over the old one only when its bytes
 * differ (so an up-to-date build changes nothing), then what is no longer made is removed.
 */
function publish(dir) {
  const from = staging(dir);
  const to = path.join(repo, dir, "bundle");
  fs.mkdirSync(to, { recursive: true });
  const made = new Set(fs.readdirSync(from));
  for (const name of made) {
    const next = path.join(from, name);
    const current = path.join(to, name);
    const same = fs.existsSync(current) && fs.readFileSync(current).equals(fs.readFileSync(next));
    if (!same) fs.renameSync(next, current);
  }
  for (const name of fs.readdirSync(to)) if (!made.has(name)) fs.rmSync(path.join(to, name), { recursive: true, force: true });
  fs.rmSync(from, { recursive: true, force: true });
}
for (const dir of DIRS) publish(dir);

console.log(`build: bundles in ${[...new Set(BUNDLES.map((b) => `${b.dir}/bundle`))].join(", ")}`);
