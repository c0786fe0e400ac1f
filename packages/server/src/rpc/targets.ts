/**
 * What a call targets, for the audit log: the paths and resource names in its
 * params — never values, which may be secrets.
 */
import type { MethodName } from "@machina/protocol";

const TARGET_KEYS = ["path", "base", "source", "destination", "name", "label", "zone"] as const;

export function targetsOf(method: MethodName, params: unknown): string[] {
  if (!params || typeof params !== "object" || Array.isArray(params)) return [];
  const p = params as Record<string, unknown>;
  const out: string[] = [];
  const take = (o: Record<string, unknown>) => {
    for (const k of TARGET_KEYS) {
      const v = o[k];
      if (typeof v === "string") out.push(v.length > 512 ? `${v.slice(0, 512)}…` : v);
    }
  };
  if (method.startsWith("session.")) return [];
  take(p);
  if (method === "augeas.apply" && Array.isArray(p.changes)) {
    for (const c of p.changes.slice(0, 100)) if (c && typeof c === "object") take(c as Record<string, unknown>);
  }
  return out;
}
