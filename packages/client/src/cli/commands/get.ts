import { defineCommand, requiredString } from "../command.js";
import { writeJson } from "../output.js";

export const getCommand = defineCommand<{ path: string }>({
  name: "get",
  declare: (c) =>
    c
      .summary("print the value of one node")
      .description(
        "Print the value of the one node PATH resolves to. A node without a value prints nothing (exit status 0); " +
          "with --json the result is {\"value\": null}.",
      )
      .argument("<PATH>", 'an Augeas path, e.g. /files/etc/hostname/hostname or /files/etc/hosts/*[canonical = "localhost"]/ipaddr'),
  parse: ([path]) => ({ path: requiredString(path, "PATH") }),
  run: async ({ path }, context) => {
    const result = await context.session((m) => m.augeas.get({ path }));
    if (context.globals.json) writeJson(context.io, result);
    else if (result.value !== null) context.io.stdout.write(result.value + "\n");
  },
});
