/**
 * supervisord's programs, for `[[service]]` entries with `backend =
 * "supervisor"`: supervisor.startProcess / stopProcess (each waiting until
 * the process is running or stopped), restart as stop then start,
 * signalProcess for a reload (the entry's `reload_signal`, default HUP), and
 * getProcessInfo / getAllProcessInfo for status and listing, over
 * supervisor-rpc.ts.
 *
 * Names reach supervisord only in canonical form (supervisor-name.ts): one
 * process, never a group wildcard. supervisord's fault texts and process
 * details hold paths (commands, log files): they go to the daemon's log; the
 * client gets the fault's name and machina's words.
 */
import type { ServiceState, ServiceStatus } from "@machina/protocol";
import { Fault, NotFoundFault } from "../faults.js";
import type { Logger } from "../logger.js";
import type { ChangeOptions, LogExcerpt, LogRequest, ServiceBackend, ServiceChange } from "./service-backend.js";
import { DEFAULT_RELOAD_SIGNAL } from "./service-entry-options.js";
import { readSupervisorLog } from "./supervisor-log.js";
import { supervisorProcessName } from "./supervisor-name.js";
import { SupervisorRpc, SupervisorUnavailable, type SupervisorRpcOptions } from "./supervisor-rpc.js";
import { isStruct, XmlRpcFault, XmlRpcFormatError, type XmlRpcStruct, type XmlRpcValue } from "./supervisor-xmlrpc.js";

/** supervisor/xmlrpc.py `Faults`. */
export const SUPERVISOR_FAULTS: Readonly<Record<number, string>> = {
  1: "UNKNOWN_METHOD",
  2: "INCORRECT_PARAMETERS",
  3: "BAD_ARGUMENTS",
  4: "SIGNATURE_UNSUPPORTED",
  6: "SHUTDOWN_STATE",
  10: "BAD_NAME",
  11: "BAD_SIGNAL",
  20: "NO_FILE",
  21: "NOT_EXECUTABLE",
  30: "FAILED",
  40: "ABNORMAL_TERMINATION",
  50: "SPAWN_ERROR",
  60: "ALREADY_STARTED",
  70: "NOT_RUNNING",
  80: "SUCCESS",
  90: "ALREADY_ADDED",
  91: "STILL_RUNNING",
  92: "CANT_REREAD",
};

/** supervisor/states.py `ProcessStates` onto the protocol's states (see statusFromProcessInfo). */
const STATES: Readonly<Record<number, { name: string; state: ServiceState }>> = {
  0: { name: "STOPPED", state: "inactive" },
  10: { name: "STARTING", state: "activating" },
  20: { name: "RUNNING", state: "active" },
  // Exited before `startsecs`; supervisord starts it again (up to `startretries`).
  30: { name: "BACKOFF", state: "activating" },
  40: { name: "STOPPING", state: "deactivating" },
  // EXITED is inactive or failed by its exit status (below).
  100: { name: "EXITED", state: "inactive" },
  // Could not be started, or gave up after its retries.
  200: { name: "FATAL", state: "failed" },
  1000: { name: "UNKNOWN", state: "unknown" },
};

export interface SupervisorBackendOptions extends SupervisorRpcOptions {
  logger: Logger;
}

export class SupervisorBackend implements ServiceBackend {
  readonly kind = "supervisor" as const;
  private readonly rpc: SupervisorRpc;

  constructor(private readonly options: SupervisorBackendOptions) {
    this.rpc = new SupervisorRpc(options);
  }

  canonicalName(name: string): string | undefined {
    return supervisorProcessName(name);
  }

  async status(name: string): Promise<ServiceStatus> {
    const info = await this.call("supervisor.getProcessInfo", [this.checked(name)], name, "status");
    return statusFromProcessInfo(name, info);
  }

  async change(action: ServiceChange, name: string, options: ChangeOptions = {}): Promise<ServiceStatus> {
    const process = this.checked(name);
    switch (action) {
      case "start":
        await this.call("supervisor.startProcess", [process, true], name, action, ["ALREADY_STARTED"]);
        break;
      case "stop":
        await this.call("supervisor.stopProcess", [process, true], name, action, ["NOT_RUNNING"]);
        break;
      case "restart":
        // supervisord has no restart of its own (supervisorctl stops, then starts).
        await this.call("supervisor.stopProcess", [process, true], name, action, ["NOT_RUNNING"]);
        await this.call("supervisor.startProcess", [process, true], name, action, ["ALREADY_STARTED"]);
        break;
      case "reload":
        await this.call("supervisor.signalProcess", [process, options.reloadSignal ?? DEFAULT_RELOAD_SIGNAL], name, action);
        break;
    }
    return this.status(name);
  }

  async existing(): Promise<string[]> {
    const all = await this.call("supervisor.getAllProcessInfo", [], "(list)", "list");
    if (!Array.isArray(all)) throw this.badAnswer("list", "getAllProcessInfo did not answer an array");
    const names = new Set<string>();
    for (const info of all) {
      if (!isStruct(info) || typeof info.group !== "string" || typeof info.name !== "string") continue;
      // supervisor/options.py make_namespec: a process named as its group is known by that name alone.
      const namespec = info.group === info.name ? info.name : `${info.group}:${info.name}`;
      if (supervisorProcessName(namespec) === namespec) names.add(namespec);
    }
    return [...names].sort();
  }

  /** The program's stdout log, through supervisord (supervisor-log.ts). */
  log(name: string, request: LogRequest): Promise<LogExcerpt> {
    const process = this.checked(name);
    return readSupervisorLog(process, request, async (method, params) => {
      try {
        return await this.rpc.call(method, params);
      } catch (e) {
        // NO_FILE here: the program logs nowhere (stdout_logfile = NONE), not a missing command.
        if (e instanceof XmlRpcFault && SUPERVISOR_FAULTS[e.faultCode] === "NO_FILE") {
          this.options.logger.warn(`supervisor log ${name}: ${method} failed: ${e.faultCode} ${e.faultString}`);
          throw new Fault("backend-failed", `${name} log: supervisord keeps no stdout log of it (its stdout_logfile is NONE)`, { backend: "supervisor", retryable: false, detail: "NO_FILE" });
        }
        throw this.fault(e, name, "log", method);
      }
    });
  }

  /** supervisord starts a program at boot when its configuration says `autostart`: machina does not edit that. */
  setEnabled(name: string, enabled: boolean): Promise<ServiceStatus> {
    return Promise.reject(
      new Fault("backend-failed", `${name} ${enabled ? "enable" : "disable"}: supervisord starts a program at boot when its configuration says autostart=true; machina does not change it`, {
        backend: "supervisor",
        retryable: false,
      }),
    );
  }

  close(): void {}

  /** Callers pass canonical names; checking again keeps anything else (a group wildcard) away from supervisord. */
  private checked(name: string): string {
    if (supervisorProcessName(name) !== name) throw new Fault("invalid-params", `${JSON.stringify(name.slice(0, 100))} is not a supervisord process name`, { param: "/name" });
    return name;
  }

  /** One call; the faults named in `fine` count as success (starting a running process, stopping a stopped one). */
  private async call(method: string, params: XmlRpcValue[], name: string, action: string, fine: readonly string[] = []): Promise<XmlRpcValue> {
    try {
      return await this.rpc.call(method, params);
    } catch (e) {
      if (e instanceof XmlRpcFault && fine.includes(SUPERVISOR_FAULTS[e.faultCode] ?? "")) return true;
      throw this.fault(e, name, action, method);
    }
  }

  /** What the client is told; supervisord's own words (paths, commands) go to the log. */
  private fault(e: unknown, name: string, action: string, method: string): Error {
    const { logger } = this.options;
    if (e instanceof Fault) return e;
    if (e instanceof SupervisorUnavailable) {
      logger.warn(`supervisor ${action} ${name}: ${e.message}`);
      const said: Record<SupervisorUnavailable["reason"], string> = {
        unreachable: "cannot reach supervisord",
        "untrusted-socket": "refusing supervisord's socket: it is not one only root controls",
        credentials: "supervisord's credentials file is unusable",
        unauthorised: "supervisord refused machinad's credentials",
        "bad-answer": "supervisord's answer could not be read",
      };
      return new Fault("backend-failed", `${name} ${action}: ${said[e.reason]} (the daemon's log says why)`, { backend: "supervisor", retryable: e.reason === "unreachable" });
    }
    if (e instanceof XmlRpcFormatError) return this.badAnswer(action, `${method}: ${e.message}`, name);
    if (!(e instanceof XmlRpcFault)) throw e;
    const fault = SUPERVISOR_FAULTS[e.faultCode] ?? `fault ${e.faultCode}`;
    logger.warn(`supervisor ${action} ${name}: ${method} failed: ${e.faultCode} ${e.faultString}`);
    const failed = (why: string, retryable = false) => new Fault("backend-failed", `${name} ${action}: ${why}`, { backend: "supervisor", retryable, detail: fault });
    switch (fault) {
      case "BAD_NAME":
        return new NotFoundFault(`no such service: supervisord has no process ${name}`, name);
      case "SPAWN_ERROR":
        return failed("supervisord could not start it");
      case "ABNORMAL_TERMINATION":
        return failed("it exited before supervisord counted it as running");
      case "NO_FILE":
        return failed("its command does not exist");
      case "NOT_EXECUTABLE":
        return failed("its command cannot be executed");
      case "NOT_RUNNING":
        return failed("it is not running");
      case "ALREADY_STARTED":
        return failed("it is already running");
      case "SHUTDOWN_STATE":
        return failed("supervisord is shutting down", true);
      case "BAD_SIGNAL":
        return failed("supervisord does not know the reload signal");
      case "FAILED":
        return failed("supervisord could not do it");
      case "UNKNOWN_METHOD":
      case "INCORRECT_PARAMETERS":
      case "BAD_ARGUMENTS":
      case "SIGNATURE_UNSUPPORTED":
        return failed(`this supervisord does not support ${method} as machina calls it (supervisor 3.2 or later is needed)`);
      default:
        return failed("supervisord refused");
    }
  }

  private badAnswer(action: string, why: string, name = "(list)"): Fault {
    this.options.logger.warn(`supervisor ${action} ${name}: ${why}`);
    return new Fault("backend-failed", `${name} ${action}: supervisord's answer could not be read (the daemon's log says why)`, { backend: "supervisor", retryable: false });
  }
}

/**
 * getProcessInfo's struct as the protocol's status: the state mapped (STOPPED
 * inactive, STARTING and BACKOFF activating, RUNNING active, STOPPING
 * deactivating, EXITED inactive after status 0 and failed after any other,
 * FATAL failed), supervisord's state name as `subState`, and `detail` in
 * machina's words (a pid, an exit status) — never supervisord's own
 * description, which holds the spawn error with the command's path.
 */
export function statusFromProcessInfo(name: string, info: XmlRpcValue): ServiceStatus {
  if (!isStruct(info)) return { name, active: false, state: "unknown", detail: "supervisord answered no process information" };
  const code = typeof info.state === "number" ? info.state : -1;
  const known = STATES[code];
  const subState = known?.name ?? (typeof info.statename === "string" && /^[A-Z]{1,20}$/.test(info.statename) ? info.statename : undefined);
  let state: ServiceState = known?.state ?? "unknown";
  const exit = integer(info, "exitstatus");
  if (code === 100 && exit !== undefined && exit !== 0) state = "failed";
  const pid = integer(info, "pid");
  const detail =
    code === 20 && pid
      ? `pid ${pid}`
      : code === 100
        ? `exited with status ${exit ?? "unknown"}`
        : code === 200 || code === 30
          ? // supervisord's spawnerr (held back: it names the command) says which of the two it was.
            typeof info.spawnerr === "string" && info.spawnerr !== "" && !info.spawnerr.startsWith("Exited too quickly")
            ? "supervisord could not spawn it"
            : "it exited too quickly"
          : code === 0 && integer(info, "start") === 0
            ? "not started since supervisord started"
            : undefined;
  const when = code === 10 || code === 20 || code === 30 ? integer(info, "start") : integer(info, "stop");
  return {
    name,
    active: state === "active",
    state,
    ...(subState ? { subState } : {}),
    ...(detail ? { detail } : {}),
    ...(when ? { since: new Date(when * 1000).toISOString() } : {}),
  };
}

function integer(info: XmlRpcStruct, key: string): number | undefined {
  const v = info[key];
  return typeof v === "number" && Number.isSafeInteger(v) ? v : undefined;
}
