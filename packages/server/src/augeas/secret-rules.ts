/**
 * Secret values (`secret = true` or node patterns in an `[[augeas.file]]`):
 * a secret node may be set, matched and listed — its existence and its label
 * are not secret — but its value never leaves the daemon: not through get,
 * a predicate, a guard, a preview or diff, an error, a log line or the audit
 * log. These are the static rules every such output asks; the policy engine
 * (authorise.ts, `isValueVisible`) answers the per-node question.
 */
import type { FileRule } from "./augeas-section.js";
import { matchesAny, type NodePattern } from "./node-pattern.js";
import { shapeCovered } from "./pattern-coverage.js";

/** What every node pattern of `secret = true` is: all of the file, its node included. */
export const WHOLE_FILE_SECRET = "**";

/** True when some nodes of the file hold secret values. */
export function hasSecrets(rule: Pick<FileRule, "secret">): boolean {
  return rule.secret.length > 0;
}

/** True when every node of the file is secret (`secret = true`, or patterns covering `**`). */
export function isWholeFileSecret(rule: Pick<FileRule, "secret">): boolean {
  return shapeCovered([{ kind: "any" }], rule.secret.map((p: NodePattern) => p.segments));
}

/** True when the node (its labels below the file's node) holds a secret value. */
export function isSecretBelow(rule: Pick<FileRule, "secret">, labelsBelowFile: readonly string[]): boolean {
  return rule.secret.length > 0 && matchesAny(rule.secret, labelsBelowFile);
}

/**
 * True when the client may be shown text of the file as such — a text diff,
 * a validator's output, a history entry's content: only when the policy lets
 * it read every node of the file and no node of it is secret. Anything else
 * may quote a node the client may not read or a value it may not see.
 * Decided from the policy alone, so the answer reveals nothing of the tree.
 */
export function mayShowFileText(rule: Pick<FileRule, "read" | "secret">): boolean {
  return !hasSecrets(rule) && shapeCovered([{ kind: "any" }], rule.read.map((p) => p.segments));
}

/** What secrecy means, in the words `policy explain` and refusals use ("secret values …"). */
export const SECRET_MEANING = "can be set, never read back, never shown in previews, diffs, errors or logs";
