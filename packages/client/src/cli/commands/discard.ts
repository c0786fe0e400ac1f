import { defineCommand } from "../command.js";
import { writeJson } from "../output.js";

export const discardCommand = defineCommand<Record<string, never>>({
  name: "discard",
  declare: (c) =>
    c
      .summary("drop the session's pending changes")
      .description(
        "Call augeas.discard, which reloads the policy files from disk. Prints nothing. Each machina invocation is " +
          "its own session, whose unsaved changes are dropped anyway when it ends.",
      ),
  parse: () => ({}),
  run: async (_options, context) => {
    const result = await context.session((m) => m.augeas.discard());
    if (context.globals.json) writeJson(context.io, result);
  },
});
