#!/usr/bin/env node
// Installs what machina needs on a Debian machine, or says in one line what to run:
// system packages through apt-get when run as root (the REQUIREMENTS table below), then
// the npm dependencies (npm install also builds the two native addons: their install scripts).
// Idempotent and quick when all is there.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// What each part needs from Debian, and how to tell whether it is there. `npm start` and
// `npm run setup` need only the "run" set; `npm test` (setup.mjs --for test) needs both.
const REQUIREMENTS = [
  { pkg: "libaugeas-dev", for: "run", present: () => have("pkg-config", ["--exists", "augeas"]) },
  { pkg: "pkg-config", for: "run", present: () => have("pkg-config", ["--version"]) },
  { pkg: "augeas-lenses", for: "run", present: () => fs.existsSync("/usr/share/augeas/lenses/dist/hosts.aug") },
  { pkg: "augeas-tools", for: "run", present: () => have("augtool", ["--version"]) }, // augtool: the benchmark's baseline
  { pkg: "tzdata", for: "run", present: () => fs.existsSync("/usr/share/zoneinfo/tzdata.zi") }, // system.setTimezone's zone list
  { pkg: "g++", for: "run", present: () => have("g++", ["--version"]) }, // node-gyp builds the two native addons
  { pkg: "make", for: "run", present: () => have("make", ["--version"]) }, // node-gyp, and make install
  { pkg: "devscripts", for: "test", present: () => have("checkbashisms", ["--version"]) }, // the init script's bashism check
  { pkg: "systemd", for: "test", present: () => have("systemd-analyze", ["--version"]) }, // systemd-analyze verify of the units
  { pkg: "chromium", for: "test", present: () => fs.existsSync("/usr/bin/chromium") }, // the web panel's browser test
  { pkg: "python3", for: "run", present: () => have("python3", ["--version"]) }, // node-gyp (npm install builds the addons); the tests' socket activation and dpkg-lock helpers
  { pkg: "systemd-container", for: "test", present: () => have("systemd-nspawn", ["--version"]) }, // boots the real-systemd test container
  { pkg: "debootstrap", for: "test", present: () => have("debootstrap", ["--version"]) }, // builds that container's Debian tree (cached)
  { pkg: "debhelper", for: "test", present: () => fs.existsSync("/usr/bin/dh") && have("dpkg-buildpackage", ["--version"]) }, // dpkg-buildpackage of debian/ (with dpkg-dev)
  { pkg: "lintian", for: "test", present: () => have("lintian", ["--version"]) }, // the package's lintian check
  { pkg: "supervisor", for: "test", present: () => fs.existsSync("/usr/bin/supervisord") }, // the supervisor backend's tests start their own supervisord
  { pkg: "nginx", for: "test", present: () => fs.existsSync("/usr/sbin/nginx") }, // the configuration-test tests run their own nginx (nginx -t, reload)
  { pkg: "openssh-server", for: "test", present: () => fs.existsSync("/usr/sbin/sshd") }, // the remote panel's sshd (ssh-remote.test.ts)
  { pkg: "sudo", for: "test", present: () => fs.existsSync("/usr/sbin/visudo") }, // a save's validator: visudo -cf on a sudoers file
  { pkg: "acl", for: "test", present: () => fs.existsSync("/usr/bin/setfacl") }, // a save keeps a file's ACLs (setfacl/getfacl in the tests)
  { pkg: "attr", for: "test", present: () => fs.existsSync("/usr/bin/setfattr") }, // … and its extended attributes
  { pkg: "openssh-client", for: "test", present: () => fs.existsSync("/usr/bin/ssh") && fs.existsSync("/usr/bin/ssh-keygen") }, // its ssh and ssh-keygen
  { pkg: "logrotate", for: "test", present: () => have("logrotate", ["--version"]) }, // rotating the logs of a running daemon (/etc/logrotate.d/machina)
];

const purpose = process.argv.includes("--for") ? process.argv[process.argv.indexOf("--for") + 1] : "run";
if (purpose !== "run" && purpose !== "test") {
  console.error("usage: node scripts/setup.mjs [--for run|test]");
  process.exit(2);
}

function have(cmd, args) {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

function missingSystemPackages() {
  return REQUIREMENTS.filter((r) => (purpose === "test" || r.for === "run") && !r.present()).map((r) => r.pkg);
}

function run(cmd, args, opts = {}) {
  console.log(`setup: ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit", cwd: repo, ...opts });
}

const missing = missingSystemPackages();
if (missing.length > 0) {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !have("apt-get", ["--version"])) {
    console.error(`setup: missing system packages; run: sudo apt-get install -y ${missing.join(" ")}`);
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env });
  // Packages the tests drive (nginx, supervisor, openssh-server) would start their daemons on
  // install; the tests start their own. Debian's policy-rc.d says "not now" (exit 101) for the
  // install's duration, unless the machine has its own policy already.
  const policyRcd = "/usr/sbin/policy-rc.d";
  const ownPolicy = !fs.existsSync(policyRcd);
  if (ownPolicy) fs.writeFileSync(policyRcd, "#!/bin/sh\n# machina's setup: no service starts while it installs packages\nexit 101\n", { mode: 0o755 });
  try {
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env });
  } finally {
    if (ownPolicy) fs.rmSync(policyRcd, { force: true });
  }
}

// npm dependencies: install when node_modules is missing or older than the lock file.
const stamp = path.join(repo, "node_modules", ".package-lock.json");
const lock = path.join(repo, "package-lock.json");
const stale = !fs.existsSync(stamp) || (fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(stamp).mtimeMs);
if (stale) run("npm", ["install", "--no-audit", "--no-fund"]);
