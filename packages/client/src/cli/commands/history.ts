import type { HistoryEntry } from "@machina/protocol";
import { defineCommand, optionalString } from "../command.js";
import type { CliIo } from "../io.js";
import { writeJson } from "../output.js";

/** One row per entry: id, time, uid, its files, and which are still current (`*`). */
function writeTable(io: CliIo, entries: readonly HistoryEntry[]): void {
  const rows = entries.map((e) => [
    e.id,
    e.time,
    String(e.peer.uid),
    e.files.map((f) => f.file).join(","),
    e.files.map((f) => (f.current ? "yes" : "no")).join(","),
  ]);
  const header = ["ID", "TIME", "UID", "FILES", "CURRENT"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) io.stdout.write(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ") + "\n");
}

export const historyCommand = defineCommand<{ file: string | undefined }>({
  name: "history",
  declare: (c) =>
    c
      .summary("list the recorded saves of configuration files, newest first")
      .description(
        "Call augeas.history and print one line per recorded save: its id (for `machina rollback`), when it was made, " +
          "the uid that made it, the files it wrote, and for each whether the file on disk still has exactly the bytes " +
          "that save wrote (CURRENT yes/no, in the order of FILES; only then can it be rolled back). Only files whose " +
          "policy entry has history = N and that the policy lets this client read are shown. Never any content.",
      )
      .argument("[FILE]", "only the saves of this policy file, e.g. /etc/hosts"),
  parse: ([file]) => ({ file: optionalString(file) }),
  run: async ({ file }, context) => {
    const result = await context.session((m) => m.augeas.history(file === undefined ? {} : { file }));
    if (context.globals.json) writeJson(context.io, result);
    else writeTable(context.io, result.entries);
  },
});
