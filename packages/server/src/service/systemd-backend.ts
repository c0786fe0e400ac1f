/**
 * systemd over D-Bus (dbus-next): `org.freedesktop.systemd1.Manager`'s
 * StartUnit / StopUnit / RestartUnit / ReloadUnit with mode `replace`, waiting
 * for the job's `JobRemoved` signal within the timeout, then reading
 * ActiveState / SubState from the unit.
 *
 * It speaks to the bus with plain messages rather than introspected proxies:
 * one round trip per call, and nothing depends on what introspection answers.
 * The connection is made on first use and dropped on any bus error, so the
 * daemon starts even when D-Bus is down and recovers when it comes back.
 *
 * Enabling and disabling at boot are EnableUnitFiles / DisableUnitFiles (not
 * runtime, not forced) followed by Reload, as `systemctl enable` does; the
 * unit's log is its journal (./journal.ts).
 */
import type * as DBus from "dbus-next";
import type { ServiceState, ServiceStatus } from "@machina/protocol";
import { Fault, NotFoundFault } from "../faults.js";
import type { Logger } from "../logger.js";
import { readJournal } from "./journal.js";
import type { LogExcerpt, LogRequest, ServiceBackend, ServiceChange } from "./service-backend.js";
import { systemdUnitName } from "./service-name.js";

// dbus-next is loaded on first use: most machines run the init-script backend,
// and loading it costs a noticeable share of the daemon's start-up.
let dbusModule: typeof DBus | undefined;
async function loadDbus(): Promise<typeof DBus> {
  dbusModule ??= ((await import("dbus-next")) as unknown as { default: typeof DBus }).default;
  return dbusModule;
}
function loadedDbus(): typeof DBus {
  if (!dbusModule) throw new Error("dbus-next used before the first connection");
  return dbusModule;
}

const SYSTEMD = "org.freedesktop.systemd1";
const MANAGER_PATH = "/org/freedesktop/systemd1";
const MANAGER = "org.freedesktop.systemd1.Manager";
const UNIT = "org.freedesktop.systemd1.Unit";
const SERVICE = "org.freedesktop.systemd1.Service";
/** A loaded unit's D-Bus object path: systemd's bus_label_escape() of its name under …/unit/. */
export function unitObjectPath(name: string): string {
  let label = "";
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    label += /[A-Za-z]/.test(ch) || (/[0-9]/.test(ch) && i > 0) ? ch : `_${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
  }
  return `${MANAGER_PATH}/unit/${label || "_"}`;
}

/** What a status reports, read from the unit's D-Bus object. */
const STATUS_PROPERTIES = ["LoadState", "ActiveState", "SubState", "StateChangeTimestamp", "UnitFileState"] as const;

/**
 * UnitFileState as `enabled`: whether the unit's [Install] links exist. Other
 * states (static, indirect, generated, transient, alias, bad) are not a unit
 * that is enabled or disabled itself: `enabled` is then absent.
 */
const ENABLED_BY_UNIT_FILE_STATE: ReadonlyMap<string, boolean> = new Map([
  ["enabled", true],
  ["enabled-runtime", true],
  ["disabled", false],
  ["masked", false],
  ["masked-runtime", false],
  ["linked", false],
  ["linked-runtime", false],
]);
const JOB_REMOVED_MATCH = `type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='JobRemoved'`;

const METHOD_OF: Record<ServiceChange, string> = {
  start: "StartUnit",
  stop: "StopUnit",
  restart: "RestartUnit",
  reload: "ReloadUnit",
};

const STATES: ReadonlySet<string> = new Set(["active", "inactive", "failed", "activating", "deactivating", "reloading"]);

/** How many JobRemoved results are kept for jobs whose reply has not been read yet. */
const EARLY_RESULTS = 256;

export interface SystemdBackendOptions {
  /** A D-Bus address (`unix:path=…`); the system bus when absent. */
  busAddress?: string;
  timeoutMs: number;
  logger: Logger;
}

interface Connection {
  bus: DBus.MessageBus;
  /** Job object path → a waiter for its result. */
  waiting: Map<string, (result: string) => void>;
  /** Results of jobs removed before anyone waited for them (a job can end before its reply is read). */
  early: Map<string, string>;
  /**
   * Rejects when the connection fails. dbus-next leaves a call whose
   * connection died pending forever, so every call races this (and a deadline).
   */
  lost: Promise<never>;
}

export class SystemdBackend implements ServiceBackend {
  readonly kind = "systemd" as const;
  private connection: Promise<Connection> | undefined;
  /** The connection being opened or in use; a lost one is forgotten only if it is still this one. */
  private live: Connection | undefined;

  constructor(private readonly options: SystemdBackendOptions) {}

  canonicalName(name: string): string | undefined {
    return systemdUnitName(name);
  }

  async status(name: string): Promise<ServiceStatus> {
    const c = await this.connect();
    let unitPath: string;
    try {
      // LoadUnit, not GetUnit: a unit that is stopped may not be loaded at all.
      unitPath = String((await this.call(c, MANAGER_PATH, MANAGER, "LoadUnit", "s", [name]))[0]);
    } catch (e) {
      throw this.fault(e, name, "status");
    }
    return this.readUnit(c, name, unitPath);
  }

  async change(action: ServiceChange, name: string): Promise<ServiceStatus> {
    const c = await this.connect();
    let job: string;
    const deadline = Date.now() + this.options.timeoutMs;
    try {
      job = String((await this.call(c, MANAGER_PATH, MANAGER, METHOD_OF[action], "ss", [name, "replace"]))[0]);
    } catch (e) {
      throw this.fault(e, name, action);
    }
    const result = await this.jobResult(c, job, Math.max(1, deadline - Date.now()), name, action);
    // The unit is loaded now (a job ran on it): its object path is known without a LoadUnit
    // round trip (one D-Bus round trip is ~0.5 ms here, a third of what a restart adds).
    const after = await this.readUnit(c, name, unitObjectPath(name)).catch(() => this.status(name));
    if (result !== "done") {
      // The job's result says only "failed"; the service's Result says why (exit-code, signal, timeout, …).
      const why = await this.serviceResult(c, name);
      throw new Fault("backend-failed", `${name} ${action}: the systemd job ended "${result}" (unit now ${after.state}${after.subState ? `/${after.subState}` : ""}${why ? `, result ${why}` : ""})`, {
        backend: "systemd",
        retryable: result === "timeout" || result === "canceled",
        detail: `job result: ${result}${why ? `; unit result: ${why}` : ""}`,
      });
    }
    return after;
  }

  async setEnabled(name: string, enabled: boolean): Promise<ServiceStatus> {
    const verb = enabled ? "enable" : "disable";
    const c = await this.connect();
    try {
      if (enabled) {
        const [carriesInstallInfo] = await this.call(c, MANAGER_PATH, MANAGER, "EnableUnitFiles", "asbb", [[name], false, false]);
        if (carriesInstallInfo === false) {
          throw new Fault("backend-failed", `${name} enable: the unit has no [Install] section, so there is nothing to enable (it is started by other units, if at all)`, {
            backend: "systemd",
            retryable: false,
          });
        }
      } else {
        await this.call(c, MANAGER_PATH, MANAGER, "DisableUnitFiles", "asb", [[name], false]);
      }
      // As `systemctl enable` does: systemd re-reads its unit files, so the new links count.
      await this.call(c, MANAGER_PATH, MANAGER, "Reload", "", []);
    } catch (e) {
      throw this.fault(e, name, verb);
    }
    return this.status(name);
  }

  log(name: string, request: LogRequest): Promise<LogExcerpt> {
    return readJournal(name, request, { timeoutMs: this.options.timeoutMs, logger: this.options.logger });
  }

  /** The service's `Result` when it is not `success`; undefined when it is, or cannot be read. */
  private async serviceResult(c: Connection, name: string): Promise<string | undefined> {
    try {
      const unitPath = String((await this.call(c, MANAGER_PATH, MANAGER, "LoadUnit", "s", [name]))[0]);
      const [value] = await this.call(c, unitPath, "org.freedesktop.DBus.Properties", "Get", "ss", [SERVICE, "Result"]);
      const result = String((value as DBus.Variant).value);
      return result && result !== "success" ? result : undefined;
    } catch {
      return undefined;
    }
  }

  async existing(): Promise<string[]> {
    const c = await this.connect();
    const names = new Set<string>();
    try {
      // Loaded units (instances of templates appear only here) …
      const [units] = await this.call(c, MANAGER_PATH, MANAGER, "ListUnits", "", []);
      for (const u of units as unknown[][]) {
        const id = String(u[0]);
        const load = String(u[2]);
        if (id.endsWith(".service") && load !== "not-found") names.add(id);
      }
      // … and unit files, which exist whether loaded or not (templates themselves cannot be run).
      const [files] = await this.call(c, MANAGER_PATH, MANAGER, "ListUnitFiles", "", []);
      for (const f of files as unknown[][]) {
        const id = String(f[0]).split("/").pop() ?? "";
        if (id.endsWith(".service") && !id.includes("@.")) names.add(id);
      }
    } catch (e) {
      throw this.fault(e, "(list)", "list");
    }
    return [...names].filter((n) => systemdUnitName(n) === n).sort();
  }

  close(): void {
    const c = this.connection;
    this.connection = undefined;
    this.live = undefined;
    void c?.then((conn) => conn.bus.disconnect()).catch(() => undefined);
  }

  private async readUnit(c: Connection, name: string, unitPath: string): Promise<ServiceStatus> {
    let props: Record<string, DBus.Variant>;
    try {
      // The four properties by name, asked together: GetAll answers some ninety, and decoding
      // them in JavaScript cost more than the restart it reported on.
      const values = await Promise.all(STATUS_PROPERTIES.map((p) => this.call(c, unitPath, "org.freedesktop.DBus.Properties", "Get", "ss", [UNIT, p])));
      props = Object.fromEntries(STATUS_PROPERTIES.map((p, i) => [p, values[i]![0] as DBus.Variant]));
    } catch (e) {
      throw this.fault(e, name, "status");
    }
    const text = (k: string) => (props[k] === undefined ? undefined : String(props[k].value));
    const load = text("LoadState");
    if (load === "not-found") throw new NotFoundFault(`no such service: systemd has no unit ${name}`, name);
    const active = text("ActiveState") ?? "unknown";
    const state: ServiceState = STATES.has(active) ? (active as ServiceState) : "unknown";
    const sub = text("SubState");
    const since = timestamp(props.StateChangeTimestamp?.value);
    const enabled = ENABLED_BY_UNIT_FILE_STATE.get(text("UnitFileState") ?? "");
    return {
      name,
      active: state === "active" || state === "reloading",
      state,
      ...(sub ? { subState: sub } : {}),
      ...(load && load !== "loaded" ? { detail: `unit ${load}` } : {}),
      ...(since ? { since } : {}),
      ...(enabled !== undefined ? { enabled } : {}),
    };
  }

  private jobResult(c: Connection, job: string, ms: number, name: string, action: string): Promise<string> {
    const early = c.early.get(job);
    if (early !== undefined) {
      c.early.delete(job);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        c.waiting.delete(job);
        reject(new Fault("timeout", `${name} ${action}: the systemd job did not finish within ${this.options.timeoutMs} ms`, { timeoutMs: this.options.timeoutMs }));
      }, ms);
      c.waiting.set(job, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
  }

  private connect(): Promise<Connection> {
    this.connection ??= this.open().catch((e) => {
      this.connection = undefined;
      this.options.logger.warn(`cannot reach systemd over D-Bus: ${(e as Error).message}`);
      throw new Fault("backend-failed", "cannot reach systemd over D-Bus", { backend: "systemd", retryable: true });
    });
    return this.connection;
  }

  private async open(): Promise<Connection> {
    const dbus = await loadDbus();
    // sessionBus() is dbus-next's "connect to this address"; the bus is whatever the address names.
    const bus = this.options.busAddress ? dbus.sessionBus({ busAddress: this.options.busAddress }) : dbus.systemBus();
    let markLost!: (e: unknown) => void;
    const lost = new Promise<never>((_, reject) => (markLost = reject));
    lost.catch(() => undefined);
    const c: Connection = { bus, waiting: new Map(), early: new Map(), lost };
    this.live = c;
    bus.on("error", (e: unknown) => {
      markLost(e);
      this.options.logger.warn(`D-Bus connection lost: ${(e as Error)?.message ?? e}`);
      if (this.live === c) {
        this.live = undefined;
        this.connection = undefined;
      }
      for (const w of c.waiting.values()) w("disconnected");
      c.waiting.clear();
    });
    bus.on("message", (msg: DBus.Message) => {
      if (msg.type !== dbus.MessageType.SIGNAL || msg.interface !== MANAGER || msg.member !== "JobRemoved") return;
      const [, job, , result] = msg.body as [number, string, string, string];
      const waiter = c.waiting.get(job);
      if (waiter) {
        c.waiting.delete(job);
        waiter(result);
      } else {
        c.early.set(job, result);
        if (c.early.size > EARLY_RESULTS) c.early.delete(c.early.keys().next().value!);
      }
    });
    // The match rule goes first, and D-Bus keeps a connection's messages in order: no
    // JobRemoved of a job queued later can be missed. Subscribe makes systemd send them.
    try {
      await this.call(c, "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch", "s", [JOB_REMOVED_MATCH], "org.freedesktop.DBus");
      await this.call(c, MANAGER_PATH, MANAGER, "Subscribe", "", []);
    } catch (e) {
      if (this.live === c) this.live = undefined;
      bus.disconnect();
      throw e;
    }
    return c;
  }

  private async call(c: Connection, objectPath: string, iface: string, member: string, signature: string, body: unknown[], destination = SYSTEMD): Promise<unknown[]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Fault("timeout", `${member}: D-Bus did not answer within ${this.options.timeoutMs} ms`, { timeoutMs: this.options.timeoutMs })),
        this.options.timeoutMs,
      );
    });
    try {
      const reply = await Promise.race([c.bus.call(new (loadedDbus().Message)({ destination, path: objectPath, interface: iface, member, signature, body })), c.lost, deadline]);
      // dbus-next types a message body as any[].
      return (reply?.body as unknown[] | undefined) ?? [];
    } finally {
      clearTimeout(timer);
    }
  }

  /** A D-Bus error as the Fault the client gets; details go to the log. */
  private fault(e: unknown, name: string, action: string): Fault {
    if (e instanceof Fault) return e as Fault;
    const dbusError = dbusModule !== undefined && e instanceof dbusModule.DBusError ? e : undefined;
    const type = dbusError ? dbusError.type : "";
    const text = dbusError ? dbusError.text : (e as Error)?.message;
    // (EnableUnitFiles / DisableUnitFiles of a unit without a unit file answer FileNotFound.)
    if (type === "org.freedesktop.systemd1.NoSuchUnit" || type === "org.freedesktop.systemd1.LoadFailed" || type === "org.freedesktop.DBus.Error.FileNotFound") {
      return new NotFoundFault(`no such service: systemd has no unit ${name}`, name);
    }
    this.options.logger.warn(`systemd ${action} ${name}: ${type || "error"}: ${text}`);
    if (type.startsWith("org.freedesktop.systemd1.") || type === "org.freedesktop.DBus.Error.AccessDenied") {
      return new Fault("backend-failed", `${name} ${action}: systemd refused: ${text ?? type}`, { backend: "systemd", retryable: false, detail: type });
    }
    return new Fault("backend-failed", `${name} ${action}: D-Bus call failed`, { backend: "systemd", retryable: true, detail: type || undefined });
  }
}

/** systemd's µs-since-epoch timestamps (0: never) as ISO 8601. */
function timestamp(value: unknown): string | undefined {
  if (typeof value !== "bigint" && typeof value !== "number") return undefined;
  const us = BigInt(value);
  if (us <= 0n) return undefined;
  return new Date(Number(us / 1000n)).toISOString();
}
