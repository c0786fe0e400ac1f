/**
 * Hostile local processes for the availability tests: each is a separate node
 * process (so it has its own pid, as a real attacker would), run as root (the
 * test's own uid: the panel's uid, in those tests) or as `nobody` (as-user.ts),
 * talking to the daemon over its Unix socket only. Each stops by
 * itself after its duration (bounded however the test ends), or earlier on
 * stop(), and then prints what it did as one JSON object.
 *
 * - flood: connections in a tight loop — connect, read the refusal, close,
 *   again — on `concurrency` connections at once;
 * - noKeyPeer: a peer the policy admits but that lacks the key: it keeps
 *   `idle` connections that said hello and never prove anything (each one
 *   reopened as soon as the daemon closes it), and `spammers` loops that
 *   connect, say hello, send a wrong proof and start again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { NOBODY, spawnNodeScriptAs } from "./as-user.js";
import { cleanEnv } from "./daemon.js";

export type RunAs = "root" | "nobody";

export interface PeerStats {
  [counter: string]: number | Record<string, number>;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** A running hostile process. */
export class HostilePeer {
  private stdoutText = "";
  private stderrText = "";
  /** Resolves with its counters once it has exited. */
  readonly stats: Promise<PeerStats>;

  constructor(readonly child: ChildProcess) {
    live.add(child);
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (this.stdoutText += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (this.stderrText += s));
    this.stats = new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code) => {
        live.delete(child);
        try {
          resolve(JSON.parse(this.stdoutText) as PeerStats);
        } catch {
          reject(new Error(`the hostile peer exited (${code}) without its counters\nstdout: ${this.stdoutText}\nstderr: ${this.stderrText}`));
        }
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Asks it to stop (it finishes the connections it has open) and answers its counters. */
  stop(): Promise<PeerStats> {
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 20_000);
    return this.stats.finally(() => clearTimeout(timer));
  }
}

function start(as: RunAs, script: string, config: unknown): HostilePeer {
  const env = { HOSTILE_CONFIG: JSON.stringify(config) };
  const child =
    as === "root"
      ? spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv(env), cwd: "/" })
      : spawnNodeScriptAs(NOBODY, script, [], { env });
  return new HostilePeer(child);
}

/** Shared by both scripts: the config, counters, the deadline, SIGTERM, and printing the counters at the end. */
const PRELUDE = `
const net = require("net");
const crypto = require("crypto");
const config = JSON.parse(process.env.HOSTILE_CONFIG);
const stats = { errors: {} };
const count = (k) => (stats[k] = (stats[k] || 0) + 1);
let stopping = false;
const deadline = Date.now() + config.durationMs;
const over = () => stopping || Date.now() > deadline;
process.on("SIGTERM", () => (stopping = true));
let workers = 0;
const finished = () => {
  if (--workers === 0) {
    process.stdout.write(JSON.stringify(stats));
    process.exit(0);
  }
};
const onError = (e) => (stats.errors[e.code || e.message] = (stats.errors[e.code || e.message] || 0) + 1);
/** Lines of JSON from a socket, to f. */
const lines = (s, f) => {
  let buf = "";
  s.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { f(JSON.parse(line)); } catch { count("unparsable"); }
    }
  });
};
const kindOf = (m) => (m && m.error && m.error.data && m.error.data.kind) || (m && m.result ? "ok" : "none");
const hello = () => JSON.stringify({ jsonrpc: "2.0", id: 1, method: "session.hello", params: { protocol: 1, nonce: crypto.randomBytes(32).toString("base64") } }) + "\\n";
const wrongProof = () => JSON.stringify({ jsonrpc: "2.0", id: 2, method: "session.authenticate", params: { proof: crypto.randomBytes(64).toString("base64") } }) + "\\n";
`;

const FLOOD = `${PRELUDE}
function one() {
  if (over()) return finished();
  const s = net.connect(config.socket);
  s.on("connect", () => count("connected"));
  lines(s, (m) => { count("answered:" + kindOf(m)); s.destroy(); });
  s.on("error", onError);
  s.on("close", () => setImmediate(one));
}
for (let i = 0; i < config.concurrency; i++) { workers++; one(); }
`;

const NO_KEY = `${PRELUDE}
function idle() {
  if (over()) return finished();
  const s = net.connect(config.socket);
  s.on("connect", () => { count("connected"); s.write(hello()); });
  lines(s, (m) => count("idle:" + kindOf(m)));
  s.on("error", onError);
  s.on("close", () => setImmediate(idle));
}
function spam() {
  if (over()) return finished();
  const s = net.connect(config.socket);
  s.on("connect", () => { count("connected"); s.write(hello()); });
  lines(s, (m) => {
    const kind = kindOf(m);
    count("spam:" + kind);
    if (m.id === 1 && kind === "ok") { count("wrong proofs"); s.write(wrongProof()); }
  });
  s.on("error", onError);
  s.on("close", () => setImmediate(spam));
}
for (let i = 0; i < config.idle; i++) { workers++; idle(); }
for (let i = 0; i < config.spammers; i++) { workers++; spam(); }
`;

/** Connections in a tight loop, `concurrency` at once, for at most `durationMs`. */
export function flood(as: RunAs, options: { socket: string; concurrency: number; durationMs: number }): HostilePeer {
  return start(as, FLOOD, options);
}

/** A peer without the key holding `idle` waiting connections and sending wrong proofs on `spammers` loops. */
export function noKeyPeer(as: RunAs, options: { socket: string; idle: number; spammers: number; durationMs: number }): HostilePeer {
  return start(as, NO_KEY, options);
}
