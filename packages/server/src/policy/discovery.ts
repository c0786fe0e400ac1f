/**
 * The `x-policy` part of the discovery document: for each method, the
 * resources the policy lets it touch, in the policy's own words.
 */
import type { Capability } from "@machina/protocol";
import type { Policy } from "./policy-types.js";

interface FileState {
  rule: { path: string };
  lens: string;
  problem?: string;
}

export function policyResources(policy: Policy, capability: Capability, files: readonly FileState[]): unknown {
  const lensOf = new Map(files.map((f) => [f.rule.path, f]));
  switch (capability) {
    case "augeas.read":
      return {
        files: policy.files.map((f) => ({
          path: f.path,
          node: f.node,
          lens: lensOf.get(f.path)?.lens || null,
          read: f.read.map((p) => p.source),
          ...(lensOf.get(f.path)?.problem ? { problem: lensOf.get(f.path)!.problem } : {}),
        })),
      };
    case "augeas.write":
      return {
        files: policy.files
          .filter((f) => f.write.length > 0)
          .map((f) => ({ path: f.path, node: f.node, write: f.write.map((p) => p.source) })),
      };
    default:
      return undefined;
  }
}
