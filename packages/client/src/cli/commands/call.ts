import { defineCommand, optionalString, requiredString } from "../command.js";
import { readAll } from "../io.js";
import { writeJson } from "../output.js";
import { UsageError } from "../usage-error.js";

interface CallOptions {
  method: string;
  /** The params JSON text; "-" to read it from stdin; undefined for none. */
  params: string | undefined;
}

function parseParams(text: string, from: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${from} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`${from} must be a JSON object of named params`);
  }
  return value as Record<string, unknown>;
}

export const callCommand = defineCommand<CallOptions>({
  name: "call",
  declare: (c) =>
    c
      .summary("call any method with JSON params")
      .description(
        "Call METHOD with the named params given as a JSON object (default {}; - reads the JSON from stdin) and " +
          "print the result as JSON (indented; one line with --json). Any method name is accepted, so methods " +
          "newer than this client can be called too.",
      )
      .argument("<METHOD>", "a method name, e.g. augeas.get")
      .argument("[JSON]", 'the params as a JSON object, e.g. \'{"path": "/files/etc/hostname/hostname"}\', or - for stdin'),
  parse: ([method, params]) => ({ method: requiredString(method, "METHOD"), params: optionalString(params) }),
  run: async ({ method, params }, context) => {
    const body =
      params === undefined
        ? {}
        : params === "-"
          ? parseParams(await readAll(context.io.stdin), "the params on stdin")
          : parseParams(params, "JSON");
    const result = await context.session((m) => m.call(method, body));
    if (context.globals.json) writeJson(context.io, result);
    else context.io.stdout.write(JSON.stringify(result ?? null, null, 2) + "\n");
  },
});
