/** How results are printed. */
import type { FileDiff } from "@machina/protocol";
import type { CliIo } from "./io.js";

/** The raw result as one line of JSON (`--json`). */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value ?? null) + "\n");
}

/**
 * Each file's unified diff, as the daemon made it; with `tags`, each preceded
 * by a line `tag FILE TAG` naming the version on disk it was made from (for
 * `--expect FILE=TAG`).
 */
export function writeDiffs(io: CliIo, changes: readonly FileDiff[], options: { tags?: boolean } = {}): void {
  for (const { file, diff, tag } of changes) {
    if (options.tags) io.stdout.write(`tag ${file} ${tag}\n`);
    io.stdout.write(diff.endsWith("\n") || diff === "" ? diff : diff + "\n");
  }
}

/** One item per line. */
export function writeLines(io: CliIo, lines: readonly string[]): void {
  for (const line of lines) io.stdout.write(line + "\n");
}
