/**
 * Which backend a client's service name goes to, when the daemon has several:
 * its own (`--service-backend`: init scripts or systemd) for entries that name
 * none, and supervisord for entries with `backend = "supervisor"`.
 *
 * The entries decide, never the client: a name is checked against each
 * backend's name rules (one it is not valid for cannot be meant there), in that
 * backend's canonical form, against that backend's entries. Exactly one
 * backend's entries may match it. A name that entries of two backends match
 * (`web` as an init script and as a supervisord program) is refused on every
 * call — picking one would act on a service the reviewer may not have meant —
 * and `policy check` refuses every such overlap it can see: an exact name of
 * one backend that an entry of another matches. Only two patterns of
 * different backends can still overlap (whether two regular expressions share
 * a word is not something to decide at load); those names are refused when
 * called and listed without actions.
 */
import type { ServiceAction, ServiceStatus } from "@machina/protocol";
import { Fault } from "../faults.js";
import type { PolicyValidator } from "../policy/policy-validator.js";
import { DEFAULT_RELOAD_SIGNAL, type ConfigTest } from "./service-entry-options.js";
import type { ServiceBackend, ServiceBackendKind } from "./service-backend.js";
import { initScriptName, systemdUnitName } from "./service-name.js";
import { ServiceRules, type CanonicalName } from "./service-rules.js";
import type { ServiceRule } from "./service-section.js";
import { supervisorProcessName } from "./supervisor-name.js";

/** The backends of a running daemon: its own, and supervisord's for the entries that name it. */
export interface ServiceBackends {
  readonly default: ServiceBackend;
  readonly supervisor: ServiceBackend;
}

/** Where a name goes: the backend, the name in its canonical form, and the entries (of that backend) matching it. */
export interface ServiceRoute {
  readonly backend: ServiceBackend;
  readonly name: string;
  readonly rules: readonly ServiceRule[];
}

export type Routing =
  /** The name is valid for none of the backends in use. */
  | { readonly kind: "invalid"; readonly backends: readonly ServiceBackendKind[] }
  /** Valid, but no entry names it (`name`: its canonical form in the first backend it is valid for). */
  | { readonly kind: "unlisted"; readonly name: string }
  /** Entries of more than one backend match it. */
  | { readonly kind: "ambiguous"; readonly name: string; readonly backends: readonly ServiceBackendKind[] }
  | { readonly kind: "routed"; readonly route: ServiceRoute };

interface Group {
  readonly backend: ServiceBackend;
  readonly rules: readonly ServiceRule[];
  readonly matcher: ServiceRules;
}

export interface ListedRoute {
  readonly backend: ServiceBackend;
  /** Canonical name. */
  readonly name: string;
  /** The actions allowed on it; none when it is ambiguous. */
  readonly actions: ServiceAction[];
  readonly ambiguous: boolean;
}

export class ServiceRouter {
  private readonly groups: Group[] = [];

  constructor(rules: readonly ServiceRule[], backends: ServiceBackends) {
    // The daemon's own backend is always asked (a policy without supervisor entries behaves as before them);
    // supervisord only when an entry names it.
    const own = rules.filter((r) => r.backend === undefined);
    const supervised = rules.filter((r) => r.backend === "supervisor");
    this.groups.push(group(backends.default, own));
    if (supervised.length > 0) this.groups.push(group(backends.supervisor, supervised));
  }

  route(name: string): Routing {
    let first: string | undefined;
    const matched: ServiceRoute[] = [];
    for (const g of this.groups) {
      const canonical = g.backend.canonicalName(name);
      if (canonical === undefined) continue;
      first ??= canonical;
      const rules = g.rules.filter((r) => g.matcher.matches(r, canonical));
      if (rules.length > 0) matched.push({ backend: g.backend, name: canonical, rules });
    }
    if (first === undefined) return { kind: "invalid", backends: this.groups.map((g) => g.backend.kind) };
    if (matched.length === 0) return { kind: "unlisted", name: first };
    if (matched.length > 1) return { kind: "ambiguous", name: matched[0]!.name, backends: matched.map((m) => m.backend.kind) };
    return { kind: "routed", route: matched[0]! };
  }

  /**
   * What `service.list` answers, backend by backend: every exact name, and every
   * existing service a pattern matches. A backend that cannot say what exists
   * (supervisord not running) lists its exact names only: one broken backend
   * must not hide the others.
   */
  async listed(): Promise<ListedRoute[]> {
    const out: ListedRoute[] = [];
    for (const g of this.groups) {
      const existing = () =>
        g.backend.existing().catch((e: unknown) => {
          if (this.groups.length > 1 && e instanceof Fault && e.kind !== "timeout") return [];
          throw e;
        });
      for (const { name, actions } of await g.matcher.listed(existing)) {
        const ambiguous = this.route(name).kind === "ambiguous";
        out.push({ backend: g.backend, name, actions: ambiguous ? [] : actions, ambiguous });
      }
    }
    return out;
  }
}

function group(backend: ServiceBackend, rules: readonly ServiceRule[]): Group {
  return { backend, rules, matcher: new ServiceRules(rules, (n) => backend.canonicalName(n)) };
}

/** The configuration tests of a route's entries, each once, in the policy's order. */
export function routeTests(route: ServiceRoute): ConfigTest[] {
  const seen = new Set<string>();
  const tests: ConfigTest[] = [];
  for (const r of route.rules) {
    if (!r.test) continue;
    const id = JSON.stringify(r.test);
    if (seen.has(id)) continue;
    seen.add(id);
    tests.push(r.test);
  }
  return tests;
}

/** Where a service's log is read: the policy's file below --root, or the backend's own log. */
export type LogSource = { file?: string };

/**
 * Where `log` reads a routed service's log: the first of its entries that
 * allows `log` decides — its `log` file, or (none named) the backend's own
 * log — or why it cannot be read.
 */
export function logSourceOf(route: ServiceRoute): LogSource | string {
  const rule = route.rules.find((r) => r.actions.includes("log"));
  if (!rule) return "the policy does not allow log on this service";
  if (rule.log !== undefined) return { file: rule.log };
  if (!route.backend.log) {
    return `the policy names no log file for this service (log = "/var/log/…" in its [[service]] entry), and the ${route.backend.kind} backend keeps no log of its own`;
  }
  return {};
}

/** The reload signal of a route's entries, or undefined when they disagree. */
export function routeReloadSignal(route: ServiceRoute): string | undefined {
  const signals = new Set(route.rules.map((r) => r.reloadSignal).filter((s) => s !== undefined));
  if (signals.size > 1) return undefined;
  return [...signals][0] ?? DEFAULT_RELOAD_SIGNAL;
}

/** The status a call answers, saying which backend it came from. */
export function withBackend(status: ServiceStatus, backend: ServiceBackend): ServiceStatus {
  return { ...status, backend: backend.kind };
}

/** What a name must be for these backends, for an invalid-params message. */
export function nameRulesOf(backends: readonly ServiceBackendKind[]): string {
  const what: Record<ServiceBackendKind, string> = {
    initd: "an init script name",
    systemd: "a systemd service unit name",
    supervisor: "a supervisord process name (program or group:program)",
  };
  return backends.map((b) => what[b]).join(" or ");
}

/** Each backend's name rules, for the load-time check (the daemon's own may be either). */
const CANONICAL_FORMS: Record<"own" | "supervisor", readonly CanonicalName[]> = {
  own: [initScriptName, systemdUnitName],
  supervisor: [supervisorProcessName],
};

/**
 * `policy check`'s part: a supervisor entry's exact name must be a supervisord
 * process name, and no exact name of one backend may be matched by an entry
 * of another (under either of the daemon's own backends: a policy should not
 * change meaning with `--service-backend`).
 */
export function reportBackendClashes(rules: readonly ServiceRule[], keys: readonly string[], v: PolicyValidator): void {
  const side = (r: ServiceRule) => (r.backend === "supervisor" ? "supervisor" : "own");
  rules.forEach((r, i) => {
    if (r.backend === "supervisor" && r.name !== undefined && supervisorProcessName(r.name) === undefined) {
      v.error(`${keys[i]}.name`, `${JSON.stringify(r.name)} is not a supervisord process name (program or group:program; no group wildcards)`);
    }
  });
  rules.forEach((exact, i) => {
    if (exact.name === undefined) return;
    rules.forEach((other, j) => {
      if (i === j || side(exact) === side(other) || (other.name !== undefined && j < i)) return;
      for (const canonical of CANONICAL_FORMS[side(other)]) {
        const c = canonical(exact.name!);
        if (c === undefined) continue;
        const hit = other.name !== undefined ? canonical(other.name) === c : other.pattern!.regex.test(c);
        if (!hit) continue;
        const backendOf = (r: ServiceRule) => (r.backend === "supervisor" ? "supervisor" : "the daemon's own backend");
        v.error(
          `${keys[i]}.name`,
          `${JSON.stringify(exact.name)} (${backendOf(exact)}) is also matched by ${keys[j]} (${backendOf(other)}): a name must belong to one backend; rename it or narrow ${keys[j]}`,
        );
        return;
      }
    });
  });
}
