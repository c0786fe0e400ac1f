import { defineCommand, requiredString } from "../command.js";
import { writeJson, writeLines } from "../output.js";

export const matchCommand = defineCommand<{ path: string }>({
  name: "match",
  declare: (c) =>
    c
      .summary("list the nodes a path matches")
      .description("Print the path of every readable node PATH matches, one per line (nothing when none match).")
      .argument("<PATH>", "an Augeas path, wildcards and predicates allowed"),
  parse: ([path]) => ({ path: requiredString(path, "PATH") }),
  run: async ({ path }, context) => {
    const result = await context.session((m) => m.augeas.match({ path }));
    if (context.globals.json) writeJson(context.io, result);
    else writeLines(context.io, result.paths);
  },
});
