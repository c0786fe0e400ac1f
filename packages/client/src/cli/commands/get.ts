import { augeasValueBytes } from "../../augeas-values.js";
import { defineCommand, requiredString } from "../command.js";
import { writeJson } from "../output.js";

export const getCommand = defineCommand<{ path: string; newline: boolean }>({
  name: "get",
  declare: (c) =>
    c
      .summary("print the value of one node")
      .description(
        "Print the value of the one node PATH resolves to, followed by a newline. The value is written byte for byte, " +
          "also when it is not UTF-8 (a Latin-1 file), so `machina get -n PATH > FILE` holds exactly its bytes " +
          "(`machina set PATH --bytes-from FILE` writes them back). A node without a value prints nothing (exit status 0). " +
          'With --json the result is printed as the protocol has it: {"value": "text"}, {"value": {"base64": "..."}} ' +
          'for a value that is not UTF-8, or {"value": null}.',
      )
      .argument("<PATH>", 'an Augeas path, e.g. /files/etc/hostname/hostname or /files/etc/hosts/*[canonical = "localhost"]/ipaddr')
      .option("-n, --no-newline", "print the value without the newline after it"),
  parse: ([path], options) => ({ path: requiredString(path, "PATH"), newline: options["newline"] !== false }),
  run: async ({ path, newline }, context) => {
    const result = await context.session((m) => m.augeas.get({ path }));
    if (context.globals.json) writeJson(context.io, result);
    else if (result.value !== null) {
      context.io.stdout.write(augeasValueBytes(result.value));
      if (newline) context.io.stdout.write("\n");
    }
  },
});
