import { defineCommand } from "../command.js";
import { writeJson } from "../output.js";

export const discoverCommand = defineCommand<Record<string, never>>({
  name: "discover",
  declare: (c) =>
    c
      .summary("list what the daemon's policy allows")
      .description(
        "Call rpc.discover and print each allowed method with its summary, one per line. With --json, print the " +
          "whole OpenRPC document (schemas, and the files, nodes and resources each method may touch under x-policy).",
      ),
  parse: () => ({}),
  run: async (_options, context) => {
    const doc = await context.session((m) => m.discover());
    if (context.globals.json) {
      writeJson(context.io, doc);
      return;
    }
    const width = Math.max(0, ...doc.methods.map((method) => method.name.length));
    for (const method of doc.methods) {
      const summary = (method as Record<string, unknown>)["summary"];
      const text = typeof summary === "string" ? summary : "";
      context.io.stdout.write(`${method.name.padEnd(width)}  ${text}`.trimEnd() + "\n");
    }
  },
});
