/**
 * machina's Debian package, built from this checkout the way a packager
 * builds it (`dpkg-buildpackage -b -us -uc`, debian/rules), and a local apt
 * repository for a container without network.
 *
 * The build runs in a copy of the checkout (without .git) in a directory of
 * the caller's: dpkg-buildpackage writes the .deb next to the source tree,
 * and building in the checkout itself would rebuild the bundles other test
 * files are running. The copy keeps the files' times, so `make build` in it
 * finds tsc's and node-gyp's outputs up to date and only bundles again;
 * node_modules comes along, so the build needs no network (debian/rules).
 */
import fs from "node:fs";
import path from "node:path";
import { describeRun, REPO_ROOT, runCommand, SYSTEM_PATH } from "./command.js";
import { APT_ENV } from "./test-package.js";

export interface BuiltPackage {
  /** The .deb's absolute path. */
  deb: string;
  version: string;
  /** Wall time of dpkg-buildpackage (the copy excluded). */
  buildMs: number;
}

const ENV = { PATH: SYSTEM_PATH, LANG: "C.UTF-8", HOME: "/root" };

/** What of the checkout the copy leaves out: git, test output, and an earlier in-tree package build. */
const NOT_COPIED = ["./.git", "./test-results", "./debian/machina", "./debian/.debhelper", "./debian/files", "./debian/debhelper-build-stamp"];

export async function buildDebianPackage(outDir: string): Promise<BuiltPackage> {
  const tree = path.join(outDir, "machina");
  fs.mkdirSync(tree, { recursive: true });
  const copy = await runCommand("sh", ["-c", 'tar -C "$1" $2 -cf - . | tar -C "$3" -xf -', "copy", REPO_ROOT, NOT_COPIED.map((p) => `--exclude=${p}`).join(" "), tree], { env: ENV, timeoutMs: 300_000 });
  if (copy.code !== 0) throw new Error(`copying the checkout failed: ${describeRun(copy)}`);
  try {
    const version = (await runCommand("dpkg-parsechangelog", ["-S", "Version"], { cwd: tree, env: ENV })).stdout.trim();
    const arch = (await runCommand("dpkg", ["--print-architecture"], { env: ENV })).stdout.trim();
    const started = Date.now();
    const build = await runCommand("dpkg-buildpackage", ["-b", "-us", "-uc"], { cwd: tree, env: ENV, timeoutMs: 600_000 });
    const buildMs = Date.now() - started;
    if (build.code !== 0) throw new Error(`dpkg-buildpackage failed: ${describeRun(build)}`);
    const deb = path.join(outDir, `machina_${version}_${arch}.deb`);
    if (!fs.existsSync(deb)) throw new Error(`dpkg-buildpackage exited 0 but ${deb} is not there: ${fs.readdirSync(outDir).join(", ")}`);
    return { deb, version, buildMs };
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
}

/**
 * A flat apt repository in `dir` holding the named packages, downloaded on
 * the host (`apt-get download`) for a container that has no network: a
 * container's sources.list line `deb [trusted=yes] file:DIR ./` reaches it.
 */
export async function localAptRepository(dir: string, packages: string[]): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const download = await runCommand("apt-get", ["download", "-q", "--", ...packages], { cwd: dir, env: APT_ENV, timeoutMs: 300_000 });
  if (download.code !== 0) throw new Error(`apt-get download ${packages.join(" ")} failed (the host needs its apt mirror): ${describeRun(download)}`);
  const scan = await runCommand("dpkg-scanpackages", ["--multiversion", "."], { cwd: dir, env: ENV });
  if (scan.code !== 0) throw new Error(`dpkg-scanpackages failed: ${describeRun(scan)}`);
  fs.writeFileSync(path.join(dir, "Packages"), scan.stdout, { mode: 0o644 });
  // Readable by apt's _apt user inside the container.
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
}
