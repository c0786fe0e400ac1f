#!/usr/bin/env node
// `npm start`: machina's main job on a sandbox, without touching the real /etc.
// Creates .demo/ (a sandbox root seeded from examples/demo, a demo policy naming
// the current user, a fresh secret), starts machinad on .demo/run/machina.sock,
// runs the example client once, and prints what to type next. Ctrl-C stops it.
// `npm start -- --exit` stops right after the example client (for CI and tests).
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const demo = path.join(repo, ".demo");
const seed = path.join(repo, "examples", "demo");
const machinad = path.join(repo, "packages", "server", "dist", "cli", "main.js");
const machina = path.join(repo, "packages", "client", "dist", "cli", "main.js");
const exitAfterExample = process.argv.includes("--exit");

const sock = path.join(demo, "run", "machina.sock");
const secret = path.join(demo, "secret");
const policy = path.join(demo, "policy.toml");
const root = path.join(demo, "root");
const log = path.join(demo, "machinad.log");

fs.mkdirSync(demo, { recursive: true, mode: 0o700 });
const fresh = !fs.existsSync(root);
if (fresh) fs.cpSync(path.join(seed, "root"), root, { recursive: true });
const user = os.userInfo().username;
fs.writeFileSync(policy, fs.readFileSync(path.join(seed, "policy.toml"), "utf8").replaceAll("@USER@", user));
fs.writeFileSync(secret, execFileSync(process.execPath, [machinad, "keygen"]), { mode: 0o600 });
fs.chmodSync(secret, 0o600);
fs.mkdirSync(path.join(demo, "run"), { recursive: true, mode: 0o755 });

const daemon = spawn(
  process.execPath,
  [machinad, "--socket", sock, "--policy", policy, "--secret-file", secret, "--root", root, "--audit-log", path.join(demo, "audit.log")],
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
