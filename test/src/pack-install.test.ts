/**
 * The npm packages as a panel developer installs them from tarballs. Every workspace is packed
 * with `npm pack`, and each tarball's file list is checked against rules: no compiled tests, test
 * support, fakes, fixtures or TypeScript build state; no addon built on the packing machine; the
 * types beside the code; the entry points there; @machina/client depending on exactly what its
 * shipped files import. Then all five are installed with no network into an empty project
 * (`npm install ./*.tgz --offline`, from the local npm cache): the two addons compile on install
 * against the system's libaugeas, every source map of the installed packages resolves, the
 * installed machinad runs and serves a sandbox, and a small TypeScript program compiled with
 * `tsc --strict` against the installed @machina/client calls it. Without libaugeas or pkg-config
 * the install fails with one line naming libaugeas-dev and pkg-config.
 */
import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { describeRun, REPO_ROOT, runCommand, SYSTEM_PATH } from "./harness/command.js";
import { run, startDaemon } from "./harness/daemon.js";
import { Sandbox } from "./harness/sandbox.js";

const WORKSPACES = ["packages/augeas", "packages/protocol", "packages/peercred", "packages/server", "packages/client"];
/** Compiled tests, test support, fakes, fixtures and TypeScript build state: none of it ships. */
const TEST_FILE = /\.test\.|\.test-support\.|(^|\/)(testing|fixtures|dist-test)\/|\.tsbuildinfo$/;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "machina-pack-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface PackageJson {
  name: string;
  version: string;
  main?: string;
  types?: string;
  exports?: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

interface Packed {
  name: string;
  /** The tarball, in the project directory. */
  filename: string;
  files: string[];
  /** The package.json it was packed from. */
  pkg: PackageJson;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

/** The empty project the tarballs are packed into and installed in. */
const project = path.join(tmp, "panel");
/** node, npm and the system's tools (g++, make, python3, pkg-config for the addons). */
const PATH = `${path.dirname(process.execPath)}:${SYSTEM_PATH}`;
/**
 * npm's environment: this machine's npm cache and registry, but not the user's npmrc, which may
 * name a nodedir: the install must find node's headers by itself (build-addon.mjs).
 */
let npmEnv: NodeJS.ProcessEnv = {};
let packed: Packed[] = [];

before(async () => {
  const base = { PATH, HOME: process.env.HOME ?? os.homedir(), LANG: "C.UTF-8" };
  const config = async (key: string) => {
    const r = await runCommand("npm", ["config", "get", key], { env: base });
    assert.equal(r.code, 0, `npm config get ${key}: ${describeRun(r)}`);
    return r.stdout.trim();
  };
  const npmrc = path.join(tmp, "npmrc");
  fs.writeFileSync(npmrc, `cache=${await config("cache")}\nregistry=${await config("registry")}\n`);
  npmEnv = { ...base, npm_config_userconfig: npmrc };

  fs.mkdirSync(project);
  const r = await runCommand("npm", ["pack", "--json", "--pack-destination", project, ...WORKSPACES.flatMap((w) => ["-w", w])], { env: npmEnv, timeoutMs: 300_000 });
  assert.equal(r.code, 0, `npm pack: ${describeRun(r)}`);
  const results = JSON.parse(r.stdout) as { name: string; filename: string; files: { path: string }[] }[];
  packed = results.map((p, i) => ({ name: p.name, filename: p.filename, files: p.files.map((f) => f.path).sort(), pkg: readJson<PackageJson>(path.join(REPO_ROOT, WORKSPACES[i]!, "package.json")) }));
  assert.deepEqual(
    packed.map((p) => p.pkg.name),
    packed.map((p) => p.name),
    "npm pack answers in the order of the workspaces",
  );
});

function tarball(name: string): Packed {
  const p = packed.find((x) => x.name === name);
  assert.ok(p, `${name} was packed`);
  return p;
}

/** Every file a package.json names as an entry point: main, types, exports, bin. */
function entryPoints(pkg: PackageJson): string[] {
  const out = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})];
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    // The addons' own exports ("./build/Release/x.node") are built on install, not packed.
    if (key.startsWith("./build/")) continue;
    out.push(...(typeof target === "string" ? [target] : Object.values(target)));
  }
  return [...new Set(out.filter((f): f is string => f !== undefined).map((f) => path.posix.normalize(f)))];
}

/**
 * The packages named by the bare specifiers that shipped code imports or requires: node's own and
 * the package itself (its doc comments show how to import it) left out.
 */
function importedPackages(dir: string, self: string, files: string[]): string[] {
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"'./][^"']*)["']/g;
  const names = new Set<string>();
  for (const f of files.filter((x) => /\.(c?js|d\.ts)$/.test(x))) {
    for (const [, spec] of fs.readFileSync(path.join(dir, f), "utf8").matchAll(specifier)) {
      if (spec!.startsWith("node:") || spec!.startsWith("#") || builtinModules.includes(spec!)) continue;
      const name = spec!.split("/").slice(0, spec!.startsWith("@") ? 2 : 1).join("/");
      if (name !== self) names.add(name);
    }
  }
  return [...names].sort();
}

test("each tarball holds what users need and nothing of the tests or the build machine", () => {
  assert.deepEqual(packed.map((p) => p.name).sort(), ["@machina/client", "@machina/peercred", "@machina/protocol", "@machina/server", "augeas-node-bindings"]);
  for (const [i, { name, files, pkg }] of packed.entries()) {
    assert.deepEqual(files.filter((f) => TEST_FILE.test(f)), [], `${name}: no tests, test support, fakes or build state`);
    // The addons compile on install: nothing built on the packing machine ships.
    assert.deepEqual(files.filter((f) => f.startsWith("build/") || f.endsWith(".node")), [], `${name}: no prebuilt addon`);
    assert.deepEqual(entryPoints(pkg).filter((f) => !files.includes(f)), [], `${name}: every entry point its package.json names is packed`);
    // Types and source maps beside the code; TypeScript sources for the maps to point at.
    for (const js of files.filter((f) => /^dist\/.*\.js$/.test(f))) {
      for (const beside of [`${js}.map`, js.replace(/\.js$/, ".d.ts")]) assert.ok(files.includes(beside), `${name}: ${beside} is packed beside ${js}`);
    }
    for (const dts of files.filter((f) => f.endsWith(".d.ts"))) assert.ok(files.includes(`${dts}.map`), `${name}: ${dts}.map is packed`);
    assert.ok(files.some((f) => f.endsWith(".d.ts")), `${name} ships types`);
    assert.ok(files.some((f) => /^src\/.*\.ts$/.test(f)), `${name} ships its TypeScript sources`);

    const native = files.includes("binding.gyp");
    if (native) {
      // Built on install by the same script in both addons.
      assert.match(pkg.scripts?.install ?? "", /^node build-addon\.mjs\b/, `${name}: its install script builds the addon`);
      assert.ok(files.some((f) => /^src\/native\/.*\.cc$/.test(f)), `${name}: its C++ sources are packed`);
      assert.ok(files.includes("build-addon.mjs"), `${name}: build-addon.mjs is packed`);
      // Each tarball must install on its own, so each carries a copy: one script, two places, never two versions.
      const script = (dir: string) => fs.readFileSync(path.join(REPO_ROOT, dir, "build-addon.mjs"), "utf8");
      assert.equal(script(WORKSPACES[i]!), script("packages/augeas"), `${name}: build-addon.mjs is the same script as packages/augeas'`);
    } else {
      assert.deepEqual(files.filter((f) => /\.(cc|gyp|node)$/.test(f)), [], `${name}: no native code`);
      assert.deepEqual(Object.keys(pkg.scripts ?? {}).filter((s) => /install/.test(s)), [], `${name}: no install scripts`);
    }
  }
  assert.equal(
    fs.readFileSync(path.join(REPO_ROOT, "packages/augeas/build-addon.mjs"), "utf8"),
    fs.readFileSync(path.join(REPO_ROOT, "packages/peercred/build-addon.mjs"), "utf8"),
    "both addons are built by the same build-addon.mjs",
  );

  // The client: its library and its CLI are bundles; its types import @machina/protocol's.
  const client = tarball("@machina/client");
  const clientDir = path.join(REPO_ROOT, "packages/client");
  assert.deepEqual(importedPackages(clientDir, client.name, client.files), Object.keys(client.pkg.dependencies ?? {}).sort(), "@machina/client depends on exactly what its shipped files import");
  assert.deepEqual(importedPackages(clientDir, client.name, client.files.filter((f) => !f.endsWith(".d.ts"))), [], "@machina/client's code imports no package at run time");
});

interface LockEntry {
  dev?: boolean;
  link?: boolean;
}

/**
 * The project's package-lock.json before the install: the third-party versions machina's own lock
 * pins (every entry but the workspaces and the development tools, except those in `devKeep`).
 * npm 11 resolves a range in a package's dependencies from the registry's full metadata document,
 * which the npm cache holds only for packages once installed without a lock; with their versions
 * in the project's lock, npm needs only what machina's own `npm install` cached (the tarballs and
 * their abbreviated metadata), so the install works with no network.
 */
function seededLock(root: Record<string, unknown>, keep: (key: string, entry: LockEntry) => boolean): string {
  const lock = readJson<{ packages: Record<string, LockEntry> }>(path.join(REPO_ROOT, "package-lock.json"));
  const packages: Record<string, unknown> = { "": root };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === "" || key.startsWith("packages/") || entry.link) continue;
    if (keep(key, entry)) packages[key] = entry;
  }
  return `${JSON.stringify({ name: root.name, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`;
}

/** The versions of the development tools in machina's own node_modules (the panel's TypeScript setup). */
function toolVersion(name: string): string {
  return readJson<PackageJson>(path.join(REPO_ROOT, "node_modules", name, "package.json")).version;
}

/** Every problem with the source maps below `dir`: a source neither embedded nor a file inside `dir`. */
function unresolvedSources(dir: string): string[] {
  const problems: string[] = [];
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    if (!rel.endsWith(".map") || rel.split(path.sep).includes("node_modules")) continue;
    const file = path.join(dir, rel);
    const map = readJson<{ sources: string[]; sourcesContent?: (string | null)[]; sourceRoot?: string }>(file);
    map.sources.forEach((source, i) => {
      if (typeof map.sourcesContent?.[i] === "string") return;
      const abs = path.resolve(path.dirname(file), map.sourceRoot ?? "", source);
      if (!abs.startsWith(dir + path.sep) || !fs.existsSync(abs)) problems.push(`${rel}: ${source}`);
    });
  }
  return problems;
}

/** The panel's program: the typed client, an answer, a refusal as its error class. */
const PANEL_MAIN = `import { connect, PolicyDeniedError, type MachinaClient, type ResultOf } from "@machina/client";

const [socket, secretFile] = process.argv.slice(2);
if (socket === undefined || secretFile === undefined) throw new Error("usage: node dist/main.js SOCKET SECRET-FILE");
const m: MachinaClient = await connect({ socket, secretFile });
try {
  const hostname: ResultOf<"augeas.get"> = await m.augeas.get({ path: "/files/etc/hostname/hostname" });
  let refused: string | undefined;
  try {
    await m.augeas.get({ path: "/files/etc/shadow/root/password" });
  } catch (e) {
    if (!(e instanceof PolicyDeniedError)) throw e;
    refused = e.kind;
  }
  console.log(JSON.stringify({ server: m.server.name, hostname: hostname.value, refused }));
} finally {
  await m.close();
}
`;

test("installed offline into an empty project: the addons build, machinad serves, a tsc --strict program calls it", async () => {
  const tgz = packed.map((p) => `./${p.filename}`);
  const devDependencies = { typescript: toolVersion("typescript"), "@types/node": toolVersion("@types/node") };
  const manifest = { name: "panel", version: "1.0.0", private: true, type: "module", devDependencies };
  fs.writeFileSync(path.join(project, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const tools = new Set(["node_modules/typescript", "node_modules/@types/node", "node_modules/undici-types"]);
  fs.writeFileSync(path.join(project, "package-lock.json"), seededLock({ name: "panel", version: "1.0.0", devDependencies }, (key, e) => !e.dev || tools.has(key)));

  const install = await runCommand("npm", ["install", ...tgz, "--offline", "--no-audit", "--no-fund"], { cwd: project, env: npmEnv, timeoutMs: 600_000 });
  assert.equal(install.code, 0, `npm install ${tgz.join(" ")} --offline: ${describeRun(install)}`);
  const modules = path.join(project, "node_modules");
  for (const addon of ["augeas-node-bindings/build/Release/augeas.node", "@machina/peercred/build/Release/peercred.node"]) {
    assert.ok(fs.existsSync(path.join(modules, addon)), `${addon} was built on install`);
  }
  for (const { name } of packed) assert.deepEqual(unresolvedSources(path.join(modules, name)), [], `${name}: every source map's sources are in the package or embedded`);

  // The bins npm linked.
  const serverVersion = tarball("@machina/server").pkg.version;
  const version = await runCommand(path.join(modules, ".bin", "machinad"), ["--version"], { cwd: project, env: { PATH } });
  assert.equal(version.code, 0, `machinad --version: ${describeRun(version)}`);
  assert.equal(version.stdout.trim(), serverVersion);

  // The panel's TypeScript, compiled against the installed packages' types.
  fs.mkdirSync(path.join(project, "src"));
  fs.writeFileSync(path.join(project, "src", "main.ts"), PANEL_MAIN);
  const tsconfig = { compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", types: ["node"], outDir: "dist", rootDir: "src" }, include: ["src"] };
  fs.writeFileSync(path.join(project, "tsconfig.json"), `${JSON.stringify(tsconfig, null, 2)}\n`);
  const tsc = await runCommand(path.join(modules, ".bin", "tsc"), ["--strict", "-p", "."], { cwd: project, env: { PATH } });
  assert.equal(tsc.code, 0, `tsc --strict: ${describeRun(tsc)}`);
  assert.equal(tsc.stdout + tsc.stderr, "", "tsc has nothing to say");

  // The installed machinad on a sandbox, called by the panel's program and by the installed CLI.
  const sandbox = Sandbox.create();
  try {
    const daemon = await startDaemon(sandbox, { program: path.join(modules, "@machina/server/bundle/machinad.cjs") });
    try {
      const hostname = sandbox.read("/etc/hostname").trim();
      const panel = await run(path.join(project, "dist", "main.js"), [sandbox.socket, sandbox.secretFile], { env: { PATH } });
      assert.equal(panel.code, 0, `the panel's program: ${describeRun(panel)}\n${daemon.describe()}`);
      assert.deepEqual(JSON.parse(panel.stdout), { server: `machinad/${serverVersion}`, hostname, refused: "policy-denied" });

      const cli = await runCommand(path.join(modules, ".bin", "machina"), ["--socket", sandbox.socket, "--secret-file", sandbox.secretFile, "get", "/files/etc/hostname/hostname"], { cwd: project, env: { PATH } });
      assert.equal(cli.code, 0, `machina get: ${describeRun(cli)}`);
      assert.equal(cli.stdout.trim(), hostname);
    } finally {
      const exit = await daemon.stop();
      assert.deepEqual(exit, { code: 0, signal: null }, daemon.describe());
    }
  } finally {
    sandbox.cleanup();
  }
});

test("without libaugeas or pkg-config the install fails in one line naming libaugeas-dev and pkg-config", async () => {
  const augeas = tarball("augeas-node-bindings");
  const cases: Array<[string, NodeJS.ProcessEnv, string]> = [
    // pkg-config searches only an empty directory: no augeas.pc, as without libaugeas-dev.
    ["no libaugeas", { PKG_CONFIG_LIBDIR: path.join(tmp, "no-pc-files") }, 'pkg-config finds no "augeas"'],
    // $PKG_CONFIG names pkg-config (the autoconf convention build-addon.mjs follows).
    ["no pkg-config", { PKG_CONFIG: path.join(tmp, "no-such", "pkg-config") }, `no ${path.join(tmp, "no-such", "pkg-config")}`],
  ];
  fs.mkdirSync(path.join(tmp, "no-pc-files"));
  for (const [what, env, reason] of cases) {
    const dir = path.join(tmp, `without-${what.replaceAll(" ", "-")}`);
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(project, augeas.filename), path.join(dir, augeas.filename));
    fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ name: "panel", version: "1.0.0", private: true }, null, 2)}\n`);
    fs.writeFileSync(path.join(dir, "package-lock.json"), seededLock({ name: "panel", version: "1.0.0" }, (key) => key === "node_modules/node-addon-api"));
    const r = await runCommand("npm", ["install", `./${augeas.filename}`, "--offline", "--no-audit", "--no-fund"], { cwd: dir, env: { ...npmEnv, ...env }, timeoutMs: 300_000 });
    assert.notEqual(r.code, 0, `${what}: the install fails\n${describeRun(r)}`);
    const line = `augeas-node-bindings: cannot build the native addon: ${reason}; install libaugeas-dev and pkg-config (Debian/Ubuntu: apt-get install libaugeas-dev pkg-config)`;
    assert.deepEqual(
      r.stderr.split("\n").filter((l) => l.includes("augeas-node-bindings: ")),
      [`npm error ${line}`],
      `${what}: one line says why\n${describeRun(r)}`,
    );
    assert.doesNotMatch(r.stderr, /gyp (ERR|info)/, `${what}: node-gyp did not run`);
    assert.equal(fs.existsSync(path.join(dir, "node_modules", "augeas-node-bindings")), false, `${what}: nothing half-installed is left`);
  }
});
