import { defineCommand } from "../command.js";
import { declareExpect, parseExpect } from "../expectations.js";
import { writeJson, writeLines } from "../output.js";

export const saveCommand = defineCommand<{ expect: Record<string, string> | undefined }>({
  name: "save",
  declare: (c) =>
    declareExpect(c)
      .summary("write the session's pending changes")
      .description(
        "Call augeas.save and print the files written, one per line (--json: also whether anything changed and the " +
          "files' new tags). Each machina invocation is its own session and a session's unsaved changes are dropped " +
          "when it ends, so on its own this writes nothing (though --expect is still checked); use set, rm or apply, " +
          "which change and save in one session.",
      ),
  parse: (_args, options) => ({ expect: parseExpect(options["expect"]) }),
  run: async ({ expect }, context) => {
    const result = await context.session((m) => m.augeas.save(expect ? { expect } : {}));
    if (context.globals.json) writeJson(context.io, result);
    else writeLines(context.io, result.files);
  },
});
