import { defineCommand, optionalString } from "../command.js";
import { writeJson } from "../output.js";
import { UsageError } from "../usage-error.js";

type TimezoneOptions = { action: "get" } | { action: "set"; zone: string };

export const timezoneCommand = defineCommand<TimezoneOptions>({
  name: "timezone",
  declare: (c) =>
    c
      .summary("print or set the system's timezone")
      .description(
        "Without arguments, or with get: print the configured zone (nothing, and exit status 0, when none is). " +
          "set ZONE: set it to ZONE, a name of the system's tz database such as Europe/Berlin; prints the new " +
          "and the previous zone. Needs [timezone] (set = true to set) in the daemon's policy.",
      )
      .argument("[ACTION]", "get (the default) or set")
      .argument("[ZONE]", "the zone, for set"),
  parse: ([action, zone]) => {
    const a = optionalString(action) ?? "get";
    const z = optionalString(zone);
    if (a === "get") {
      if (z !== undefined) throw new UsageError("timezone get takes no ZONE");
      return { action: "get" };
    }
    if (a === "set") {
      if (z === undefined) throw new UsageError("timezone set needs a ZONE, e.g. Europe/Berlin");
      return { action: "set", zone: z };
    }
    throw new UsageError(`unknown timezone action '${a}' (get or set)`);
  },
  run: async (options, context) => {
    const { io, globals } = context;
    if (options.action === "get") {
      const result = await context.session((m) => m.system.getTimezone());
      if (globals.json) writeJson(io, result);
      else if (result.zone !== null) io.stdout.write(result.zone + "\n");
      return;
    }
    const result = await context.session((m) => m.system.setTimezone({ zone: options.zone }));
    if (globals.json) writeJson(io, result);
    else io.stdout.write(`${result.zone}${result.previous !== null && result.previous !== result.zone ? ` (was ${result.previous})` : ""}\n`);
  },
});
