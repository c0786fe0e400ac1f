/**
 * The LSB init script exit codes (LSB Core, "Init Script Actions") and how they
 * map onto machina's status model.
 */
import type { ServiceState } from "@machina/protocol";

/** `status`: 0 running, 1 dead with a pid file, 2 dead with a lock file, 3 not running, 4 unknown. */
export function stateFromStatusExit(code: number): ServiceState {
  switch (code) {
    case 0:
      return "active";
    case 1:
    case 2:
      return "failed";
    case 3:
      return "inactive";
    default:
      // 4 is "unknown"; 150-199 are distribution-specific and anything else is not LSB.
      return "unknown";
  }
}

/** What a non-zero exit of the other actions means, for the error the client reads. */
export function describeActionExit(code: number): string {
  switch (code) {
    case 1:
      return "generic or unspecified error";
    case 2:
      return "invalid or excess arguments";
    case 3:
      return "unimplemented feature (the script does not support this action)";
    case 4:
      return "user had insufficient privilege";
    case 5:
      return "program is not installed";
    case 6:
      return "program is not configured";
    case 7:
      return "program is not running";
    default:
      return `exit status ${code}`;
  }
}
