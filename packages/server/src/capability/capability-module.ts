/**
 * What a capability module is: everything the daemon knows about one feature
 * (augeas, service, package, timezone, command, session) in one place — its
 * policy section (parsing with key and line, defaults, explain lines), the
 * capabilities it grants and their discovery `x-policy`, its runtime
 * (backends), and one entry per method: `targets` for the audit line,
 * `authorise` that turns params into a decision, `run` that only accepts the
 * grant the dispatcher made from that decision, and an optional time limit.
 *
 * The registry (registry.ts) lists the modules; the policy loader, `policy
 * check` / `explain`, discovery, the dispatcher and the tests iterate it. No
 * code outside a module switches on method or namespace names.
 */
import type { Capability, MethodName, ParamsOf, ProgressUpdate, ResultOf } from "@machina/protocol";
import type { PeerCredentials } from "@machina/peercred";
import type { Logger } from "../logger.js";
import type { Handshake } from "../session/handshake.js";
import type { PolicyProblem } from "../policy/policy-errors.js";
import type { PolicyValidator, TomlTable } from "../policy/policy-validator.js";
import type { KeyLineIndex } from "../policy/toml-key-lines.js";
import type { SessionLimits } from "../limits.js";

declare const grantBrand: unique symbol;

/**
 * Permission to run one call, as `authorise` decided it. Only the dispatcher
 * makes grants (from an {@link Allow}), so a `run` cannot be reached without
 * its `authorise` having allowed the call: a missing check is a type error.
 */
export interface Grant<G> {
  readonly [grantBrand]: true;
  /** What authorise resolved (canonical names, resolved nodes, the policy rule). */
  readonly value: G;
}

/** `authorise` allowed the call; `targets` are the resolved names for the audit line. */
export interface Allow<G> {
  readonly allowed: true;
  readonly value: G;
  readonly targets: readonly string[];
}

/** `authorise` refused the call: what was refused and why (the audit line and the client get both). */
export interface Refusal {
  readonly allowed: false;
  readonly target: string;
  readonly reason: string;
  /** The policy file rule consulted, when there was one. */
  readonly file?: string;
}

export type Decision<G> = Allow<G> | Refusal;

export function allow<G>(value: G, targets: readonly string[] = []): Allow<G> {
  return { allowed: true, value, targets };
}

export function refuse(target: string, reason: string, file?: string): Refusal {
  return file === undefined ? { allowed: false, target, reason } : { allowed: false, target, reason, file };
}

/**
 * The connection a call came on, as handlers see it: who the peer is and its
 * handshake — nothing of the transport.
 */
export interface Caller {
  readonly id: number;
  readonly peer: PeerCredentials;
  readonly handshake: Handshake;
  /** Ends the connection once the current reply has been sent. */
  closeAfterThisReply(): void;
  /** Aborted once the peer has closed the connection: work whose answer nobody will read may stop. */
  readonly hungUp: AbortSignal;
  /**
   * A wrong proof: the connection ends once the current reply has been sent,
   * and its place among the connections waiting to authenticate stays taken
   * for `penaltyMs` (the failed-proof throttle, session/auth-throttle.ts).
   */
  failedProof(penaltyMs: number): void;
}

/** Which call this is: its audit line's id and when it started (a save's history entry is keyed by them). */
export interface CallIdentity {
  /** The audit id (audit.ts newAuditId): the `id` of the call's audit line. */
  readonly id: string;
  /** When the dispatcher received the call (ISO 8601, UTC). */
  readonly time: string;
}

/** What `authorise` sees. */
export interface AuthoriseContext<S, R> {
  /** This module's section of the current policy. */
  readonly section: S;
  readonly runtime: R;
  readonly caller: Caller;
  readonly call: CallIdentity;
}

/** What `run` sees. */
export interface RunContext<S, R> extends AuthoriseContext<S, R> {
  /**
   * Reports progress of a long call: a `progress` notification carrying the
   * call's id, sent before the response; a no-op for notifications and once
   * the call has been answered (e.g. after its timeout).
   */
  progress(update: ProgressUpdate): void;
  /** Names the call turned out to touch (e.g. the services a list reported), for the audit line. */
  addTargets(targets: readonly string[]): void;
}

/** One method of a module. */
export interface MethodEntry<M extends MethodName, S, R, G> {
  readonly method: M;
  /** What the call names, for the audit line even when it is refused: paths and resource names, never values. */
  targets(params: ParamsOf<M>): string[];
  /**
   * Decides whether this call may run: a Decision, or a thrown Fault for
   * params that name nothing valid (both mean no grant). Synchronous in
   * every module today; a promise is allowed for one that would have to wait:
   * calls of a session run one at a time, so nothing else changes state
   * between it and `run`.
   */
  authorise(params: ParamsOf<M>, call: AuthoriseContext<S, R>): Decision<G> | Promise<Decision<G>>;
  run(grant: Grant<G>, call: RunContext<S, R>): ResultOf<M> | Promise<ResultOf<M>>;
  /** A time limit other than the daemon's call timeout, in ms (apt, allowlisted commands). */
  timeLimitMs?(grant: G, call: AuthoriseContext<S, R>): number | undefined;
}

/** A method entry with its grant type forgotten, as modules list them. */
export type AnyMethodEntry<S, R> = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [M in MethodName]: MethodEntry<M, S, R, any>;
}[MethodName];

/** One capability a module grants, and how discovery describes it. */
export interface CapabilityRule<S, R> {
  /** True when the policy grants the capability at all (each resource is still checked by authorise). */
  granted(section: S): boolean;
  /** The `x-policy` value of methods needing this capability: what they may touch, in the policy's words. */
  resources(section: S, runtime?: R): unknown;
}

/** What a module's runtime is built from at start-up. */
export interface ModuleStartContext {
  readonly root: string;
  readonly logger: Logger;
  /** The daemon's environment (allowlisted variables come from here). */
  readonly env: NodeJS.ProcessEnv;
  /** The daemon's ordinary call timeout, in ms. */
  readonly callTimeoutMs: number;
  /** The daemon's options, for the modules that have their own (see DaemonOptions). */
  readonly options: ModuleOptions;
  /**
   * The discovery document under the current policy (for rpc.discover): the
   * whole document for an authenticated caller, the method names only before.
   */
  discover(detail: "full" | "names"): Promise<unknown>;
}

/** Daemon options that belong to one module each. */
export interface ModuleOptions {
  serverName: string;
  /** The shared key, or null when the daemon runs without one (insecure, loudly warned). */
  key: Uint8Array | null;
  serviceBackend?: "auto" | "initd" | "systemd";
  initdDir?: string;
  /** supervisord's socket and credentials file, for `[[service]]` entries with `backend = "supervisor"`. */
  supervisorSocket?: string;
  supervisorAuthFile?: string;
  packageTimeoutMs?: number;
  selfPackage?: string;
  /** What one session may make the daemon hold or compute (limits.ts); the defaults when absent. */
  sessionLimits?: SessionLimits;
  /** Where saves keep previous versions of files with `history` on, and their total bound (augeas/history-store.ts). */
  historyDir?: string;
  historyMaxBytes?: number;
}

/** A module's live state: backends, the Augeas host. */
export interface ModuleRuntime<S> {
  /** The policy was loaded (at start-up) or reloaded (SIGHUP). */
  usePolicy?(section: S): void;
  /** A session has authenticated. */
  sessionStarted?(caller: Caller): void;
  /** A session ended (pending state must not survive it). */
  sessionEnded?(): void;
  /** Resolves once what usePolicy or a session start began is done (the daemon listens only after; full discovery waits for it). */
  ready?(): Promise<void>;
  /** The daemon is stopping: cut short, soon, work that can safely be cut (see augeas/host/). */
  stopping?(): void;
  close?(): void;
}

/** Helpers a module's `explain` gets. */
export interface ExplainContext {
  /** --root, for modules that look at files. */
  readonly root: string;
}

/** Where `policy check` reports what it finds on this machine. */
export interface MachineCheckContext {
  readonly root: string;
  readonly lineOf: KeyLineIndex;
  report(problem: PolicyProblem): void;
}

export interface CapabilityModule<Name extends string, S, R> {
  /** The module's name: its policy section's field in `Policy`, its folder, its namespace in the docs. */
  readonly name: Name;
  /** Top-level TOML keys this module's section owns (`augeas`, `service`, …). */
  readonly tomlKeys: readonly string[];
  /**
   * True when the module runs its calls in order itself (the Augeas host
   * answers its requests in order), so a session may start its next call of
   * this module before this one is answered — a pipelining client's calls
   * then travel together. Any other call still waits for all before it.
   */
  readonly pipelined?: boolean;
  /** Reads and validates the module's section (absent keys grant nothing); problems go to the validator. */
  parse(doc: TomlTable, v: PolicyValidator, options: { root?: string }): S;
  /** Lines for `machinad policy explain`, under the module's heading. */
  explain(section: S, ctx: ExplainContext): string[];
  /** `policy check` on this machine (lenses, files under --root …). */
  checkOnThisMachine?(section: S, ctx: MachineCheckContext): void;
  readonly capabilities: { readonly [C in Capability]?: CapabilityRule<S, R> };
  readonly methods: readonly AnyMethodEntry<S, R>[];
  /** Builds the module's runtime; its lifecycle hooks (usePolicy …) are those of ModuleRuntime it has. */
  start(ctx: ModuleStartContext): R & ModuleRuntime<S>;
}

/** Any module, its types forgotten (how the registry and the dispatcher hold them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCapabilityModule = CapabilityModule<string, any, any>;

/**
 * Declares a module's method entries with the section and runtime types fixed,
 * so each entry's grant type flows from its `authorise` into its `run`.
 */
export function methodsOf<S, R>() {
  return <M extends MethodName, G>(entry: MethodEntry<M, S, R, G>): MethodEntry<M, S, R, G> => entry;
}

/** A module with the literal types the registry's compile-time checks read: the methods it handles, the capabilities it grants. */
export type DefinedModule<Name extends string, S, R, E, C> = Omit<CapabilityModule<Name, S, R>, "methods" | "capabilities"> & {
  readonly methods: E;
  readonly capabilities: C;
};

/** Identity that keeps a module's literal types (its name, the methods it handles, the capabilities it grants). */
export function defineModule<
  Name extends string,
  S,
  R,
  const E extends readonly AnyMethodEntry<S, R>[],
  const C extends { readonly [K in Capability]?: CapabilityRule<S, R> },
>(module: Omit<CapabilityModule<Name, S, R>, "methods" | "capabilities"> & { readonly methods: E; readonly capabilities: C }): DefinedModule<Name, S, R, E, C> {
  return module;
}
