/**
 * Runs the REAL machinad (packages/server/bundle/machinad.cjs, the shipped bundle) as a child process
 * on a sandbox: waits until its socket is listening, stops it with SIGTERM and
 * waits for the exit, and keeps its stderr for failure messages. Every child
 * is killed when the test process exits, whatever happened.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after } from "node:test";
import { MACHINAD_NODE_FLAGS } from "@machina/server/node-flags";
import type { Sandbox } from "./sandbox.js";
import { waitFor } from "./wait.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** machinad's entry point. */
export const MACHINAD = path.join(REPO, "packages/server/bundle/machinad.cjs");
/** The machina CLI's entry point. */
export const MACHINA = path.join(REPO, "packages/client/bundle/machina.cjs");

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});
// A test that fails while its daemon runs leaves the daemon running, and a live child keeps the
// test file's process waiting until the 10-minute test timeout. Once the file's tests are done,
// its own after hooks get a minute to stop their daemons; then what is left is killed (the timer
// does not itself keep the process alive). Only under the test runner: the bench imports this too.
if (process.env.NODE_TEST_CONTEXT) {
  after(() => {
    setTimeout(() => {
      for (const child of live) child.kill("SIGKILL");
    }, 60_000).unref();
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DaemonOptions {
  /** machinad's entry point to run (default: the checkout's bundle, MACHINAD), e.g. an installed copy. */
  program?: string;
  /** Extra arguments after the standard ones. */
  args?: string[];
  /** How the secret is given: the sandbox's file (default), or none at all (only `args`). */
  secret?: "file" | "none";
  /** Leave out --audit-log. */
  noAuditLog?: boolean;
  /** Extra environment variables (on top of the cleaned test environment). */
  env?: NodeJS.ProcessEnv;
  /**
   * A command machinad runs through (argv prefix), which must exec it in its
   * own place so that signals reach the daemon: IsolatedRoot.mountsOnly(), for
   * a daemon that must see users made in an isolated root.
   */
  through?: string[];
}

export class DaemonProcess {
  private stderrText = "";
  private stdoutText = "";
  readonly exited: Promise<Exit>;
  private exitValue: Exit | undefined;

  constructor(
    readonly child: ChildProcess,
    readonly sandbox: Sandbox,
    readonly argv: string[],
  ) {
    live.add(child);
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (this.stderrText += s));
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (this.stdoutText += s));
    this.exited = new Promise((resolve) => {
      // "close", not "exit": stderr has been read to the end by then.
      child.once("close", (code, signal) => {
        live.delete(child);
        this.exitValue = { code, signal };
        resolve(this.exitValue);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  /** The exit status once the process has exited, else undefined. */
  get exit(): Exit | undefined {
    return this.exitValue;
  }

  get running(): boolean {
    return this.exitValue === undefined;
  }

  /** A description for assertion messages. */
  describe(): string {
    return `machinad ${this.argv.join(" ")}\n--- stderr ---\n${this.stderrText}--- end ---`;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** SIGTERM, then waits for the exit (SIGKILL if it takes far too long). */
  async stop(): Promise<Exit> {
    if (!this.running) return this.exitValue!;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until stderr matches (for conditions only the log shows, e.g. a reload having happened). */
  async waitForStderr(pattern: RegExp, what = `stderr to match ${pattern}`): Promise<void> {
    await waitFor(() => pattern.test(this.stderrText), what, () => this.describe());
  }
}

/** The arguments the harness passes to machinad for a sandbox. */
export function daemonArgs(sandbox: Sandbox, options: DaemonOptions = {}): string[] {
  return [
    "--socket",
    sandbox.socket,
    "--policy",
    sandbox.policyFile,
    ...((options.secret ?? "file") === "file" ? ["--secret-file", sandbox.secretFile] : []),
    "--root",
    sandbox.root,
    ...(options.noAuditLog ? [] : ["--audit-log", sandbox.auditLog]),
    ...(options.args ?? []),
  ];
}

/** Spawns machinad without waiting for anything. */
export function spawnDaemon(sandbox: Sandbox, options: DaemonOptions = {}): DaemonProcess {
  const argv = daemonArgs(sandbox, options);
  const [file, ...prefix] = [...(options.through ?? []), process.execPath];
  // As the installed wrapper runs it (MACHINAD_NODE_FLAGS); another program given instead runs as it is.
  const nodeFlags = options.program === undefined ? MACHINAD_NODE_FLAGS : [];
  const child = spawn(file, [...prefix, ...nodeFlags, options.program ?? MACHINAD, ...argv], {
    stdio: ["ignore", "pipe", "pipe"],
    env: cleanEnv(options.env),
  });
  return new DaemonProcess(child, sandbox, argv);
}

/**
 * Starts machinad on the sandbox and resolves once its socket is listening:
 * the daemon has said so (it logs "listening on" after the socket is bound,
 * listening and has its final owner and mode) and the socket file is there.
 * (A probe connection would show in the daemon's log and audit — and tests
 * count those — and the inode of a replaced stale socket is often reused, so
 * neither tells.)
 */
export async function startDaemon(sandbox: Sandbox, options: DaemonOptions = {}): Promise<DaemonProcess> {
  const daemon = spawnDaemon(sandbox, options);
  try {
    await waitFor(
      () => {
        if (!daemon.running) throw new Error(`machinad exited (${JSON.stringify(daemon.exit)}) before listening\n${daemon.describe()}`);
        if (!/ info: listening on /.test(daemon.stderr)) return false;
        return fs.lstatSync(sandbox.socket, { throwIfNoEntry: false })?.isSocket() === true;
      },
      "machinad to listen",
      () => daemon.describe(),
    );
  } catch (e) {
    await daemon.stop();
    throw e;
  }
  return daemon;
}

/**
 * Runs machinad on the sandbox expecting it NOT to start: answers its exit
 * status and output (fails if it is still running after the deadline).
 */
export async function daemonStartFailure(sandbox: Sandbox, options: DaemonOptions = {}): Promise<RunResult> {
  const daemon = spawnDaemon(sandbox, options);
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    daemon.child.kill("SIGKILL");
  }, 20_000);
  try {
    const exit = await daemon.exited;
    // A daemon that cannot start must exit by itself, not linger (e.g. kept alive by its Augeas host).
    if (hung) throw new Error(`machinad did not exit after failing to start (killed after 20 s)\n${daemon.describe()}`);
    return { ...exit, stdout: daemon.stdout, stderr: daemon.stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** The environment children get: no MACHINA_* or AUGEAS_* overrides leaking in from the test runner. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("MACHINA_") || k.startsWith("AUGEAS_") || k.startsWith("NODE_TEST") || k === "LISTEN_FDS" || k === "LISTEN_PID") continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (machinad policy check, machina CLI, a daemon expected to fail start-up). */
export function run(file: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ["pipe", "pipe", "pipe"], env: options.env ?? cleanEnv() });
    live.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${path.basename(file)} ${args.join(" ")} did not finish within ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** Runs `machinad ARGS…` to completion. */
export function runMachinad(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(MACHINAD, args, options);
}

/**
 * Runs the `machina` CLI against `sandbox`'s daemon; an answer of `busy` (the
 * previous session's close not yet seen by the daemon) is tried again.
 */
export function runMachina(sandbox: Sandbox, args: string[]): Promise<RunResult> {
  return waitFor(async () => {
    const r = await run(MACHINA, ["--socket", sandbox.socket, "--secret-file", sandbox.secretFile, ...args], { env: cleanEnv() });
    return r.code === 3 && /^machina: busy/.test(r.stderr) ? undefined : r;
  }, "the daemon's session slot to be free");
}
