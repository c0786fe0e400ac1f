import { defineCommand, requiredString } from "../command.js";
import { sendChanges } from "../changes.js";

export const rmCommand = defineCommand<{ path: string }>({
  name: "rm",
  declare: (c) =>
    c
      .summary("remove nodes and save")
      .description(
        "Remove every node PATH matches, with everything below it, and save, in one session (augeas.apply). " +
          "Prints the unified diff of what changed.",
      )
      .argument("<PATH>", "an Augeas path"),
  parse: ([path]) => ({ path: requiredString(path, "PATH") }),
  run: ({ path }, context) => sendChanges(context, [{ op: "remove", path }], { preview: false }),
});
