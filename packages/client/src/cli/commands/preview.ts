import { defineCommand } from "../command.js";
import { writeDiffs, writeJson } from "../output.js";

export const previewCommand = defineCommand<Record<string, never>>({
  name: "preview",
  declare: (c) =>
    c
      .summary("show the session's pending changes as diffs")
      .description(
        "Call augeas.preview and print one unified diff per file a save would change, each preceded by a line " +
          "`tag FILE TAG` naming the version on disk it was made from (for --expect). Each machina invocation is " +
          "its own session, so this shows nothing on its own; to preview edits use `apply --preview`.",
      ),
  parse: () => ({}),
  run: async (_options, context) => {
    const result = await context.session((m) => m.augeas.preview());
    if (context.globals.json) writeJson(context.io, result);
    else writeDiffs(context.io, result.changes, { tags: true });
  },
});
