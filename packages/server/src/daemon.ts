/**
 * machinad put together: the listener, the one-session rule, peer filtering,
 * the dispatcher with its handlers, the Augeas workspace, policy reloads and
 * shutdown. `startDaemon` is what `machinad run` calls; tests call it too.
 */
import fs from "node:fs";
import type net from "node:net";
import { createRequire } from "node:module";
import { buildOpenRpcDocument, buildOpenRpcNameList, ERROR_CODES, ERROR_KINDS, METHODS, type MethodName } from "@machina/protocol";
import { peerCredentials, type PeerCredentials } from "@machina/peercred";
import { openAuditLog, type AuditLog } from "./audit.js";
import type { Logger } from "./logger.js";
import { Dispatcher } from "./rpc/dispatcher.js";
import { wireError } from "./rpc/wire-errors.js";
import { Session } from "./transport/session.js";
import { listen, type Listener } from "./transport/listener.js";
import type { ServiceBackendChoice } from "./service/select-backend.js";
import { lensDirectoryProblems, scrubAugeasEnvironment } from "./augeas/lens-directories.js";
import { loadPolicy } from "./policy/load-policy.js";
import type { Policy } from "./policy/policy-types.js";
import { clientAllowed } from "./policy/clients.js";
import { MODULES, moduleIndex, type MethodBinding, type ModuleName, type ModuleRuntimes } from "./capability/registry.js";
import type { ModuleRuntime } from "./capability/capability-module.js";
import { DEFAULT_AUTH_TIMEOUT_MS, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_MAX_LINE_BYTES } from "./limits.js";

const pkg = createRequire(import.meta.url)("../package.json") as { version: string };
export const SERVER_NAME = `machinad/${pkg.version}`;

export interface DaemonOptions {
  socketPath: string;
  policyFile: string;
  /** The shared key; null runs without authentication (insecure, loudly warned). */
  key: Uint8Array | null;
  root: string;
  user?: string;
  group?: string;
  pidFile?: string;
  once?: boolean;
  auditLogFile?: string;
  logger: Logger;
  authTimeoutMs?: number;
  callTimeoutMs?: number;
  maxLineBytes?: number;
  env?: NodeJS.ProcessEnv;
  /** Service backend: `auto` (systemd when /run/systemd/system exists, else init scripts), `initd` or `systemd`. */
  serviceBackend?: ServiceBackendChoice;
  /** The init script directory (default /etc/init.d; tests use their own). */
  initdDir?: string;
  /** Time limit of one apt-get install/remove/update (default 30 minutes). */
  packageTimeoutMs?: number;
  /** machinad's own Debian package, which calls may never remove or upgrade (default `machina`). */
  selfPackage?: string;
}

export class Daemon {
  private policy!: Policy;
  private current: Session | undefined;
  private nextId = 1;
  private stopping: Promise<void> | undefined;
  private readonly audit: AuditLog;
  private readonly bindings: ReadonlyMap<MethodName, MethodBinding>;
  private readonly runtimes: ModuleRuntimes;
  private readonly dispatcher: Dispatcher;
  private listener!: Listener;
  private resolveDone!: () => void;
  /** Resolves when the daemon has stopped (signal, --once, or stop()). */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  constructor(private readonly options: DaemonOptions) {
    scrubAugeasEnvironment();
    const unsafe = lensDirectoryProblems();
    if (unsafe.length) throw new Error(`refusing to start: ${unsafe.join("; ")}`);
    this.bindings = moduleIndex();
    this.audit = openAuditLog(options.auditLogFile);
    this.policy = loadPolicy(options.policyFile, { root: options.root });
    const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const runtimes: Record<string, unknown> = {};
    for (const m of MODULES) {
      runtimes[m.name] = m.start({
        root: options.root,
        logger: options.logger,
        env: options.env ?? process.env,
        callTimeoutMs,
        options: {
          serverName: SERVER_NAME,
          key: options.key,
          ...(options.serviceBackend ? { serviceBackend: options.serviceBackend } : {}),
          ...(options.initdDir ? { initdDir: options.initdDir } : {}),
          ...(options.packageTimeoutMs !== undefined ? { packageTimeoutMs: options.packageTimeoutMs } : {}),
          ...(options.selfPackage ? { selfPackage: options.selfPackage } : {}),
        },
        discover: (detail) => this.discoveryDocument(detail),
      });
    }
    this.runtimes = runtimes as ModuleRuntimes;
    this.usePolicy(this.policy);
    this.dispatcher = new Dispatcher({
      bindings: this.bindings,
      section: (name) => this.policy[name as ModuleName],
      runtime: (name) => this.runtimes[name as ModuleName],
      logger: options.logger,
      audit: this.audit,
      callTimeoutMs,
    });
  }

  /** Starts listening. */
  async start(): Promise<void> {
    const o = this.options;
    this.listener = await listen({ socketPath: o.socketPath, ...(o.user ? { user: o.user } : {}), ...(o.group ? { group: o.group } : {}), ...(o.env ? { env: o.env } : {}) });
    this.listener.server.on("connection", (socket) => this.accept(socket));
    if (o.pidFile) fs.writeFileSync(o.pidFile, `${process.pid}\n`, { mode: 0o644 });
    o.logger.info(`listening on ${this.listener.describe} (policy ${o.policyFile}, root ${o.root})`);
    if (!o.key) o.logger.warn("RUNNING WITHOUT A SECRET (--insecure-no-secret): any allowed local user can act as the client");
  }

  /**
   * SIGHUP: reopen the audit log (for logrotate) and load the policy again; an
   * invalid policy keeps the old one and says why.
   */
  reloadPolicy(): boolean {
    try {
      this.audit.reopen();
    } catch (e) {
      this.options.logger.error(`cannot reopen the audit log; still writing to the old one: ${(e as Error).message}`);
    }
    let next: Policy;
    try {
      next = loadPolicy(this.options.policyFile, { root: this.options.root });
    } catch (e) {
      this.options.logger.error(`policy reload failed; keeping the current policy: ${(e as Error).message}`);
      return false;
    }
    if (this.current) {
      this.options.logger.info(`policy reloaded; ending session ${this.current.id} so the new policy applies to the next one`);
      this.current.fail("policy-denied", "the daemon's policy changed; reconnect", { reason: "the policy was reloaded" });
    }
    this.policy = next;
    this.usePolicy(next);
    this.options.logger.info(`policy reloaded from ${this.options.policyFile}`);
    return true;
  }

  /** Stops accepting, lets the call in progress finish, closes, removes the socket. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.listener?.server.close();
      if (this.current) await this.current.drainAndClose();
      if (this.listener?.ownedPath) fs.rmSync(this.listener.ownedPath, { force: true });
      if (this.options.pidFile) fs.rmSync(this.options.pidFile, { force: true });
      for (const rt of this.moduleRuntimes()) rt.close?.();
      this.audit.close();
      this.options.logger.info("stopped");
      this.resolveDone();
    })();
    return this.stopping;
  }

  private moduleRuntimes(): ModuleRuntime<unknown>[] {
    return MODULES.map((m) => this.runtimes[m.name] as ModuleRuntime<unknown>);
  }

  private usePolicy(policy: Policy): void {
    for (const m of MODULES) (this.runtimes[m.name] as ModuleRuntime<unknown>).usePolicy?.(policy[m.name]);
  }

  private accept(socket: net.Socket): void {
    const logger = this.options.logger;
    let peer: PeerCredentials;
    try {
      peer = peerCredentials(socket);
    } catch (e) {
      logger.warn(`refusing a connection whose peer credentials cannot be read: ${(e as Error).message}`);
      socket.destroy();
      return;
    }
    const refuse = (kind: "policy-denied" | "busy", message: string) => {
      socket.on("error", () => undefined);
      const error = kind === "busy" ? wireError("busy", message, {}) : wireError("policy-denied", message, { reason: "the policy's [clients] do not name this user" });
      socket.end(JSON.stringify({ jsonrpc: "2.0", id: null, error }) + "\n");
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    // Peers are filtered before anything else happens.
    if (!clientAllowed(this.policy, peer)) {
      logger.warn(`refused connection from pid ${peer.pid} uid ${peer.uid} gid ${peer.gid}: not a client the policy allows`);
      this.auditRefusal(peer, "policy-denied", "peer not allowed by [clients]");
      refuse("policy-denied", "this user may not connect to machinad");
      return;
    }
    if (this.current || this.stopping) {
      logger.info(`refused connection from pid ${peer.pid} uid ${peer.uid}: busy`);
      this.auditRefusal(peer, "busy", "another session is active");
      refuse("busy", "another client is connected; machinad serves one session at a time");
      return;
    }
    const session = new Session({
      id: this.nextId++,
      socket,
      peer,
      dispatcher: this.dispatcher,
      logger,
      maxLineBytes: this.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      authTimeoutMs: this.options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS,
      onAuthenticated: (s) => {
        logger.info(`session ${s.id}: authenticated`);
        for (const rt of this.moduleRuntimes()) rt.sessionStarted?.(s);
      },
      onClose: (s) => this.sessionEnded(s),
    });
    this.current = session;
    logger.info(`session ${session.id}: connection from pid ${peer.pid} uid ${peer.uid} gid ${peer.gid}`);
  }

  private sessionEnded(session: Session): void {
    if (this.current !== session) return;
    // Nothing pending survives a session.
    for (const rt of this.moduleRuntimes()) {
      try {
        rt.sessionEnded?.();
      } catch (e) {
        this.options.logger.error("could not clear a session's pending state", e);
      }
    }
    this.current = undefined;
    this.options.logger.info(`session ${session.id}: ended`);
    if (this.options.once) void this.stop();
  }

  private auditRefusal(peer: PeerCredentials, outcome: string, reason: string): void {
    this.audit.write({ session: 0, peer: { pid: peer.pid, uid: peer.uid, gid: peer.gid }, method: "(connect)", targets: [], decision: "deny", outcome, durationMs: 0, reason });
  }

  /**
   * The OpenRPC document: the methods whose capability the current policy
   * grants, with each one's `x-policy` ("full"), or their names only ("names",
   * before authentication).
   */
  private discoveryDocument(detail: "full" | "names") {
    const granted = (m: MethodName) => {
      const b = this.bindings.get(m)!;
      return b.capability.granted(this.policy[b.module.name as ModuleName]);
    };
    const allowed = (Object.keys(METHODS) as MethodName[]).filter(granted);
    if (detail === "names") return buildOpenRpcNameList({ serverVersion: pkg.version, allowed });
    const errors: Record<string, { code: number; message: string }> = {};
    for (const k of ERROR_KINDS) errors[k] = { code: ERROR_CODES[k], message: k };
    return buildOpenRpcDocument({
      serverVersion: pkg.version,
      allowed,
      policyFor: (m) => {
        const b = this.bindings.get(m)!;
        const name = b.module.name as ModuleName;
        return b.capability.resources(this.policy[name], this.runtimes[name]);
      },
      errors,
    });
  }
}

/** Creates and starts a daemon. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const daemon = new Daemon(options);
  await daemon.start();
  return daemon;
}
