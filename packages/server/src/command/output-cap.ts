/** How much of a command's output is kept (stdout and stderr together). */
import type { CommandRule } from "./command-section.js";

/** Output kept when the entry sets no `max_output`. */
export const DEFAULT_MAX_OUTPUT = 256 * 1024;
/** The most output kept whatever the entry says: base64 of it must fit a 1 MiB response line. */
export const MAX_OUTPUT_LIMIT = 512 * 1024;

export function effectiveOutputCap(rule: CommandRule): number {
  return Math.min(rule.maxOutput ?? DEFAULT_MAX_OUTPUT, MAX_OUTPUT_LIMIT);
}
