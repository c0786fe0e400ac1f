import { readFile } from "node:fs/promises";
import { defineCommand, optionalString } from "../command.js";
import { sendChanges } from "../changes.js";
import { readAll } from "../io.js";
import { parseScript } from "../script.js";
import { UsageError } from "../usage-error.js";
import { declareExpect, parseExpect } from "../expectations.js";

interface ApplyOptions {
  /** The script file; undefined or "-" for stdin. */
  file: string | undefined;
  preview: boolean;
  expect: Record<string, string> | undefined;
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
  clearm BASE SUB                 set SUB below every node BASE matches to null
  touch PATH                      create the node if nothing matches (values kept)
  save                            ignored (apply saves at the end)
Guards (as Puppet's augeas onlyif), checked where they stand, after the lines
before them; if one does not hold nothing is applied or written, and apply
prints "not applied: guard on line N failed: REASON" to stderr and exits 0:
  onlyif get PATH == VALUE        the one node's value is VALUE (!= : is not)
  onlyif match PATH size OP N     the number of nodes compared (== != < <= > >=)
  onlyif exists PATH              at least one node matches
  onlyif missing PATH             no node matches
Lines starting with # are comments; blank lines are ignored. Arguments are
separated by blanks; "..." groups with backslash escapes (\\" \\\\ \\t \\n), '...'
groups literally, and in paths [...] groups, keeping blanks and quotes, so
  set /files/etc/hosts/*[canonical = "localhost"]/alias local
has two arguments. All changes are applied in one augeas.apply call: all or
nothing. A line that does not parse exits with status 2 and FILE:LINE.

--preview prints, above each file's diff, a line "tag FILE TAG": the version
on disk the diff was made from. Applying with --expect FILE=TAG then writes
only if FILE is still that version (exit status 1, kind conflict, otherwise):
  machina apply --preview edit.aug          # read the diff, note the tag
  machina apply --expect /etc/hosts=TAG edit.aug`;

export const applyCommand = defineCommand<ApplyOptions>({
  name: "apply",
  declare: (c) =>
    declareExpect(c)
      .summary("apply a change script, all or nothing, and save")
      .description(
        "Read an augtool-style change script from FILE (or stdin when FILE is - or absent), apply every change in " +
          "one augeas.apply call — all of them or none — and save. Prints the unified diff of each changed file " +
          "(with --preview, each file's tag above it).",
      )
      .argument("[FILE]", "the script; - or absent for stdin")
      .option("--preview", "only print the diffs and tags; write nothing")
      .addHelpText("after", SCRIPT_HELP),
  parse: ([file], options) => ({ file: optionalString(file), preview: options["preview"] === true, expect: parseExpect(options["expect"]) }),
  run: async ({ file, preview, expect }, context) => {
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
    await sendChanges(context, script.changes, {
      preview,
      locations: script.lines.map((line) => `${name}:${line}`),
      lines: script.lines,
      ...(expect ? { expect } : {}),
    });
  },
});
