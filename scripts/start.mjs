#!/usr/bin/env node
// `npm start`: machina's main job on a sandbox, without touching the real /etc.
// Creates .demo/ (a sandbox root seeded from examples/demo, a demo policy naming
// the current user, a fresh secret), starts machinad on .demo/run/machina.sock,
// runs the example client once, starts the example web panel (examples/web-panel) on
// 127.0.0.1 with a generated password, and prints what to type next. Ctrl-C stops it.
// `npm start -- --exit` stops right after the example client (for CI and tests).
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
const machina = path.join(repo, "packages", "client", "bundle", "machina.cjs");
const exitAfterExample = process.argv.includes("--exit");

const sock = path.join(demo, "run", "machina.sock");
const secret = path.join(demo, "secret");
const policy = path.join(demo, "policy.toml");
const root = path.join(demo, "root");
const log = path.join(demo, "machinad.log");

fs.mkdirSync(demo, { recursive: true, mode: 0o700 });
// The daemon refuses a secret another user owns (and the client a socket directory another
// user owns), so a .demo/ left by an earlier run as someone else (root, say) cannot be reused.
const demoOwner = fs.statSync(demo).uid;
if (demoOwner !== process.getuid?.()) {
  console.error(`npm start: ${demo} belongs to uid ${demoOwner}, from an earlier run as another user; remove it (rm -rf .demo) or run as that user`);
  process.exit(1);
}
const fresh = !fs.existsSync(root);
if (fresh) fs.cpSync(path.join(seed, "root"), root, { recursive: true });
const user = os.userInfo().username;
fs.writeFileSync(policy, fs.readFileSync(path.join(seed, "policy.toml"), "utf8").replaceAll("@USER@", user));
fs.writeFileSync(secret, execFileSync(process.execPath, [machinad, "keygen"]), { mode: 0o600 });
fs.chmodSync(secret, 0o600);
fs.mkdirSync(path.join(demo, "run"), { recursive: true, mode: 0o755 });

// The web panel runs unprivileged: as root, npm start runs it as nobody, who reaches the
// socket and the secret through the nogroup group (.demo/ becomes traversable, not listable);
// otherwise it runs as you. The demo's init scripts go to .demo/init.d (root-owned, as machinad
// requires), their processes' pid files to .demo/state.
const isRoot = process.getuid?.() === 0;
const panelUser = isRoot ? "nobody" : user;
fs.writeFileSync(policy, fs.readFileSync(policy, "utf8").replaceAll("@PANEL_USER@", panelUser));
const initd = path.join(demo, "init.d");
fs.mkdirSync(initd, { recursive: true, mode: 0o755 });
for (const name of fs.readdirSync(path.join(seed, "init.d"))) {
  fs.copyFileSync(path.join(seed, "init.d", name), path.join(initd, name));
  fs.chmodSync(path.join(initd, name), 0o755);
}
const panelPassword = path.join(demo, "panel-password");
const password = crypto.randomBytes(12).toString("base64url");
fs.writeFileSync(panelPassword, `${password}\n`, { mode: 0o600 });
if (isRoot) {
  fs.chmodSync(demo, 0o711);
  for (const file of [secret, panelPassword]) {
    fs.chownSync(file, 0, 65534);
    fs.chmodSync(file, 0o640);
  }
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
  console.log("\nstopping machinad…");
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
const rel = (p) => path.relative(process.cwd(), p) || ".";
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
const panelArgs = [path.join(repo, "examples", "web-panel", "dist", "main.js"), "--port", exitAfterExample ? "0" : (process.env.MACHINA_PANEL_PORT ?? "8080"),
  "--socket", sock, "--secret-file", secret, "--password-file", panelPassword, "--title", "machina demo"];
const panelLog = path.join(demo, "web-panel.log");
const panel = isRoot
  ? spawn("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", process.execPath, ...panelArgs], { stdio: ["ignore", "pipe", fs.openSync(panelLog, "w")] })
  : spawn(process.execPath, panelArgs, { stdio: ["ignore", "pipe", fs.openSync(panelLog, "w")] });
process.on("exit", () => {
  panel.kill("SIGTERM");
  if (isRoot) for (const name of demoServices) try { initScript(name, "stop"); } catch { /* not running */ }
});
const panelUrl = await new Promise((resolve) => {
  let out = "";
  panel.stdout.setEncoding("utf8").on("data", (s) => {
    out += s;
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (url) resolve(url);
  });
  panel.once("exit", () => resolve(undefined));
});
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

console.log(`── now try it yourself, in another terminal ──
  cd ${repo}
  export MACHINA_SOCKET=${sock} MACHINA_SECRET_FILE=${secret}
  alias machina="node ${machina}"
  machina get /files/etc/hostname/hostname
  machina match '/files/etc/hosts/*/canonical'
  printf 'set /files/etc/hosts/01/ipaddr 10.0.0.5\\nset /files/etc/hosts/01/canonical fileserver\\n' | machina apply --preview
  machina set /files/etc/hostname/hostname demo-box     # writes ${rel(path.join(root, "etc", "hostname"))}
  machina set /files/etc/ssh/sshd_config/Port 2222      # refused: the policy does not allow it
  machina discover                                     # what the policy allows, as OpenRPC
Ctrl-C stops the daemon.`);
if (exitAfterExample) stop(0);
