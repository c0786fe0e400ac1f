import type { ServiceListEntry, ServiceStatus } from "@machina/protocol";
import { defineCommand, optionalString, requiredString } from "../command.js";
import type { CliIo } from "../io.js";
import { writeJson } from "../output.js";
import { UsageError } from "../usage-error.js";

const ACTIONS = ["status", "start", "stop", "restart", "reload"] as const;
type ServiceActionName = (typeof ACTIONS)[number];

type ServiceOptions = { action: "list" } | { action: ServiceActionName; name: string };

/** A service that is in the `failed` state after the call: exit status 1, like a refused call. */
export class ServiceFailedError extends Error {
  constructor(status: ServiceStatus) {
    super(`${status.name} has failed${status.subState ? ` (${status.subState})` : ""}`);
    this.name = "ServiceFailedError";
  }
}

function statusLine(s: ServiceStatus): string {
  return `${s.name}: ${s.state}${s.subState ? ` (${s.subState})` : ""}${s.since ? ` since ${s.since}` : ""}`;
}

function writeStatus(io: CliIo, s: ServiceStatus): void {
  io.stdout.write(statusLine(s) + "\n");
  if (s.detail) for (const line of s.detail.split("\n")) io.stdout.write(`  ${line}\n`);
}

function writeList(io: CliIo, entries: readonly ServiceListEntry[]): void {
  for (const { status, actions } of entries) io.stdout.write(`${statusLine(status)}  [${actions.join(", ")}]\n`);
}

export const serviceCommand = defineCommand<ServiceOptions>({
  name: "service",
  declare: (c) =>
    c
      .summary("status, start, stop, restart or reload a service; or list them")
      .description(
        "Run ACTION (status, start, stop, restart, reload) on the service NAME, as the daemon's policy allows, and " +
          "print its status afterwards: `NAME: STATE (SUBSTATE) since TIME`, then the init script's output " +
          "indented. `machina service list` prints every service the policy names with its status and allowed " +
          "actions. Exit status 1 when the daemon refuses or fails the call, or when the service is in the " +
          "`failed` state afterwards; 2 for an unknown ACTION or a missing NAME.",
      )
      .argument("<ACTION>", `one of list, ${ACTIONS.join(", ")}`)
      .argument("[NAME]", "the service, e.g. nginx or example@0042.service (not for list)"),
  parse: ([action, name]) => {
    const a = requiredString(action, "ACTION");
    const n = optionalString(name);
    if (a === "list") {
      if (n !== undefined) throw new UsageError("service list takes no NAME");
      return { action: "list" };
    }
    if (!(ACTIONS as readonly string[]).includes(a)) throw new UsageError(`unknown service action '${a}' (one of list, ${ACTIONS.join(", ")})`);
    if (n === undefined) throw new UsageError(`service ${a} needs a NAME`);
    return { action: a as ServiceActionName, name: n };
  },
  run: async (options, context) => {
    if (options.action === "list") {
      const result = await context.session((m) => m.service.list());
      if (context.globals.json) writeJson(context.io, result);
      else writeList(context.io, result.services);
      return;
    }
    const { action, name } = options;
    const status = await context.session((m) => m.service[action]({ name }));
    if (context.globals.json) writeJson(context.io, status);
    else writeStatus(context.io, status);
    if (status.state === "failed") throw new ServiceFailedError(status);
  },
});
