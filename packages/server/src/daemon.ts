/**
 * machinad put together: the listener, peer filtering, the connections
 * waiting to authenticate, the one-session rule (the slot is taken at
 * successful authentication), rate-limited refusal lines, the dispatcher with
 * its handlers, policy reloads and shutdown. `startDaemon` is what `machinad
 * run` calls; tests call it too.
 */
import fs from "node:fs";
import type net from "node:net";
import { buildOpenRpcDocument, buildOpenRpcNameList, ERROR_CODES, ERROR_KINDS, METHODS, type MethodName } from "@machina/protocol";
import { peerCredentials, type PeerCredentials } from "@machina/peercred";
import { newAuditId, openAuditLog, type AuditLog } from "./audit.js";
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
import {
  DEFAULT_AUTH_TIMEOUT_MS,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_MAX_PENDING,
  DEFAULT_MAX_PENDING_PER_UID,
  DEFAULT_REFUSAL_LOG_LIMIT,
  DEFAULT_SESSION_LIMITS,
  type SessionLimits,
} from "./limits.js";
import { PendingConnections, type PendingPlace } from "./transport/pending.js";
import { RefusalLog } from "./refusal-log.js";
import { VERSION } from "./version.js";

export const SERVER_NAME = `machinad/${VERSION}`;

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
  /** Connections that may wait to authenticate at once (default 16; transport/pending.ts). */
  maxPending?: number;
  /** Connections of one peer uid that may wait to authenticate at once (default 8). */
  maxPendingPerUid?: number;
  /** Refusal log and audit lines written one by one per reason and 10 s (default 20; refusal-log.ts). */
  refusalLogLimit?: number;
  /** What one session may make the daemon hold or compute (limits.ts); each field defaults separately. */
  sessionLimits?: Partial<SessionLimits>;
  /** Requests in one JSON-RPC batch (default 256). */
  maxBatch?: number;
  /** Requests read but not yet answered before the daemon stops reading a connection (default 64). */
  maxInFlight?: number;
  env?: NodeJS.ProcessEnv;
  /** Service backend: `auto` (systemd when /run/systemd/system exists, else init scripts), `initd` or `systemd`. */
  serviceBackend?: ServiceBackendChoice;
  /** The init script directory (default /etc/init.d; tests use their own). */
  initdDir?: string;
  /** supervisord's XML-RPC socket (default /var/run/supervisor.sock) and a root-only file of USERNAME:PASSWORD for it. */
  supervisorSocket?: string;
  supervisorAuthFile?: string;
  /** Time limit of one apt-get install/remove/update (default 30 minutes). */
  packageTimeoutMs?: number;
  /** machinad's own Debian package, which calls may never remove or upgrade (default `machina`). */
  selfPackage?: string;
  /** Where saves of files with `history` on keep previous versions (default /var/lib/machina/history), and their total bound (default 64 MiB). */
  historyDir?: string;
  historyMaxBytes?: number;
  /**
   * Under socket activation, stop after this long without any connection
   * (systemd keeps listening and starts the daemon again on the next one).
   * Ignored, with a warning, when the daemon made its own socket. Default: never.
   */
  exitIdleMs?: number;
}

/** Most refused sockets left open at once for their peer to read the reason (see Daemon.refuse). */
const MAX_LINGERING = 256;

export class Daemon {
  private policy!: Policy;
  /** The authenticated session: the one slot. */
  private current: Session | undefined;
  /** Every open connection (the session and those waiting to authenticate) and its place among the waiting. */
  private readonly connections = new Map<Session, PendingPlace>();
  private readonly pending: PendingConnections;
  private readonly refusals: RefusalLog;
  private nextId = 1;
  /** Refused sockets waiting for their peer to hang up (see refuse()). */
  private lingering = 0;
  private stopping: Promise<void> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
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
    this.refusals = new RefusalLog({ logger: options.logger, audit: this.audit }, options.refusalLogLimit ?? DEFAULT_REFUSAL_LOG_LIMIT);
    this.pending = new PendingConnections({
      maxPending: options.maxPending ?? DEFAULT_MAX_PENDING,
      maxPendingPerUid: options.maxPendingPerUid ?? Math.min(DEFAULT_MAX_PENDING_PER_UID, options.maxPending ?? DEFAULT_MAX_PENDING),
    });
    const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    // The modules start before the policy is read: the Augeas host process
    // boots while this one parses and checks the policy (most of a cold start).
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
          ...(options.supervisorSocket ? { supervisorSocket: options.supervisorSocket } : {}),
          ...(options.supervisorAuthFile ? { supervisorAuthFile: options.supervisorAuthFile } : {}),
          ...(options.packageTimeoutMs !== undefined ? { packageTimeoutMs: options.packageTimeoutMs } : {}),
          ...(options.selfPackage ? { selfPackage: options.selfPackage } : {}),
          ...(options.historyDir ? { historyDir: options.historyDir } : {}),
          ...(options.historyMaxBytes !== undefined ? { historyMaxBytes: options.historyMaxBytes } : {}),
          sessionLimits: { ...DEFAULT_SESSION_LIMITS, ...options.sessionLimits },
        },
        // The full document describes the files as loaded for this session: wait for that load.
        discover: async (detail) => {
          if (detail === "full") await this.runtimesReady();
          return this.discoveryDocument(detail);
        },
      });
    }
    this.runtimes = runtimes as ModuleRuntimes;
    try {
      this.policy = loadPolicy(options.policyFile, { root: options.root });
    } catch (e) {
      this.abandon();
      throw e;
    }
    this.usePolicy(this.policy);
    this.dispatcher = new Dispatcher({
      bindings: this.bindings,
      section: (name) => this.policy[name as ModuleName],
      runtime: (name) => this.runtimes[name as ModuleName],
      logger: options.logger,
      audit: this.audit,
      refusals: this.refusals,
      callTimeoutMs,
    });
  }

  /** Starts listening. */
  async start(): Promise<void> {
    const o = this.options;
    // Ready means ready: the Augeas host has loaded the policy's files (and
    // removed the temporary files of interrupted saves). Listening sooner would
    // overlap only a client's handshake (~2 ms) with that load, and announce a
    // daemon whose first call still waits.
    await this.runtimesReady();
    this.listener = await listen({ socketPath: o.socketPath, ...(o.user ? { user: o.user } : {}), ...(o.group ? { group: o.group } : {}), ...(o.env ? { env: o.env } : {}) });
    this.listener.server.on("connection", (socket) => this.accept(socket));
    if (o.pidFile) fs.writeFileSync(o.pidFile, `${process.pid}\n`, { mode: 0o644 });
    o.logger.info(`listening on ${this.listener.describe} (policy ${o.policyFile}, root ${o.root})`);
    if (!o.key) o.logger.warn("RUNNING WITHOUT A SECRET (--insecure-no-secret): any allowed local user can act as the client");
    if (o.exitIdleMs !== undefined && !this.listener.activated) {
      o.logger.warn("--exit-idle ignored: the daemon is not socket-activated, so nothing would start it again");
    }
    this.armIdleExit();
  }

  /** (Re)starts the idle countdown: called at start and whenever the last connection closes. */
  private armIdleExit(): void {
    const ms = this.options.exitIdleMs;
    if (ms === undefined || !this.listener.activated || this.stopping) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.connections.size > 0 || this.stopping) return;
      this.options.logger.info(`no connection for ${ms / 1000} s: exiting (the socket stays open; the next connection starts machinad again)`);
      void this.stop();
    }, ms);
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
    // Connections still waiting to authenticate were admitted by the old [clients].
    for (const s of this.connections.keys()) {
      if (s !== this.current && !clientAllowed(next, s.peer)) {
        s.fail("policy-denied", "this user may not connect to machinad", { reason: "the policy's [clients] do not name this user" });
      }
    }
    this.policy = next;
    this.usePolicy(next);
    this.options.logger.info(`policy reloaded from ${this.options.policyFile}`);
    return true;
  }

  /** Stops accepting, lets the call in progress finish, closes, removes the socket. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.idleTimer);
      this.listener?.server.close();
      for (const rt of this.moduleRuntimes()) rt.stopping?.();
      for (const s of this.connections.keys()) if (s !== this.current) s.end();
      if (this.current) await this.current.drainAndClose();
      this.pending.clear();
      if (this.listener?.ownedPath) fs.rmSync(this.listener.ownedPath, { force: true });
      if (this.options.pidFile) fs.rmSync(this.options.pidFile, { force: true });
      for (const rt of this.moduleRuntimes()) rt.close?.();
      this.refusals.flush();
      this.audit.close();
      this.options.logger.info("stopped");
      this.resolveDone();
    })();
    return this.stopping;
  }

  /** Start-up failed (a bad policy, a socket it cannot listen on): closes what the constructor opened. */
  abandon(): void {
    for (const rt of this.moduleRuntimes()) rt.close?.();
    this.audit.close();
  }

  private async runtimesReady(): Promise<void> {
    await Promise.all(this.moduleRuntimes().flatMap((rt) => (rt.ready ? [rt.ready()] : [])));
  }

  private moduleRuntimes(): ModuleRuntime<unknown>[] {
    return MODULES.map((m) => this.runtimes[m.name] as ModuleRuntime<unknown>);
  }

  private usePolicy(policy: Policy): void {
    for (const m of MODULES) (this.runtimes[m.name] as ModuleRuntime<unknown>).usePolicy?.(policy[m.name]);
  }

  /**
   * A new connection: peer credentials, then [clients], then a place among
   * the connections waiting to authenticate (pending.ts). Nothing is read
   * from a refused peer; its refusal is one line, answered and closed at once,
   * and logged and audited within the refusal log's rate limit.
   */
  private accept(socket: net.Socket): void {
    const logger = this.options.logger;
    let peer: PeerCredentials;
    try {
      peer = peerCredentials(socket);
    } catch (e) {
      socket.destroy();
      this.refusals.record({
        reason: "connect: unreadable peer credentials",
        peer: { pid: 0, uid: -1, gid: -1 },
        log: { level: "warn", message: `refusing a connection whose peer credentials cannot be read: ${(e as Error).message}` },
        summary: (count, _uid, seconds) => `refused ${count} more connections whose peer credentials could not be read in the last ${seconds} s`,
      });
      return;
    }
    if (this.stopping) {
      return this.refuse(socket, peer, "busy", "machinad is stopping", "connect: stopping", "the daemon is stopping");
    }
    // Peers are filtered before anything else happens.
    if (!clientAllowed(this.policy, peer)) {
      return this.refuse(socket, peer, "policy-denied", "this user may not connect to machinad", "connect: not in [clients]", "not a client the policy allows");
    }
    const id = this.nextId++;
    clearTimeout(this.idleTimer);
    let session: Session | undefined;
    const admission = this.pending.admit(peer, (message) => session?.fail("busy", message, {}));
    if (!admission.admitted) {
      return this.refuse(socket, peer, "busy", admission.message, "connect: too many waiting to authenticate", "too many connections waiting to authenticate");
    }
    if (admission.evicted) {
      const { pid, uid } = admission.evicted;
      this.refusals.record({
        reason: "connect: evicted a waiting connection",
        peer,
        log: { level: "info", message: `connection ${id} from pid ${peer.pid} uid ${peer.uid} took the place of a connection of pid ${pid} uid ${uid}, which held more places` },
        summary: (count, u, seconds) => `${count} more connections from uid ${u} took the place of a waiting connection of a process that held more places in the last ${seconds} s`,
      });
    }
    session = new Session({
      id,
      socket,
      peer,
      dispatcher: this.dispatcher,
      logger,
      maxLineBytes: this.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      authTimeoutMs: this.options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS,
      ...(this.options.maxBatch !== undefined ? { maxBatch: this.options.maxBatch } : {}),
      ...(this.options.maxInFlight !== undefined ? { maxInFlight: this.options.maxInFlight } : {}),
      claim: (s) => this.claim(s),
      beforeAnswers: () => this.audit.flush(),
      onAuthenticated: (s) => {
        const p = s.peer;
        logger.info(`session ${s.id}: connection from pid ${p.pid} uid ${p.uid} gid ${p.gid} authenticated`);
        for (const rt of this.moduleRuntimes()) rt.sessionStarted?.(s);
      },
      onFailedProof: (s, penaltyMs) => this.failedProof(s, penaltyMs),
      onClose: (s) => this.closed(s),
    });
    this.connections.set(session, admission.place);
    logger.debug(`connection ${id} from pid ${peer.pid} uid ${peer.uid} gid ${peer.gid}: waiting to authenticate (${this.pending.size} of ${this.pending.limits.maxPending} places taken)`);
  }

  /**
   * Answers a refused connection with one unsolicited error and closes it,
   * and records the refusal. The socket lingers until the peer hangs up (what
   * it sends is read and dropped, so its close is seen at once) — a peer that
   * wrote its hello before reading would otherwise get EPIPE instead of the
   * reason — but for at most 1 s, and only while fewer than MAX_LINGERING do:
   * beyond that (a flood of peers that never hang up) it is closed as soon as
   * the answer is written.
   */
  private refuse(socket: net.Socket, peer: PeerCredentials, kind: "policy-denied" | "busy", message: string, reason: string, why: string): void {
    socket.on("error", () => undefined);
    const error = kind === "busy" ? wireError("busy", message, {}) : wireError("policy-denied", message, { reason: "the policy's [clients] do not name this user" });
    const line = JSON.stringify({ jsonrpc: "2.0", id: null, error }) + "\n";
    if (this.lingering >= MAX_LINGERING) {
      socket.end(line, () => socket.destroy());
    } else {
      this.lingering++;
      socket.once("close", () => this.lingering--);
      socket.on("data", () => undefined);
      socket.resume();
      socket.end(line);
      setTimeout(() => socket.destroy(), 1000).unref();
    }
    this.refusals.record({
      reason,
      peer,
      log: { level: kind === "busy" ? "info" : "warn", message: `refused connection from pid ${peer.pid} uid ${peer.uid} gid ${peer.gid}: ${why}` },
      audit: { id: newAuditId(0), session: 0, peer: { pid: peer.pid, uid: peer.uid, gid: peer.gid }, method: "(connect)", targets: [], decision: "deny", outcome: kind, durationMs: 0, reason: why },
      summary: (count, uid, seconds) => `refused ${count} more connections from uid ${uid} in the last ${seconds} s: ${why}`,
    });
  }

  /** A connection proved the key: it takes the session slot, unless another session holds it. */
  private claim(session: Session): boolean {
    if (this.current || this.stopping) {
      const p = session.peer;
      const holder = this.current ? `session ${this.current.id} is active` : "the daemon is stopping";
      this.refusals.record({
        reason: "authenticated: busy",
        peer: p,
        log: { level: "info", message: `connection ${session.id} from pid ${p.pid} uid ${p.uid} gid ${p.gid} authenticated, but ${holder}: busy` },
        summary: (count, uid, seconds) => `${count} more connections from uid ${uid} authenticated while another session was active in the last ${seconds} s: busy`,
      });
      return false;
    }
    this.current = session;
    const place = this.connections.get(session);
    if (place) this.pending.release(place);
    return true;
  }

  /** A wrong proof: the connection's place stays taken for the penalty. */
  private failedProof(session: Session, penaltyMs: number): void {
    const place = this.connections.get(session);
    if (place) this.pending.hold(place, penaltyMs);
    const p = session.peer;
    this.refusals.record({
      reason: "wrong proof",
      peer: p,
      log: { level: "warn", message: `connection ${session.id}: authentication failed (pid ${p.pid}, uid ${p.uid}, gid ${p.gid}); its place is held for ${penaltyMs} ms` },
      summary: (count, uid, seconds) => `${count} more wrong proofs from uid ${uid} in the last ${seconds} s`,
    });
  }

  private closed(session: Session): void {
    const place = this.connections.get(session);
    this.connections.delete(session);
    if (this.connections.size === 0) this.armIdleExit();
    if (this.current === session) return this.sessionEnded(session);
    if (place) this.pending.release(place);
    this.options.logger.debug(`connection ${session.id}: closed without a session`);
  }

  private sessionEnded(session: Session): void {
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
    if (detail === "names") return buildOpenRpcNameList({ serverVersion: VERSION, allowed });
    const errors: Record<string, { code: number; message: string }> = {};
    for (const k of ERROR_KINDS) errors[k] = { code: ERROR_CODES[k], message: k };
    return buildOpenRpcDocument({
      serverVersion: VERSION,
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
  try {
    await daemon.start();
  } catch (e) {
    // The modules started in the constructor (the Augeas host process): end them, or they keep
    // a daemon that could not listen alive.
    daemon.abandon();
    throw e;
  }
  return daemon;
}
