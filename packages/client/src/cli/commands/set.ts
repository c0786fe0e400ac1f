import { defineCommand, requiredString } from "../command.js";
import { sendChanges } from "../changes.js";

export const setCommand = defineCommand<{ path: string; value: string }>({
  name: "set",
  declare: (c) =>
    c
      .summary("set a node's value and save")
      .description(
        "Set the node PATH to VALUE (creating it, and missing parents, if needed) and save, in one session " +
          "(augeas.apply). Prints the unified diff of what changed.",
      )
      .argument("<PATH>", "an Augeas path matching at most one node")
      .argument("<VALUE>", "the new value"),
  parse: ([path, value]) => ({ path: requiredString(path, "PATH"), value: requiredString(value, "VALUE") }),
  run: ({ path, value }, context) => sendChanges(context, [{ op: "set", path, value }], { preview: false }),
});
