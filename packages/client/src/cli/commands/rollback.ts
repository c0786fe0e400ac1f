import { defineCommand, optionalString, requiredString } from "../command.js";
import { writeJson, writeLines } from "../output.js";

export const rollbackCommand = defineCommand<{ id: string; file: string | undefined }>({
  name: "rollback",
  declare: (c) =>
    c
      .summary("put back the versions a recorded save replaced")
      .description(
        "Call augeas.rollback: restore the files the save ID (from `machina history`) wrote — or only FILE — to the " +
          "bytes they had before it, and print the files restored, one per line. Refused (exit status 1) with conflict " +
          "when a file no longer has the bytes that save wrote (nothing is written), and with policy-denied unless the " +
          "file's policy entry has rollback = true. The rollback is itself recorded, so it can be rolled back too.",
      )
      .argument("<ID>", "a save's id, as `machina history` lists it")
      .argument("[FILE]", "only this file of that save, e.g. /etc/hosts"),
  parse: ([id, file]) => ({ id: requiredString(id, "ID"), file: optionalString(file) }),
  run: async ({ id, file }, context) => {
    const result = await context.session((m) => m.augeas.rollback(file === undefined ? { id } : { id, file }));
    if (context.globals.json) writeJson(context.io, result);
    else writeLines(context.io, result.files);
  },
});
