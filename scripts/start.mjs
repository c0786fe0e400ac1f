#!/usr/bin/env node
// `npm start`: machina's main job on a sandbox, without touching the real /etc.
// Creates .demo/ (a sandbox root seeded from examples/demo, a demo policy naming
// the current user, logs), starts machinad on a sandbox root with a fresh secret,
// runs the example client once, starts the example web panel (examples/web-panel) on
// 127.0.0.1 with a generated password, and prints what to type next. Ctrl-C stops it.
// `npm start -- --exit` stops right after the example client (for CI and tests).
//
// The panel runs unprivileged: as root, as nobody. nobody may not be able to read this
// checkout at all (a clone in /root, mode 0700, or in any `mktemp -d`), so everything it needs
// lives in a runtime directory outside it: machinad's socket, the secret and the panel's
// password (root:nogroup 0640), and a copy of the panel itself — its one-file bundle
// (scripts/bundle.mjs) and its static files. As root that directory is
// /run/machina-demo-HASH (HASH: of this checkout's path; /run is writable by root only, so the
// name can be fixed, and the printed commands stay valid across restarts); it is removed when
// npm start ends. As anyone else the panel runs as you, and the directory is .demo/.
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const demo = path.join(repo, ".demo");
const seed = path.join(repo, "examples", "demo");
const machinad = path.join(repo, "packages", "server", "bundle", "machinad.cjs");
const panelSource = path.join(repo, "examples", "web-panel");
const exitAfterExample = process.argv.includes("--exit");

const isRoot = process.getuid?.() === 0;
const NOBODY = { name: "nobody", uid: 65534, gid: 65534 };
const user = os.userInfo().username;
const panelUser = isRoot ? NOBODY.name : user;

fs.mkdirSync(demo, { recursive: true, mode: 0o700 });
// The daemon refuses a secret another user owns (and the client a socket directory another
// user owns), so a .demo/ left by an earlier run as someone else (root, say) cannot be reused.
const demoOwner = fs.statSync(demo).uid;
if (demoOwner !== process.getuid?.()) {
  console.error(`npm start: ${demo} belongs to uid ${demoOwner}, from an earlier run as another user; remove it (rm -rf .demo) or run as that user`);
  process.exit(1);
}
fs.chmodSync(demo, 0o700);

/**
 * Why a user (uid, gid, no other groups) cannot reach `target`, or undefined when it can: every
 * directory from / down must be searchable by it and the file itself readable (mode bits).
 */
function unreachable(who, target) {
  const bits = (st) => (st.uid === who.uid ? st.mode >> 6 : st.gid === who.gid ? st.mode >> 3 : st.mode) & 0o7;
  const real = fs.realpathSync(target);
  let dir = "/";
  for (const part of real.split(path.sep).filter(Boolean)) {
    const st = fs.statSync(dir);
    if (!(bits(st) & 0o1)) return `${who.name} cannot enter ${dir} (mode ${(st.mode & 0o7777).toString(8)}), on the way to ${target}`;
    dir = path.join(dir, part);
  }
  const st = fs.statSync(real);
  if (!(bits(st) & (st.isDirectory() ? 0o1 : 0o4))) return `${who.name} cannot read ${target} (mode ${(st.mode & 0o7777).toString(8)})`;
  return undefined;
}

/** The runtime directory (see the top): made afresh, with nothing from an earlier run in it. */
function runtimeDirectory() {
  if (!isRoot) return demo;
  const dir = path.join("/run", `machina-demo-${crypto.createHash("sha256").update(repo).digest("hex").slice(0, 8)}`);
  try {
    const run = fs.statSync("/run");
    if (run.isDirectory() && run.uid === 0 && (run.mode & 0o022) === 0) {
      // Left by a run that was killed: root's own, in a directory only root may write.
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { mode: 0o711 });
      return dir;
    }
  } catch {
    // No usable /run: a fresh directory in the temporary directory instead.
  }
  return fs.mkdtempSync(path.join(os.tmpdir(), "machina-demo-"));
}
const runtime = runtimeDirectory();
if (runtime !== demo) {
  fs.chmodSync(runtime, 0o711);
  process.on("exit", () => fs.rmSync(runtime, { recursive: true, force: true }));
}
const sock = path.join(runtime, "run", "machina.sock");
const secret = path.join(runtime, "secret");
const panelPassword = path.join(runtime, "panel-password");
const policy = path.join(demo, "policy.toml");
const root = path.join(demo, "root");
const log = path.join(demo, "machinad.log");

const fresh = !fs.existsSync(root);
if (fresh) fs.cpSync(path.join(seed, "root"), root, { recursive: true });
fs.writeFileSync(policy, fs.readFileSync(path.join(seed, "policy.toml"), "utf8").replaceAll("@USER@", user).replaceAll("@PANEL_USER@", panelUser));
fs.writeFileSync(secret, execFileSync(process.execPath, [machinad, "keygen"]), { mode: 0o600 });
fs.chmodSync(secret, 0o600);
const password = crypto.randomBytes(12).toString("base64url");
fs.writeFileSync(panelPassword, `${password}\n`, { mode: 0o600 });
fs.chmodSync(panelPassword, 0o600);
if (isRoot) {
  // nobody reads these through its group, nogroup (machinad's socket gets the same group).
  for (const file of [secret, panelPassword]) {
    fs.chownSync(file, 0, NOBODY.gid);
    fs.chmodSync(file, 0o640);
  }
}
// The panel's copy: its bundle and its static files, in the layout it expects (bundle/../public).
const panelCopy = path.join(runtime, "web-panel");
fs.rmSync(panelCopy, { recursive: true, force: true });
for (const part of ["bundle", "public"]) fs.cpSync(path.join(panelSource, part), path.join(panelCopy, part), { recursive: true });
// Readable by the panel's user whatever the checkout's modes are (a clone made with umask 077).
(function readable(p) {
  if (fs.statSync(p).isDirectory()) {
    fs.chmodSync(p, 0o755);
    for (const e of fs.readdirSync(p)) readable(path.join(p, e));
  } else fs.chmodSync(p, 0o644);
})(panelCopy);
const panelEntry = path.join(panelCopy, "bundle", "web-panel.mjs");

// The demo's init scripts go to .demo/init.d (root-owned, as machinad requires), their
// processes' pid files to .demo/state.
const initd = path.join(demo, "init.d");
fs.mkdirSync(initd, { recursive: true, mode: 0o755 });
for (const name of fs.readdirSync(path.join(seed, "init.d"))) {
  fs.copyFileSync(path.join(seed, "init.d", name), path.join(initd, name));
  fs.chmodSync(path.join(initd, name), 0o755);
}
const daemonExtraArgs = ["--service-backend", "initd", "--initd-dir", initd, ...(isRoot ? ["--group", "nogroup"] : [])];

const daemon = spawn(
  process.execPath,
  [machinad, "--socket", sock, "--policy", policy, "--secret-file", secret, "--root", root, "--audit-log", path.join(demo, "audit.log"), ...daemonExtraArgs],
  { stdio: ["ignore", "ignore", fs.openSync(log, "w")] },
);
let daemonExited = false;
daemon.on("exit", (code) => {
  daemonExited = true;
  if (!stopping) {
    console.error(`machinad exited unexpectedly (status ${code}); its log:\n${fs.readFileSync(log, "utf8")}`);
    process.exit(1);
  }
});

let stopping = false;
function stop(status = 0) {
  stopping = true;
  if (!daemonExited) daemon.kill("SIGTERM");
  daemon.once("exit", () => process.exit(status));
  if (daemonExited) process.exit(status);
}
process.on("SIGINT", () => {
  // Ctrl-C reaches npm too, which passes it on: say it once.
  if (!stopping) console.log("\nstopping machinad…");
  stop(0);
});
process.on("SIGTERM", () => stop(0));

// Wait for the daemon's "listening" log line rather than probing the socket:
// a probe would itself be a session and could make the example client "busy".
async function waitForDaemon() {
  for (let i = 0; i < 200; i++) {
    if (fs.existsSync(log) && fs.readFileSync(log, "utf8").includes("listening on")) return;
    if (daemonExited) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`machinad did not start; see ${log}`);
}

await waitForDaemon();
// Paths as printed: relative inside the checkout (the commands below start with a cd there),
// absolute elsewhere; quoted for the shell when they need it.
const quote = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);
const rel = (p) => {
  const r = path.relative(repo, p);
  return quote(r === "" ? "." : r.startsWith("..") || path.isAbsolute(r) ? p : r);
};
console.log(`machinad is running on a sandbox root (${rel(root)}${fresh ? "" : ", kept from last time: rm -rf .demo to reset"}).`);
console.log(`socket ${rel(sock)} · policy ${rel(policy)} · audit log ${rel(path.join(demo, "audit.log"))} · daemon log ${rel(log)}`);
if (process.getuid?.() !== 0) console.log("(not root: the daemon runs as you; service control and packages, once configured, need root)");
console.log("\n── the example client (examples/hello-client.mjs) ──");
const env = { ...process.env, MACHINA_SOCKET: sock, MACHINA_SECRET_FILE: secret };
try {
  execFileSync(process.execPath, [path.join(repo, "examples", "hello-client.mjs")], { stdio: "inherit", env });
} catch {
  console.error("the example client failed");
  stop(1);
  await new Promise(() => {}); // stop() exits once machinad is down
}

// ── the example web panel ──
const demoServices = fs.readdirSync(initd);
const initScript = (name, action) =>
  execFileSync(path.join(initd, name), [action], { stdio: "ignore", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" }, timeout: 30_000 });
if (isRoot) {
  try {
    initScript("demo-web", "start");
  } catch {
    console.error("could not start the demo service demo-web");
  }
}
const panelArgs = [panelEntry, "--port", exitAfterExample ? "0" : (process.env.MACHINA_PANEL_PORT ?? "8080"),
  "--socket", sock, "--secret-file", secret, "--password-file", panelPassword, "--title", "machina demo"];
const panelLog = path.join(demo, "web-panel.log");
fs.writeFileSync(panelLog, "");
process.on("exit", () => {
  if (isRoot) for (const name of demoServices) try { initScript(name, "stop"); } catch { /* not running */ }
});
// As root the panel runs as nobody, from "/", on the runtime directory's files only; say so
// plainly if nobody cannot reach one of them (node itself, installed below /root, say).
const cannotReach = isRoot ? [process.execPath, panelEntry, secret, panelPassword, path.dirname(sock)].map((p) => unreachable(NOBODY, p)).find(Boolean) : undefined;
let panelUrl;
if (cannotReach) {
  fs.writeFileSync(panelLog, `the web panel cannot run as nobody: ${cannotReach}\n`);
} else {
  const panelStdio = ["ignore", "pipe", fs.openSync(panelLog, "a")];
  const panel = isRoot
    ? spawn("setpriv", [`--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, "--clear-groups", "--", process.execPath, ...panelArgs], { stdio: panelStdio, cwd: "/" })
    : spawn(process.execPath, panelArgs, { stdio: panelStdio, cwd: "/" });
  process.on("exit", () => panel.kill("SIGTERM"));
  panelUrl = await new Promise((resolve) => {
    let out = "";
    panel.stdout.setEncoding("utf8").on("data", (s) => {
      out += s;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve(url);
    });
    panel.once("exit", () => resolve(undefined));
  });
}
if (panelUrl) {
  console.log(`\n── the example web panel (examples/web-panel), running as ${panelUser} ──
  open ${panelUrl}   password: ${password}   (also in ${rel(panelPassword)}; its log: ${rel(panelLog)})
  Services: demo-web and demo-worker, real init scripts in ${rel(initd)}${isRoot ? "" : " (service control needs root: as you, machinad refuses them)"}
  Hosts and Hostname: edit ${rel(path.join(root, "etc"))} with a diff preview first\n`);
} else {
  console.error(`the web panel did not start; its log (${rel(panelLog)}):\n${fs.existsSync(panelLog) ? fs.readFileSync(panelLog, "utf8") : ""}`);
  if (exitAfterExample) {
    stop(1);
    await new Promise(() => {});
  }
}

// Each line below runs as printed in a new shell (test/src/newcomer.test.ts runs every one):
// npx finds machina and machinad in node_modules/.bin, which scripts/build.mjs linked.
console.log(`── now try it yourself, in another terminal ──
  cd ${quote(repo)}
  export MACHINA_SOCKET=${quote(sock)} MACHINA_SECRET_FILE=${quote(secret)}
  npx machina get /files/etc/hostname/hostname
  npx machina match '/files/etc/hosts/*/canonical'
  printf 'set /files/etc/hosts/01/ipaddr 10.0.0.5\\nset /files/etc/hosts/01/canonical fileserver\\n' | npx machina apply --preview
  npx machina set /files/etc/hostname/hostname demo-box     # writes ${rel(path.join(root, "etc", "hostname"))}
  npx machina set /files/etc/ssh/sshd_config/Port 2222      # refused: the policy does not allow it
  npx machina discover                                     # what the policy allows, as OpenRPC
  npx machinad policy explain ${rel(policy)} --root ${rel(root)}   # the policy, in plain words
Ctrl-C stops the daemon.`);
if (exitAfterExample) stop(0);
