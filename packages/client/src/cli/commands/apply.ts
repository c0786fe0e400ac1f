import { readFile } from "node:fs/promises";
import { defineCommand, optionalString } from "../command.js";
import { sendChanges } from "../changes.js";
import { readAll } from "../io.js";
import { parseScript } from "../script.js";
import { UsageError } from "../usage-error.js";

interface ApplyOptions {
  /** The script file; undefined or "-" for stdin. */
  file: string | undefined;
  preview: boolean;
}

const SCRIPT_HELP = `
Script format (augtool's editing commands, one per line):
  set PATH VALUE                  set a node's value (creating it)
  setm BASE SUB [VALUE]           set SUB below every node BASE matches
  rm PATH | remove PATH           remove nodes and everything below them
  ins LABEL before|after PATH     insert a new node (alias: insert)
  mv SRC DST | move SRC DST       move a node
  rename PATH LABEL               relabel nodes
  clear PATH                      set a node's value to null
  save                            ignored (apply saves at the end)
Lines starting with # are comments; blank lines are ignored. Arguments are
separated by blanks; "..." groups with backslash escapes (\\" \\\\ \\t \\n), '...'
groups literally, and in paths [...] groups, keeping blanks and quotes, so
  set /files/etc/hosts/*[canonical = "localhost"]/alias local
has two arguments. All changes are applied in one augeas.apply call: all or
nothing. A line that does not parse exits with status 2 and FILE:LINE.`;

export const applyCommand = defineCommand<ApplyOptions>({
  name: "apply",
  declare: (c) =>
    c
      .summary("apply a change script, all or nothing, and save")
      .description(
        "Read an augtool-style change script from FILE (or stdin when FILE is - or absent), apply every change in " +
          "one augeas.apply call — all of them or none — and save. Prints the unified diff of each changed file.",
      )
      .argument("[FILE]", "the script; - or absent for stdin")
      .option("--preview", "only print the diffs; write nothing")
      .addHelpText("after", SCRIPT_HELP),
  parse: ([file], options) => ({ file: optionalString(file), preview: options["preview"] === true }),
  run: async ({ file, preview }, context) => {
    const fromStdin = file === undefined || file === "-";
    const name = fromStdin ? "<stdin>" : file;
    let text: string;
    try {
      text = fromStdin ? await readAll(context.io.stdin) : await readFile(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot read ${name}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`);
    }
    const script = parseScript(text, name);
    if (script.changes.length === 0) throw new UsageError(`${name}: the script has no changes`);
    await sendChanges(context, script.changes, { preview, locations: script.lines.map((line) => `${name}:${line}`) });
  },
});
