/**
 * `--expect FILE=TAG` (repeatable), of `apply` and `save`: the tags of the
 * file versions the user saw (printed by `preview` and `apply --preview`),
 * sent as the call's `expect` so the daemon writes nothing if a file changed
 * since (`conflict`).
 */
import type { Command } from "commander";
import { UsageError } from "./usage-error.js";

export const EXPECT_HELP =
  "write only if FILE still has TAG on disk, the tag `preview` or `apply --preview` printed for it (repeatable; " +
  "otherwise nothing is written and the exit status is 1, kind conflict)";

/** Declares the option on `command`. */
export function declareExpect(command: Command): Command {
  return command.option("--expect <FILE=TAG>", EXPECT_HELP, (value: string, previous: string[] = []) => [...previous, value]);
}

/** The option's values as the call's `expect`; undefined when none was given. Throws UsageError. */
export function parseExpect(raw: unknown): Record<string, string> | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const expect: Record<string, string> = {};
  for (const item of raw as string[]) {
    // A tag never holds '=' (base64url or `absent`); a path might.
    const at = item.lastIndexOf("=");
    const file = at < 0 ? "" : item.slice(0, at);
    const tag = at < 0 ? "" : item.slice(at + 1);
    if (!file.startsWith("/") || tag === "") throw new UsageError(`--expect takes FILE=TAG (e.g. /etc/hosts=TAG from machina apply --preview), not '${item}'`);
    if (Object.prototype.hasOwnProperty.call(expect, file)) throw new UsageError(`--expect names ${file} twice`);
    expect[file] = tag;
  }
  return expect;
}
