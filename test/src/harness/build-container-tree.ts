/**
 * Builds the systemd container's Debian tree when it is not cached: run by
 * systemd-container.ts as `flock LOCK node build-container-tree.js RECIPE`,
 * so two test files (or two test runs) never build it at once, and each
 * checks again under the lock whether the other has built it meanwhile.
 *
 *   TARBALL   debootstrap's tree as a tar (numeric owners, xattrs): the cache
 *             that survives, keyed by the recipe (suite + package list)
 *   TREE      that tarball extracted, the lower layer every container's
 *             overlay uses (read-only; never booted itself)
 *
 * Each step writes under a temporary name and renames, so a killed build
 * leaves no half tree behind under the final name; leftovers are removed by
 * the next build, which holds the lock.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface TreeRecipe {
  cacheDir: string;
  tarball: string;
  tree: string;
  suite: string;
  mirror: string;
  packages: readonly string[];
}

function step(what: string, file: string, args: string[]): void {
  const started = Date.now();
  process.stderr.write(`container tree: ${what}\n`);
  execFileSync(file, args, { stdio: ["ignore", "ignore", "inherit"], env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" } });
  process.stderr.write(`container tree: ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

function build(r: TreeRecipe): void {
  fs.mkdirSync(r.cacheDir, { recursive: true, mode: 0o755 });
  // Leftovers of a build that was killed (we hold the lock: nobody else is building).
  for (const name of fs.readdirSync(r.cacheDir)) {
    if (name.includes(".partial")) fs.rmSync(path.join(r.cacheDir, name), { recursive: true, force: true });
  }
  if (!fs.existsSync(r.tarball)) {
    const dir = `${r.tarball}.partial-dir`;
    step(`debootstrap ${r.suite} from ${r.mirror}`, "debootstrap", ["--variant=minbase", `--include=${r.packages.join(",")}`, r.suite, dir, r.mirror]);
    // Apt's downloaded archives are not part of the tree.
    fs.rmSync(path.join(dir, "var/cache/apt/archives"), { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, "var/cache/apt/archives/partial"), { recursive: true });
    step("tar the tree", "tar", ["--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", dir, "-cf", `${r.tarball}.partial`, "."]);
    fs.renameSync(`${r.tarball}.partial`, r.tarball);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!fs.existsSync(r.tree)) {
    const dir = `${r.tree}.partial`;
    fs.mkdirSync(dir, { mode: 0o755 });
    step("extract the tree", "tar", ["--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", dir, "-xpf", r.tarball]);
    fs.renameSync(dir, r.tree);
  }
}

build(JSON.parse(process.argv[2] ?? "") as TreeRecipe);
