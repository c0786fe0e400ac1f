/**
 * The policy's `[[service]]` entries, applied: which actions a name is
 * allowed, and which services `service.list` names. Names are always compared
 * in the backend's canonical form (systemd: the full unit name), so an exact
 * `name = "nginx"` covers `nginx` and `nginx.service` alike, and a `pattern`
 * is tested against the canonical name (`^example@[0-9]{4}\\.service$`).
 */
import { SERVICE_ACTIONS, type ServiceAction } from "@machina/protocol";
import type { ServiceRule } from "./service-section.js";

/** Canonicalises a name for the backend in use; undefined when the name is not valid there. */
export type CanonicalName = (name: string) => string | undefined;

export interface ListedService {
  /** Canonical name. */
  name: string;
  actions: ServiceAction[];
}

export class ServiceRules {
  constructor(
    private readonly rules: readonly ServiceRule[],
    private readonly canonical: CanonicalName,
  ) {}

  /** Every action the policy allows on `name` (canonical), in the policy's action order. */
  actionsFor(name: string): ServiceAction[] {
    const allowed = new Set<ServiceAction>();
    for (const rule of this.rules) if (this.matches(rule, name)) for (const a of rule.actions) allowed.add(a);
    return SERVICE_ACTIONS.filter((a) => allowed.has(a));
  }

  allows(action: ServiceAction, name: string): boolean {
    return this.rules.some((rule) => rule.actions.includes(action) && this.matches(rule, name));
  }

  /**
   * Where `log` reads `name`'s (canonical) log: the first entry that allows
   * `log` on it decides — its `log` file, or (none named) the backend's own
   * log. Undefined when no entry allows `log` on it.
   */
  logSource(name: string): { file?: string } | undefined {
    const rule = this.rules.find((r) => r.actions.includes("log") && this.matches(r, name));
    if (!rule) return undefined;
    return rule.log !== undefined ? { file: rule.log } : {};
  }

  /**
   * The services `service.list` answers: every exact name (valid for this
   * backend), then every existing service a pattern matches — patterns are
   * never expanded into names that do not exist.
   */
  async listed(existing: () => Promise<string[]>): Promise<ListedService[]> {
    const names = new Set<string>();
    for (const rule of this.rules) {
      if (rule.name === undefined || rule.actions.length === 0) continue;
      const c = this.canonical(rule.name);
      if (c !== undefined) names.add(c);
    }
    if (this.rules.some((r) => r.pattern && r.actions.length > 0)) {
      for (const n of await existing()) {
        const c = this.canonical(n);
        if (c !== undefined && this.rules.some((r) => r.pattern && r.actions.length > 0 && r.pattern.regex.test(c))) names.add(c);
      }
    }
    return [...names].map((name) => ({ name, actions: this.actionsFor(name) }));
  }

  private matches(rule: ServiceRule, name: string): boolean {
    if (rule.name !== undefined) return this.canonical(rule.name) === name;
    return rule.pattern !== undefined && rule.pattern.regex.test(name);
  }
}
