/**
 * machinad on another host, reached through OpenSSH: the system's `ssh`
 * forwards a local Unix socket to the daemon's (`ssh -N -L LOCAL:REMOTE`), one
 * ssh process per client, started by `connect({ ssh })` and ended with it.
 *
 * Why the system's ssh rather than an SSH library or a transport of our own:
 * it is the audited implementation the administrator already runs, and its
 * keys, known_hosts, configuration and agent work exactly as they do for a
 * login. See docs/REMOTE.md for the whole arrangement.
 *
 * The local end is a socket ssh creates (mode 0600, `StreamLocalBindMask`) in
 * a directory this process made for it with mkdtemp (0700, ours), below a
 * directory where nobody else can rename it away; so no other user could
 * have put a socket there or can connect to it. That — and not the socket
 * owner check for a daemon's own socket, which a forwarded socket owned by
 * this user would also pass — is why the local end is trusted; the handshake
 * still proves the far end knows the secret.
 */
import type { ChildProcess } from "node:child_process";
import { nodeChildProcess } from "./builtins.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConnectionError } from "./errors.js";

/** How `connect()` reaches a daemon on another host through ssh. */
export interface SshOptions {
  /** The daemon's host as ssh takes it: a name, an address, or a `Host` alias from the ssh configuration. */
  host: string;
  /** The account on that host that ssh logs in as; the daemon sees this user as its peer (name it in `[clients]`). */
  user: string;
  /** sshd's port (default: ssh's, normally 22). */
  port?: number;
  /** The private key to log in with (`-i`, with `IdentitiesOnly=yes`); default: ssh's own choice (its defaults, the agent). */
  identityFile?: string;
  /** The known_hosts file holding the host's key (default: ssh's). Unknown or changed host keys are always refused. */
  knownHostsFile?: string;
  /** Time allowed for ssh to log in and set up the forward, in ms (default 15000). */
  readyTimeoutMs?: number;
}

/** Default time allowed for ssh to log in and set up the forward. */
export const DEFAULT_SSH_READY_TIMEOUT_MS = 15_000;
/** After the local connection ends, how long to wait for ssh to exit before saying the daemon ended it. */
const EXIT_GRACE_MS = 500;
/** Bound on waiting for ssh to exit after SIGTERM, before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;
/** How long ssh's stderr is read after its exit, at most. */
const STDERR_DRAIN_MS = 200;
/** ssh's stderr kept for error messages (its last bytes). */
const STDERR_KEEP = 4096;

// A name ssh could take for an option (`-oProxyCommand=…`) or split is refused before it is passed.
const HOST_PATTERN = /^[A-Za-z0-9_.:%[\]][A-Za-z0-9_.:%[\]-]*$/;
const USER_PATTERN = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$/;
// ssh parses -o values (whitespace splits, quotes) and expands % and ~ in these files' names.
const UNSAFE_FILE_CHARS = /[\s"'\\%]/;
// ssh's -L LOCAL:REMOTE is split at the colon.
const UNSAFE_SOCKET_CHARS = /[\s:"'\\]/;

interface SshExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

const live = new Set<SshTunnel>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A process that ends without closing its clients takes their ssh with it.
  process.once("exit", () => {
    for (const tunnel of live) tunnel.killNow();
  });
}

function usage(message: string): ConnectionError {
  return new ConnectionError(`ssh: ${message}`);
}

function checkedFile(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (value === "" || UNSAFE_FILE_CHARS.test(value)) {
    throw usage(`${what} must be a file name without whitespace, quotes, backslashes or %: ${JSON.stringify(value)}`);
  }
  return path.resolve(value);
}

/**
 * Makes the private directory for the local socket: a fresh mkdtemp directory
 * (0700, this user's) in the temporary directory, which must not let others
 * rename entries (sticky, or writable by its owner only).
 */
function makePrivateDirectory(): { dir: string; stat: fs.Stats } {
  const parent = os.tmpdir();
  const p = fs.statSync(parent);
  if ((p.mode & 0o022) !== 0 && (p.mode & 0o1000) === 0) {
    throw new ConnectionError(`ssh: the temporary directory ${parent} is writable by others and not sticky; set TMPDIR to a private directory`);
  }
  const dir = fs.mkdtempSync(path.join(parent, "machina-ssh-"));
  return { dir, stat: fs.lstatSync(dir) };
}

function describeExit(exit: SshExit): string {
  if (exit.error) {
    const code = (exit.error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "ssh could not be run: no ssh program on PATH (install openssh-client)" : `ssh could not be run: ${exit.error.message}`;
  }
  return exit.signal ? `ssh was killed by ${exit.signal}` : `ssh exited with status ${String(exit.code)}`;
}

/** The last few lines ssh printed, on one line, without control characters. */
function summarise(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.replace(/[\x00-\x1f\x7f]/g, " ").trim())
    .filter((l) => l !== "" && !l.startsWith("Warning: Permanently added"));
  const summary = lines.slice(-3).join("; ");
  return summary.length > 400 ? `…${summary.slice(-400)}` : summary;
}

/** One `ssh -N -L` process and the private directory holding its local socket. */
export class SshTunnel {
  /** The local end: the socket ssh listens on. */
  readonly socketPath: string;
  /** For messages: the remote socket, the account and the host. */
  readonly label: string;
  private readonly child: ChildProcess;
  private readonly dirStat: fs.Stats;
  private stderrText = "";
  /** How much of stderr had been read when the caller last asked for news (see `newOutput`). */
  private stderrMark = 0;
  private stderrTotal = 0;
  private exitValue: SshExit | undefined;
  private readonly exited: Promise<SshExit>;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly dir: string,
    dirStat: fs.Stats,
    private readonly destination: string,
    host: string,
    remoteSocket: string,
    args: string[],
  ) {
    this.dirStat = dirStat;
    this.socketPath = path.join(dir, "machina.sock");
    this.label = `${remoteSocket} on ${destination} (through ssh)`;
    // The secret never reaches ssh: not in its arguments, not in its environment (nothing is added).
    this.child = nodeChildProcess().spawn("ssh", [...args, "-L", `${this.socketPath}:${remoteSocket}`, "--", host], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child.stderr!.setEncoding("utf8").on("data", (s: string) => {
      this.stderrTotal += s.length;
      this.stderrText = (this.stderrText + s).slice(-STDERR_KEEP);
    });
    this.exited = new Promise((resolve) => {
      const done = (exit: SshExit): void => {
        if (this.exitValue) return;
        this.exitValue = exit;
        live.delete(this);
        resolve(exit);
      };
      // After the exit, ssh's last words are read until stderr closes — but not for long: a
      // ProxyCommand from the ssh configuration may hold it open after ssh is gone.
      this.child.once("exit", (code, signal) => {
        const stderr = this.child.stderr!;
        if (stderr.destroyed) return done({ code, signal });
        const timer = setTimeout(() => done({ code, signal }), STDERR_DRAIN_MS);
        stderr.once("close", () => {
          clearTimeout(timer);
          done({ code, signal });
        });
      });
      this.child.once("error", (error) => done({ code: null, signal: null, error }));
    });
    live.add(this);
    installExitHook();
  }

  /**
   * Starts ssh and resolves once its local socket is there (ssh binds and
   * listens on it after logging in), within `readyTimeoutMs`. Rejects with a
   * {@link ConnectionError} naming what failed and what ssh said; nothing is
   * left running or on disk then.
   */
  static async open(options: SshOptions, remoteSocket: string): Promise<SshTunnel> {
    const { host, user } = options;
    if (typeof host !== "string" || !HOST_PATTERN.test(host)) throw usage(`not a host name or address: ${JSON.stringify(host)}`);
    if (typeof user !== "string" || !USER_PATTERN.test(user)) throw usage(`not a user name: ${JSON.stringify(user)}`);
    const port = options.port;
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw usage(`not a port: ${String(port)}`);
    if (!path.isAbsolute(remoteSocket) || UNSAFE_SOCKET_CHARS.test(remoteSocket)) {
      throw usage(`the daemon's socket must be an absolute path without whitespace, colons or quotes: ${JSON.stringify(remoteSocket)}`);
    }
    const identityFile = checkedFile(options.identityFile, "identityFile");
    const knownHostsFile = checkedFile(options.knownHostsFile, "knownHostsFile");
    const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_SSH_READY_TIMEOUT_MS;

    const args = [
      "-N", // no command, no session: a forward only
      "-T",
      "-o", "BatchMode=yes", // never a prompt: no password, passphrase or host key question
      "-o", "StrictHostKeyChecking=yes", // only a host key already in known_hosts
      "-o", "ExitOnForwardFailure=yes",
      "-o", "StreamLocalBindMask=0177",
      "-o", "StreamLocalBindUnlink=yes",
      "-o", "ControlMaster=no", // this process is the tunnel: its exit is the tunnel's end
      "-o", "ControlPath=none",
      "-o", "ForwardAgent=no",
      "-o", "ForwardX11=no",
      "-o", "PermitLocalCommand=no",
      "-o", `ConnectTimeout=${Math.max(1, Math.ceil(readyTimeoutMs / 1000))}`,
      "-o", "ServerAliveInterval=15", // a silent network is noticed within 45 s
      "-o", "ServerAliveCountMax=3",
      ...(identityFile ? ["-i", identityFile, "-o", "IdentitiesOnly=yes"] : []),
      ...(knownHostsFile ? ["-o", `UserKnownHostsFile=${knownHostsFile}`] : []),
      ...(port !== undefined ? ["-p", String(port)] : []),
      "-l", user,
    ];
    const { dir, stat } = makePrivateDirectory();
    if (path.join(dir, "machina.sock").length > MAX_SOCKET_PATH) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new ConnectionError(`ssh: the local socket's path in ${dir} would be too long for a Unix socket; set TMPDIR to a shorter directory`);
    }
    const tunnel = new SshTunnel(dir, stat, `${user}@${host}${port !== undefined ? `:${port}` : ""}`, host, remoteSocket, args);
    try {
      await tunnel.waitUntilReady(readyTimeoutMs);
    } catch (error) {
      await tunnel.close();
      throw error;
    }
    return tunnel;
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let pause = 5;
    for (;;) {
      if (this.exitValue) throw this.failure(`${describeExit(this.exitValue)} before the forward was ready`);
      if (fs.lstatSync(this.socketPath, { throwIfNoEntry: false })?.isSocket()) return;
      if (Date.now() >= deadline) throw this.failure(`the forward was not ready within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, pause)))]);
      clearTimeout(timer);
      pause = Math.min(50, pause * 2);
    }
  }

  private failure(why: string): ConnectionError {
    const said = summarise(this.stderrText);
    return new ConnectionError(`could not open the ssh tunnel to ${this.destination}: ${why}${said ? ` (ssh: ${said})` : ""}`);
  }

  /**
   * Checks, before each connection, that the local socket is still the one ssh
   * made in our directory: the directory is the one mkdtemp made (same inode,
   * 0700, ours) and the socket is ours.
   */
  checkLocalSocket(): void {
    const uid = process.geteuid?.();
    const d = fs.lstatSync(this.dir, { throwIfNoEntry: false });
    if (!d?.isDirectory() || d.ino !== this.dirStat.ino || d.dev !== this.dirStat.dev || d.uid !== uid || (d.mode & 0o077) !== 0) {
      throw new ConnectionError(`refusing the ssh tunnel's socket: its private directory ${this.dir} was replaced or changed`);
    }
    const s = fs.lstatSync(this.socketPath, { throwIfNoEntry: false });
    if (!s?.isSocket() || s.uid !== uid) throw new ConnectionError(`refusing the ssh tunnel's socket ${this.socketPath}: not a socket of this user`);
  }

  /**
   * What ssh printed since the last call, summarised ("" if nothing): the
   * reason a connection through a live tunnel failed, e.g. "channel 2: open
   * failed: connect failed: No such file or directory".
   */
  private newOutput(): string {
    const fresh = Math.min(this.stderrTotal - this.stderrMark, this.stderrText.length);
    this.stderrMark = this.stderrTotal;
    return fresh > 0 ? summarise(this.stderrText.slice(-fresh)) : "";
  }

  /** Marks ssh's output so far as seen, before a new connection through the tunnel. */
  markOutput(): void {
    this.stderrMark = this.stderrTotal;
  }

  /**
   * Why a connection through the tunnel ended, when ssh can tell: ssh exited
   * (the tunnel dropped), or it is alive and said why it closed the channel.
   * Waits briefly for ssh's exit, since the connection's end and the process's
   * exit arrive in either order. Undefined: the daemon ended the connection.
   */
  async explainClose(): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([this.exited, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), EXIT_GRACE_MS)))]);
    clearTimeout(timer);
    if (exit) {
      const said = summarise(this.stderrText);
      return `the ssh tunnel to ${this.destination} ended: ${describeExit(exit)}${said ? ` (ssh: ${said})` : ""}`;
    }
    const said = this.newOutput();
    return said ? `connection to ${this.label} closed (ssh: ${said})` : undefined;
  }

  /** Ends ssh (SIGTERM, SIGKILL if it lingers) and removes the private directory. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.exitValue) {
        this.child.kill("SIGTERM");
        const timer = setTimeout(() => this.child.kill("SIGKILL"), KILL_GRACE_MS);
        await this.exited;
        clearTimeout(timer);
      }
      this.removeDirectory();
    })();
    return this.closing;
  }

  /** At process exit: synchronous, best effort. */
  killNow(): void {
    if (!this.exitValue) this.child.kill("SIGTERM");
    this.removeDirectory();
  }

  private removeDirectory(): void {
    try {
      fs.rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // Best effort: what is left is an empty private directory (or ssh's stale socket) of this user.
    }
  }
}
