import type { ResultOf } from "@machina/protocol";
import { defineCommand, optionalString, requiredString } from "../command.js";
import { writeJson } from "../output.js";
import { progressDisplay } from "../progress-display.js";
import { UsageError } from "../usage-error.js";

type PackageAction = "status" | "install" | "remove" | "update";
const ACTIONS: readonly PackageAction[] = ["status", "install", "remove", "update"];

interface PackageOptions {
  action: PackageAction;
  /** Undefined only for `update`. */
  name: string | undefined;
}

function describe(s: ResultOf<"package.status">): string {
  const candidate = s.candidate === null ? "no candidate" : `candidate ${s.candidate}`;
  return s.installed === null ? `${s.name}: ${s.state} (${candidate})` : `${s.name}: ${s.state} ${s.installed} (${candidate})`;
}

export const packageCommand = defineCommand<PackageOptions>({
  name: "package",
  declare: (c) =>
    c
      .summary("query, install or remove a package, or update the package lists")
      .description(
        "status NAME prints the package's dpkg state, installed and candidate versions; install NAME and remove NAME " +
          "run apt-get through the daemon (only packages the policy's [package] lists name) and show apt's progress " +
          "on stderr — a bar on a terminal, plain lines otherwise; update refreshes apt's package lists. Calls that " +
          "run apt have no time limit unless --timeout is given (the daemon has its own, --package-timeout).",
      )
      .argument("<ACTION>", `one of ${ACTIONS.join(", ")}`)
      .argument("[NAME]", "the package (not for update)"),
  parse: ([action, name]) => {
    const a = requiredString(action, "ACTION");
    if (!(ACTIONS as readonly string[]).includes(a)) throw new UsageError(`unknown package action '${a}' (one of ${ACTIONS.join(", ")})`);
    const n = optionalString(name);
    if (a === "update" && n !== undefined) throw new UsageError("package update takes no NAME");
    if (a !== "update" && n === undefined) throw new UsageError(`package ${a} needs a NAME`);
    return { action: a as PackageAction, name: n };
  },
  run: async ({ action, name }, context) => {
    const { io, globals } = context;
    const display = progressDisplay(io, globals.json);
    const long = { timeoutMs: globals.timeoutMs ?? 0, onProgress: display.update };
    try {
      if (action === "update") {
        const result = await context.session((m) => m.package.update({}, long));
        display.done();
        if (globals.json) return writeJson(io, result);
        for (const w of result.warnings) io.stderr.write(`machina: warning: ${w}\n`);
        io.stdout.write("package lists updated\n");
        return;
      }
      const pkg = name!;
      if (action === "status") {
        const result = await context.session((m) => m.package.status({ name: pkg }));
        if (globals.json) return writeJson(io, result);
        io.stdout.write(describe(result) + "\n");
        return;
      }
      const result = await context.session((m) => (action === "install" ? m.package.install({ name: pkg }, long) : m.package.remove({ name: pkg }, long)));
      display.done();
      if (globals.json) return writeJson(io, result);
      const verb = action === "install" ? (result.changed ? "installed" : "already installed") : result.changed ? "removed" : "not installed, nothing removed";
      io.stdout.write(`${pkg}: ${verb}; ${describe(result)}\n`);
    } finally {
      display.done();
    }
  },
});
