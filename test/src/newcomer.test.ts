/**
 * A new user's first minutes (issue 18), the way they go on a fresh Debian
 * machine as root: `git clone … && cd machina && npm start` in a directory
 * nobody else may enter (root's home is 0700; here a `mktemp -d` directory,
 * 0700 too), then, in a new shell, every command npm start prints under "now
 * try it yourself", exactly as printed, and the web panel's login page over
 * HTTP while npm start runs.
 *
 * The clone is of this checkout's HEAD (committed files only). npm start
 * installs the npm packages there (from npm's cache: `prefer-offline`, the
 * test machines have no registry) and builds everything, as it would for the
 * newcomer. The environment is a new terminal's: no npm_* variables, no
 * node_modules/.bin on PATH, nothing of machina's, so `npx machina` has to find
 * the clone's own bins. The last step, `npm test` in such a clone, is
 * CI's: .ci/run runs the whole suite from a fresh clone inside a 0700
 * directory.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { NOBODY, unreachable } from "./harness/as-user.js";
import { describeRun, REPO_ROOT, runCommand } from "./harness/command.js";
import type { RunResult } from "./harness/daemon.js";
import { waitFor } from "./harness/wait.js";

/** A new login shell's environment: PATH without any node_modules/.bin, HOME, LANG; nothing else. */
function newTerminalEnv(): NodeJS.ProcessEnv {
  const pathDirs = (process.env.PATH ?? "").split(":").filter((d) => d !== "" && !d.includes("node_modules"));
  return { PATH: pathDirs.join(":"), HOME: os.homedir(), LANG: "C.UTF-8" };
}

let work: string;
let clone: string;
let npmStart: ChildProcess;
let output = "";
let exited: Promise<number | null>;

/** Ends npm start as Ctrl-C would: SIGINT to its whole process group. */
async function interrupt(): Promise<void> {
  if (npmStart.exitCode !== null || npmStart.signalCode !== null) return;
  process.kill(-npmStart.pid!, "SIGINT");
  const timer = setTimeout(() => process.kill(-npmStart.pid!, "SIGKILL"), 60_000);
  await exited;
  clearTimeout(timer);
}

/** Every process and its command line (arguments joined by spaces). */
function processes(): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      found.push({ pid: Number(pid), cmdline: fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ") });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Processes still running that name the clone or the runtime directory (none may be left at the end). */
function leftOver(runtime: string): string[] {
  return processes()
    .filter(({ cmdline }) => cmdline.includes(clone) || cmdline.includes(runtime))
    .map(({ pid, cmdline }) => `${pid}: ${cmdline}`);
}

/** True while `pid` runs (a zombie does not count). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "machina-newcomer-"));
  assert.equal(fs.statSync(work).mode & 0o777, 0o700);
  clone = path.join(work, "machina");
  const cloned = await runCommand("git", ["clone", "-q", REPO_ROOT, clone], { cwd: work });
  assert.equal(cloned.code, 0, describeRun(cloned));
  assert.ok(unreachable(NOBODY, clone), "the clone is out of nobody's reach, as one in /root is");

  npmStart = spawn("npm", ["start"], {
    cwd: clone,
    env: { ...newTerminalEnv(), npm_config_prefer_offline: "true", MACHINA_PANEL_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, like a terminal's foreground job
  });
  exited = new Promise((resolve) => npmStart.once("close", (code) => resolve(code)));
  npmStart.stdout!.setEncoding("utf8").on("data", (s: string) => (output += s));
  npmStart.stderr!.setEncoding("utf8").on("data", (s: string) => (output += s));
  // The install and the build (native addons, tsc -b, bundles) come first.
  await waitFor(
    () => {
      if (npmStart.exitCode !== null) throw new Error(`npm start exited (${npmStart.exitCode})\n${output}`);
      return output.includes("Ctrl-C stops the daemon.");
    },
    "npm start to print what to try",
    () => output,
    480_000,
  );
});

after(async () => {
  try {
    if (npmStart) await interrupt();
  } finally {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
});

/** The lines of the "now try it yourself" block, without their indentation. */
function tryItLines(): string[] {
  const block = /── now try it yourself, in another terminal ──\n([\s\S]*?)\nCtrl-C stops the daemon\./.exec(output)?.[1];
  assert.ok(block, `npm start printed what to try\n${output}`);
  return block.split("\n").map((l) => l.trim());
}

test("npm start in a fresh clone below a 0700 directory starts the daemon, the example client and the web panel (as nobody)", async () => {
  assert.doesNotMatch(output, /machinad did not start|machinad exited|the example client failed|the web panel did not start/, output);
  assert.match(output, /── the example client \(examples\/hello-client\.mjs\) ──\nconnected to machinad\//);
  assert.match(output, /── the example web panel \(examples\/web-panel\), running as nobody ──/);
  const url = /open (http:\/\/\S+)/.exec(output)?.[1];
  assert.ok(url, output);
  // The panel's login page, over HTTP, while npm start runs.
  const res = await fetch(new URL("login", url), { redirect: "manual" });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
  const page = await res.text();
  assert.match(page, /<title>Log in · machina demo<\/title>/);
  assert.match(page, /<form[^>]*method="post"[^>]*action="\/login"|<form[^>]*action="\/login"[^>]*method="post"/i);
  assert.match(page, /type="password"/);
  // It runs unprivileged: the panel on this demo's socket is nobody's (real, effective, saved
  // and file system uid), and runs a copy outside the clone.
  const socket = tryItExports().MACHINA_SOCKET!;
  const panels = processes().filter(({ cmdline }) => cmdline.includes("web-panel.mjs") && cmdline.includes(` --socket ${socket} `));
  assert.equal(panels.length, 1, `one panel process on ${socket}:\n${processes().map((p) => p.cmdline).join("\n")}`);
  assert.ok(!panels[0]!.cmdline.includes(clone), panels[0]!.cmdline);
  const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${panels[0]!.pid}/status`, "utf8"));
  assert.deepEqual(uids?.slice(1).map(Number), [NOBODY.uid, NOBODY.uid, NOBODY.uid, NOBODY.uid]);
});

/** The variables of the printed `export` line. */
function tryItExports(): Record<string, string> {
  const line = tryItLines().find((l) => l.startsWith("export "));
  assert.ok(line);
  return Object.fromEntries(
    line
      .slice("export ".length)
      .split(" ")
      .map((kv) => kv.split("=") as [string, string]),
  );
}

/** What each printed command must do. Every printed command must match exactly one of these. */
interface Expectation {
  name: string;
  matches: RegExp;
  /** Files below the clone to compare before and after. */
  watch: string[];
  check(r: RunResult, before: string[], after: string[]): void;
}

const HOSTNAME = ".demo/root/etc/hostname";
const HOSTS = ".demo/root/etc/hosts";
const SSHD = ".demo/root/etc/ssh/sshd_config";

const EXPECTATIONS: Expectation[] = [
  {
    name: "get the hostname",
    matches: /^npx machina get \/files\/etc\/hostname\/hostname$/,
    watch: [HOSTNAME],
    check(r, [hostname]) {
      assert.equal(r.code, 0, describeRun(r));
      assert.equal(r.stdout, hostname);
    },
  },
  {
    name: "match the canonical names",
    matches: /^npx machina match '\/files\/etc\/hosts\/\*\/canonical'$/,
    watch: [HOSTS],
    check(r, [hosts]) {
      assert.equal(r.code, 0, describeRun(r));
      const entries = hosts!.split("\n").filter((l) => /^\s*[0-9a-f:.]+\s/i.test(l)).length;
      assert.deepEqual(
        r.stdout.trimEnd().split("\n"),
        Array.from({ length: entries }, (_, i) => `/files/etc/hosts/${i + 1}/canonical`),
      );
    },
  },
  {
    name: "preview an apply",
    matches: /^printf '.*' \| npx machina apply --preview$/,
    watch: [HOSTS],
    check(r, before, after) {
      assert.equal(r.code, 0, describeRun(r));
      assert.match(r.stdout, /^\+10\.0\.0\.5\tfileserver$/m);
      assert.deepEqual(after, before, "a preview writes nothing");
    },
  },
  {
    name: "set the hostname",
    matches: /^npx machina set \/files\/etc\/hostname\/hostname demo-box +# writes \.demo\/root\/etc\/hostname$/,
    watch: [HOSTNAME],
    check(r, [before], [after]) {
      assert.equal(r.code, 0, describeRun(r));
      assert.notEqual(after, before);
      assert.equal(after, "demo-box\n");
      assert.match(r.stdout, /^\+demo-box$/m);
    },
  },
  {
    name: "a refused set",
    matches: /^npx machina set \/files\/etc\/ssh\/sshd_config\/Port 2222 +# refused/,
    watch: [SSHD],
    check(r, before, after) {
      assert.equal(r.code, 1, describeRun(r));
      assert.match(r.stderr, /^machina: policy-denied: /);
      assert.deepEqual(after, before, "a refused set writes nothing");
    },
  },
  {
    name: "discover",
    matches: /^npx machina discover +# /,
    watch: [],
    check(r) {
      assert.equal(r.code, 0, describeRun(r));
      assert.match(r.stdout, /^augeas\.get\s/m);
      assert.match(r.stdout, /^service\.restart\s/m);
    },
  },
  {
    name: "explain the policy",
    matches: /^npx machinad policy explain \.demo\/policy\.toml --root \.demo\/root +# /,
    watch: [],
    check(r) {
      assert.equal(r.code, 0, describeRun(r));
      assert.match(r.stdout, /^Who may connect:/m);
      assert.match(r.stdout, /\/etc\/hosts/);
    },
  },
];

test("every command npm start prints runs as printed, in a new shell: each does what it says", async () => {
  const lines = tryItLines();
  const [cd, exportLine, ...commands] = lines;
  assert.equal(cd, `cd ${clone}`);
  assert.match(exportLine ?? "", /^export MACHINA_SOCKET=\S+ MACHINA_SECRET_FILE=\S+$/);
  assert.ok(commands.length >= EXPECTATIONS.length, lines.join("\n"));
  const seen = new Set<string>();
  for (const command of commands) {
    const expected = EXPECTATIONS.filter((e) => e.matches.test(command));
    assert.equal(expected.length, 1, `a printed command this test does not know (give it an expectation): ${command}`);
    const e = expected[0]!;
    seen.add(e.name);
    const read = () => e.watch.map((f) => fs.readFileSync(path.join(clone, f), "utf8"));
    const before = read();
    // A new terminal: its own shell, its own environment, the three lines as printed.
    const r = await runCommand("/bin/sh", ["-c", `${cd}\n${exportLine}\n${command}\n`], { cwd: os.homedir(), env: newTerminalEnv(), timeoutMs: 120_000 });
    e.check(r, before, read());
  }
  assert.deepEqual([...seen].sort(), EXPECTATIONS.map((e) => e.name).sort(), "every expected command was printed");
});

test("Ctrl-C stops everything npm start started and removes the runtime directory", async () => {
  const { MACHINA_SOCKET: socket } = tryItExports();
  const runtime = path.dirname(path.dirname(socket!));
  assert.ok(fs.existsSync(socket!));
  // The demo services npm start started (their init scripts keep pid files in .demo/state).
  const state = path.join(clone, ".demo/state");
  const services = fs.readdirSync(state).map((f) => Number(fs.readFileSync(path.join(state, f), "utf8").trim()));
  assert.ok(services.length > 0 && services.every(alive), `demo services running: ${services.join(", ")}`);
  await interrupt();
  await waitFor(() => leftOver(runtime).length === 0 || undefined, "npm start's processes to end", () => leftOver(runtime).join("\n"));
  assert.deepEqual(services.filter(alive), [], "the demo services are stopped");
  assert.ok(!fs.existsSync(runtime), `${runtime} is removed`);
  assert.equal(output.match(/stopping machinad…/g)?.length, 1, output);
});
