/**
 * machinad put together: the listener, the one-session rule, peer filtering,
 * the dispatcher with its handlers, the Augeas workspace, policy reloads and
 * shutdown. `startDaemon` is what `machinad run` calls; tests call it too.
 */
import fs from "node:fs";
import type net from "node:net";
import { createRequire } from "node:module";
import { buildOpenRpcDocument, ERROR_CODES, ERROR_KINDS, METHOD_NAMES, METHODS, type MethodName } from "@machina/protocol";
import { peerCredentials, type PeerCredentials } from "@machina/peercred";
import { openAuditLog, type AuditLog } from "./audit.js";
import { AuthThrottle } from "./auth-throttle.js";
import type { Logger } from "./logger.js";
import { Dispatcher } from "./rpc/dispatcher.js";
import type { HandlerTable } from "./rpc/handler-types.js";
import { Session } from "./transport/session.js";
import { listen, type Listener } from "./transport/listener.js";
import { sessionHandlers } from "./handlers/session.js";
import { augeasHandlers } from "./handlers/augeas.js";
import { serviceHandlers } from "./handlers/service.js";
import { createServiceBackend, type ServiceBackendChoice } from "./service/select-backend.js";
import type { ServiceBackend } from "./service/service-backend.js";
import { packageHandlers } from "./handlers/package.js";
import { systemHandlers } from "./handlers/system.js";
import { commandHandlers } from "./handlers/command.js";
import { AptBackend } from "./packages/apt-backend.js";
import { chooseTimezoneBackend } from "./timezone/choose-timezone-backend.js";
import { callTimeoutFor, DEFAULT_PACKAGE_TIMEOUT_MS, DEFAULT_SELF_PACKAGE } from "./packages/long-call-limits.js";
import { AugeasWorkspace } from "./augeas/workspace.js";
import { scanDefaultLenses } from "./augeas/lens-scan.js";
import { lensDirectoryProblems, scrubAugeasEnvironment } from "./augeas/lens-directories.js";
import { loadPolicy } from "./policy/load-policy.js";
import type { Policy } from "./policy/policy-types.js";
import { PolicyEngine } from "./policy/authorise.js";
import { clientAllowed } from "./policy/clients.js";
import { policyResources } from "./policy/discovery.js";
import { capabilityGranted } from "./policy/capabilities.js";

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
  private engine!: PolicyEngine;
  private workspace!: AugeasWorkspace;
  private current: Session | undefined;
  private nextId = 1;
  private stopping: Promise<void> | undefined;
  private readonly throttle = new AuthThrottle();
  private readonly audit: AuditLog;
  private readonly dispatcher: Dispatcher;
  private readonly services: ServiceBackend;
  private listener!: Listener;
  private resolveDone!: () => void;
  /** Resolves when the daemon has stopped (signal, --once, or stop()). */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  constructor(private readonly options: DaemonOptions) {
    scrubAugeasEnvironment();
    const unsafe = lensDirectoryProblems();
    if (unsafe.length) throw new Error(`refusing to start: ${unsafe.join("; ")}`);
    this.audit = openAuditLog(options.auditLogFile);
    this.applyPolicy(loadPolicy(options.policyFile, { root: options.root }));
    this.services = createServiceBackend({
      choice: options.serviceBackend ?? "auto",
      ...(options.initdDir ? { initdDir: options.initdDir } : {}),
      timeoutMs: options.callTimeoutMs ?? 60_000,
      logger: options.logger,
      env: options.env ?? process.env,
    });
    const handlers: HandlerTable = {
      ...sessionHandlers({
        serverName: SERVER_NAME,
        key: options.key,
        throttle: this.throttle,
        logger: options.logger,
        onAuthenticated: (id) => {
          options.logger.info(`session ${id}: authenticated`);
          this.workspace.reset();
        },
        discover: () => this.discoveryDocument(),
      }),
      ...augeasHandlers({ workspace: () => this.workspace, engine: () => this.engine }),
      ...serviceHandlers({ backend: () => this.services, policy: () => this.policy }),
      ...packageHandlers({
        apt: new AptBackend({
          timeoutMs: options.packageTimeoutMs ?? DEFAULT_PACKAGE_TIMEOUT_MS,
          selfPackage: options.selfPackage ?? DEFAULT_SELF_PACKAGE,
          logger: options.logger,
        }),
        policy: () => this.policy,
      }),
      ...systemHandlers({ timezone: chooseTimezoneBackend(options.root, options.logger) }),
      ...commandHandlers({ policy: () => this.policy, logger: options.logger, env: options.env ?? process.env }),
    };
    this.dispatcher = new Dispatcher({
      handlers,
      logger: options.logger,
      audit: this.audit,
      callTimeoutMs: options.callTimeoutMs ?? 60_000,
      granted: (m) => capabilityGranted(this.policy, METHODS[m].capability),
      timeoutFor: (m, params) => callTimeoutFor(m, params, this.policy, options.packageTimeoutMs ?? DEFAULT_PACKAGE_TIMEOUT_MS),
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
      this.current.fail("policy-denied", "the daemon's policy changed; reconnect");
    }
    this.workspace.close();
    this.applyPolicy(next);
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
      this.workspace.close();
      this.services.close();
      this.audit.close();
      this.options.logger.info("stopped");
      this.resolveDone();
    })();
    return this.stopping;
  }

  private applyPolicy(policy: Policy): void {
    const unnamed = policy.files.filter((f) => !f.lens).map((f) => f.path);
    const lenses = scanDefaultLenses(unnamed).lenses;
    this.policy = policy;
    this.engine = new PolicyEngine(policy);
    this.workspace = new AugeasWorkspace(this.options.root, policy, lenses, this.options.logger);
    for (const f of this.workspace.describeFiles()) {
      if (f.problem) this.options.logger.warn(`${f.rule.path}: ${f.problem}`);
      else this.options.logger.debug(`${f.rule.path}: loaded with ${f.lens}`);
    }
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
      socket.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: ERROR_CODES[kind], message, data: { kind } } }) + "\n");
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
      maxLineBytes: this.options.maxLineBytes ?? 1024 * 1024,
      authTimeoutMs: this.options.authTimeoutMs ?? 5000,
      onClose: (s) => this.sessionEnded(s),
    });
    this.current = session;
    logger.info(`session ${session.id}: connection from pid ${peer.pid} uid ${peer.uid} gid ${peer.gid}`);
  }

  private sessionEnded(session: Session): void {
    if (this.current !== session) return;
    // Nothing pending survives a session.
    try {
      this.workspace.reset();
    } catch (e) {
      this.options.logger.error("could not reset the Augeas tree after a session", e);
    }
    this.current = undefined;
    this.options.logger.info(`session ${session.id}: ended`);
    if (this.options.once) void this.stop();
  }

  private auditRefusal(peer: PeerCredentials, outcome: string, reason: string): void {
    this.audit.write({ session: 0, peer: { pid: peer.pid, uid: peer.uid, gid: peer.gid }, method: "(connect)", targets: [], decision: "deny", outcome, durationMs: 0, reason });
  }

  private discoveryDocument() {
    const allowed = METHOD_NAMES.filter((m: MethodName) => capabilityGranted(this.policy, METHODS[m].capability));
    const errors: Record<string, { code: number; message: string }> = {};
    for (const k of ERROR_KINDS) errors[k] = { code: ERROR_CODES[k], message: k };
    return buildOpenRpcDocument({
      serverVersion: pkg.version,
      allowed,
      policyFor: (m) => policyResources(this.policy, METHODS[m].capability, this.workspace.describeFiles()),
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
