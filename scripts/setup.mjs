#!/usr/bin/env node
// Installs what machina needs on a Debian machine, or says in one line what to run:
// system packages (libaugeas-dev, augeas-lenses, augeas-tools, pkg-config) through apt-get
// when run as root, then the npm dependencies. Idempotent and quick when all is there.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const APT_PACKAGES = ["libaugeas-dev", "augeas-lenses", "augeas-tools", "pkg-config"];

function have(cmd, args) {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

function missingSystemPackages() {
  const missing = [];
  if (!have("pkg-config", ["--exists", "augeas"])) missing.push("libaugeas-dev", "pkg-config");
  if (!fs.existsSync("/usr/share/augeas/lenses/dist/hosts.aug")) missing.push("augeas-lenses");
  if (!have("augtool", ["--version"])) missing.push("augeas-tools");
  return [...new Set(missing)];
}

function run(cmd, args, opts = {}) {
  console.log(`setup: ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit", cwd: repo, ...opts });
}

const missing = missingSystemPackages();
if (missing.length > 0) {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !have("apt-get", ["--version"])) {
    console.error(`setup: missing system packages; run: sudo apt-get install -y ${APT_PACKAGES.join(" ")}`);
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env });
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...APT_PACKAGES], { env });
}

// npm dependencies: install when node_modules is missing or older than the lock file.
const stamp = path.join(repo, "node_modules", ".package-lock.json");
const lock = path.join(repo, "package-lock.json");
const stale = !fs.existsSync(stamp) || (fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(stamp).mtimeMs);
if (stale) run("npm", ["install", "--no-audit", "--no-fund"]);
