/**
 * Defaults for the long-running backends, and the time limit the dispatcher
 * gives their calls: apt and allowlisted commands may legitimately run far
 * longer than the daemon's ordinary call timeout, so their own limits
 * (--package-timeout, a command's `timeout`) govern, plus a margin for the
 * work around them (simulation, status queries, SIGTERM-to-SIGKILL grace).
 */
import type { MethodName } from "@machina/protocol";
import type { Policy } from "../policy/policy-types.js";

/** apt-get may take this long for one install, removal or update: 30 minutes. */
export const DEFAULT_PACKAGE_TIMEOUT_MS = 30 * 60 * 1000;
/** The Debian package machinad ships in. */
export const DEFAULT_SELF_PACKAGE = "machina";

const MARGIN_MS = 120_000;
const COMMAND_MARGIN_MS = 10_000;

/** The dispatcher's limit for `method`, or undefined for its ordinary call timeout. */
export function callTimeoutFor(method: MethodName, params: unknown, policy: Policy, packageTimeoutMs: number): number | undefined {
  if (method === "package.install" || method === "package.remove" || method === "package.update") return packageTimeoutMs + MARGIN_MS;
  if (method === "command.run") {
    const name = (params as { name?: unknown } | null)?.name;
    const rule = policy.commands.find((c) => c.name === name);
    return rule ? rule.timeout * 1000 + COMMAND_MARGIN_MS : undefined;
  }
  return undefined;
}
