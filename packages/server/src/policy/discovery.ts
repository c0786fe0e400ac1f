/**
 * The `x-policy` part of the discovery document: for each method, the
 * resources the policy lets it touch, in the policy's own words.
 */
import type { Capability } from "@machina/protocol";
import type { Policy } from "./policy-types.js";
import { serviceResources } from "./service-rules.js";

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
    case "service.list":
    case "service.status":
    case "service.start":
    case "service.stop":
    case "service.restart":
    case "service.reload":
      return serviceResources(policy, capability);
    case "package.status":
      return { packages: [...new Set([...policy.packages.install, ...policy.packages.remove])] };
    case "package.install":
      return { packages: policy.packages.install };
    case "package.remove":
      return { packages: policy.packages.remove };
    case "package.update":
      return { update: policy.packages.update };
    case "timezone.read":
    case "timezone.write":
      return { timezone: policy.timezone.set ? "read and set" : "read" };
    case "command.run":
      return {
        commands: policy.commands.map((c) => ({
          name: c.name,
          path: c.path,
          args: c.args.map((a) => (Array.isArray(a) ? { choices: a } : { pattern: `^${a.source.slice(4, -2)}$` })),
          env: c.env,
          timeout: c.timeout,
          stdin: c.stdin === true,
          ...(c.user !== undefined ? { user: c.user } : {}),
          ...(c.maxOutput !== undefined ? { maxOutput: c.maxOutput } : {}),
        })),
      };
    default:
      return undefined;
  }
}
