/**
 * Which method capabilities a policy grants (default deny): a method whose
 * capability is not granted is refused before its params are even read.
 */
import type { Capability } from "@machina/protocol";
import type { Policy } from "./policy-types.js";

export function capabilityGranted(policy: Policy, capability: Capability): boolean {
  switch (capability) {
    case "session":
    case "discover":
      return true;
    case "augeas.read":
      return policy.files.length > 0;
    case "augeas.write":
      return policy.files.some((f) => f.write.length > 0);
  }
}
