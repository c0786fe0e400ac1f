/**
 * Which method capabilities a policy grants (default deny): a method whose
 * capability is not granted is refused before its params are even read.
 */
import type { Capability } from "@machina/protocol";
import type { Policy } from "./policy-types.js";
import { serviceCapabilityGranted } from "./service-rules.js";

export function capabilityGranted(policy: Policy, capability: Capability): boolean {
  switch (capability) {
    case "session":
    case "discover":
      return true;
    case "augeas.read":
      return policy.files.length > 0;
    case "augeas.write":
      return policy.files.some((f) => f.write.length > 0);
    case "service.list":
    case "service.status":
    case "service.start":
    case "service.stop":
    case "service.restart":
    case "service.reload":
      return serviceCapabilityGranted(policy, capability);
    case "package.status":
      return policy.packages.install.length > 0 || policy.packages.remove.length > 0;
    case "package.install":
      return policy.packages.install.length > 0;
    case "package.remove":
      return policy.packages.remove.length > 0;
    case "package.update":
      return policy.packages.update;
    case "timezone.read":
      return policy.timezone.get;
    case "timezone.write":
      return policy.timezone.set;
    case "command.run":
      return policy.commands.length > 0;
  }
}
