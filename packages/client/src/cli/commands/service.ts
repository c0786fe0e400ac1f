import { SERVICE_LOG_MAX_LINES, type ResultOf, type ServiceListEntry, type ServiceLogLine, type ServiceStatus } from "@machina/protocol";
import type { MachinaClient } from "../../client.js";
import { BackendFailedError } from "../../errors.js";
import { defineCommand, optionalString, requiredString } from "../command.js";
import type { CliIo } from "../io.js";
import { writeJson } from "../output.js";
import { UsageError } from "../usage-error.js";

const ACTIONS = ["status", "start", "stop", "restart", "reload", "enable", "disable"] as const;
type ServiceActionName = (typeof ACTIONS)[number];

type ServiceOptions =
  | { action: "list" }
  | { action: ServiceActionName; name: string }
  | { action: "log"; name: string; lines: number | undefined; follow: boolean };

/** How long `service log -f` waits before asking again when nothing new was logged. */
const FOLLOW_INTERVAL_MS = 1000;

/** A service that is in the `failed` state after the call: exit status 1, like a refused call. */
export class ServiceFailedError extends Error {
  constructor(status: ServiceStatus) {
    super(`${status.name} has failed${status.subState ? ` (${status.subState})` : ""}`);
    this.name = "ServiceFailedError";
  }
}

function statusLine(s: ServiceStatus): string {
  const boot = s.enabled === undefined ? "" : s.enabled ? ", enabled" : ", disabled";
  return `${s.name}: ${s.state}${s.subState ? ` (${s.subState})` : ""}${s.since ? ` since ${s.since}` : ""}${boot}`;
}

function writeStatus(io: CliIo, s: ServiceStatus): void {
  io.stdout.write(statusLine(s) + "\n");
  if (s.detail) for (const line of s.detail.split("\n")) io.stdout.write(`  ${line}\n`);
}

function writeList(io: CliIo, entries: readonly ServiceListEntry[]): void {
  for (const { status, actions } of entries) io.stdout.write(`${statusLine(status)}  [${actions.join(", ")}]\n`);
}

/** A journal line as `journalctl -o short-iso` would show it (`TIME SOURCE[PID]: MESSAGE`); a file's line as it is. */
function logLine(l: ServiceLogLine): string {
  const who = l.source === undefined ? "" : `${l.source}${l.pid === undefined ? "" : `[${l.pid}]`}: `;
  return `${l.time === undefined ? "" : `${l.time} `}${who}${l.message}`;
}

function writeLog(io: CliIo, lines: readonly ServiceLogLine[], indent = ""): void {
  for (const l of lines) io.stdout.write(`${indent}${logLine(l)}\n`);
}

function parseLines(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > SERVICE_LOG_MAX_LINES) {
    throw new UsageError(`--lines must be a whole number from 1 to ${SERVICE_LOG_MAX_LINES}, not '${text}'`);
  }
  return Number(text);
}

/** Prints the log; with `follow`, keeps asking for what comes after the cursor until the process is stopped. */
async function showLog(m: MachinaClient, options: { name: string; lines: number | undefined; follow: boolean }, io: CliIo, json: boolean): Promise<void> {
  let cursor: string | undefined;
  for (;;) {
    const result: ResultOf<"service.log"> = await m.service.log({
      name: options.name,
      ...(options.lines !== undefined ? { lines: options.lines } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    if (json) writeJson(io, result);
    else writeLog(io, result.lines);
    if (!options.follow) return;
    cursor = result.cursor ?? cursor;
    if (!result.more) await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
  }
}

export const serviceCommand = defineCommand<ServiceOptions>({
  name: "service",
  declare: (c) =>
    c
      .summary("status, start, stop, restart, reload, enable or disable a service; read its log; or list them")
      .description(
        "Run ACTION (status, start, stop, restart, reload, enable, disable) on the service NAME, as the daemon's " +
          "policy allows, and print its status afterwards: `NAME: STATE (SUBSTATE) since TIME, enabled`, then the " +
          "init script's output indented. A failed start, restart or reload prints the service's last log lines " +
          "first, when the policy lets you read its log. `machina service log NAME` prints the service's last " +
          "log lines (-n, default 100, at most 1000; journal lines as TIME SOURCE[PID]: MESSAGE); -f then keeps " +
          "printing new lines as they are logged, asking every second, until interrupted. `machina service " +
          "list` prints every service the policy names with its status and allowed actions. Exit status 1 when " +
          "the daemon refuses or fails the call, or when the service is in the `failed` state afterwards; 2 for " +
          "an unknown ACTION, a missing NAME or a bad option.",
      )
      .argument("<ACTION>", `one of list, log, ${ACTIONS.join(", ")}`)
      .argument("[NAME]", "the service, e.g. nginx or example@0042.service (not for list)")
      .option("-n, --lines <N>", `log: how many lines (1 to ${SERVICE_LOG_MAX_LINES}; default 100)`)
      .option("-f, --follow", "log: keep printing lines as they are logged"),
  parse: ([action, name], opts) => {
    const a = requiredString(action, "ACTION");
    const n = optionalString(name);
    const follow = opts["follow"] === true;
    const lines = parseLines(opts["lines"]);
    if (a !== "log" && (follow || lines !== undefined)) throw new UsageError("-n and -f are options of service log");
    if (a === "list") {
      if (n !== undefined) throw new UsageError("service list takes no NAME");
      return { action: "list" };
    }
    if (a !== "log" && !(ACTIONS as readonly string[]).includes(a)) throw new UsageError(`unknown service action '${a}' (one of list, log, ${ACTIONS.join(", ")})`);
    if (n === undefined) throw new UsageError(`service ${a} needs a NAME`);
    if (a === "log") return { action: "log", name: n, lines, follow };
    return { action: a as ServiceActionName, name: n };
  },
  run: async (options, context) => {
    const { io, globals } = context;
    if (options.action === "list") {
      const result = await context.session((m) => m.service.list());
      if (globals.json) writeJson(io, result);
      else writeList(io, result.services);
      return;
    }
    if (options.action === "log") {
      await context.session((m) => showLog(m, options, io, globals.json));
      return;
    }
    const { action, name } = options;
    let status: ServiceStatus;
    try {
      status = await context.session((m) => m.service[action]({ name }));
    } catch (e) {
      // The error is one line on stderr; the log lines that explain it go to stdout, as a status' detail does.
      if (e instanceof BackendFailedError && Array.isArray(e.data.log) && !globals.json) writeLog(io, e.data.log, "  ");
      throw e;
    }
    if (globals.json) writeJson(io, status);
    else writeStatus(io, status);
    if (status.state === "failed") throw new ServiceFailedError(status);
  },
});
