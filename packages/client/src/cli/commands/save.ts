import { defineCommand } from "../command.js";
import { writeJson, writeLines } from "../output.js";

export const saveCommand = defineCommand<Record<string, never>>({
  name: "save",
  declare: (c) =>
    c
      .summary("write the session's pending changes")
      .description(
        "Call augeas.save and print the files written, one per line. Each machina invocation is its own session " +
          "and a session's unsaved changes are dropped when it ends, so on its own this writes nothing; use set, rm " +
          "or apply, which change and save in one session.",
      ),
  parse: () => ({}),
  run: async (_options, context) => {
    const result = await context.session((m) => m.augeas.save());
    if (context.globals.json) writeJson(context.io, result);
    else writeLines(context.io, result.files);
  },
});
