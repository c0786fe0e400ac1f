/**
 * A stand-in for systemd's D-Bus API, for machines where systemd cannot run as
 * PID 1 (containers, CI). It owns `org.freedesktop.systemd1` on a real D-Bus
 * bus (a private dbus-daemon, see fake-systemd-bus.ts) and implements, over
 * the real wire protocol, the subset of `org.freedesktop.systemd1.Manager` and
 * `org.freedesktop.systemd1.Unit` machinad uses:
 *
 *   Manager: Subscribe, Unsubscribe, LoadUnit, GetUnit, StartUnit, StopUnit,
 *            RestartUnit, ReloadUnit, ListUnits, ListUnitFiles; signal JobRemoved
 *   Unit:    Id, LoadState, ActiveState, SubState, StateChangeTimestamp
 *            (through org.freedesktop.DBus.Properties)
 *
 * with systemd's behaviour where machinad depends on it: jobs answer their
 * object path at once and finish later with JobRemoved (result `done`,
 * `failed` or `canceled`); a unit name without a unit file is NoSuchUnit for
 * jobs and LoadState `not-found` for LoadUnit; a template (`example@.service`)
 * makes every instance loadable; reloading a unit without ExecReload, or an
 * inactive one, is JobTypeNotApplicable. Units come from the same
 * {@link TestUnit} specs the real-systemd path writes as unit files.
 */
import dbus from "dbus-next";
import type { TestUnit } from "./systemd-test-units.js";

const MANAGER = "org.freedesktop.systemd1.Manager";
const UNIT = "org.freedesktop.systemd1.Unit";
const ROOT = "/org/freedesktop/systemd1";

type ActiveState = "active" | "inactive" | "failed" | "activating" | "deactivating" | "reloading";

/** systemd's bus_label_escape: every byte but [A-Za-z0-9] becomes _XX. */
function escapeLabel(s: string): string {
  return [...Buffer.from(s)].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `_${b.toString(16).padStart(2, "0")}`)).join("");
}

/** Microseconds since the epoch, strictly increasing (as systemd's realtime stamps of successive changes are). */
let lastStamp = 0n;
function nowUs(): bigint {
  const t = BigInt(Date.now()) * 1000n;
  lastStamp = t > lastStamp ? t : lastStamp + 1n;
  return lastStamp;
}

class FakeUnit extends dbus.interface.Interface {
  activeState: ActiveState = "inactive";
  subState = "dead";
  changedAt = 0n;
  /** A start job that never finishes (spec `start: "hang"`), until stopped. */
  pendingJob: { id: number; path: string } | undefined;

  constructor(
    readonly id: string,
    readonly spec: TestUnit | undefined,
  ) {
    super(UNIT);
  }

  get Id(): string {
    return this.id;
  }
  get LoadState(): string {
    return this.spec ? "loaded" : "not-found";
  }
  get ActiveState(): string {
    return this.activeState;
  }
  get SubState(): string {
    return this.subState;
  }
  get StateChangeTimestamp(): bigint {
    return this.changedAt;
  }

  set(state: ActiveState, sub: string): void {
    this.activeState = state;
    this.subState = sub;
    this.changedAt = nowUs();
  }
}
FakeUnit.configureMembers({
  properties: {
    Id: { signature: "s", access: "read" },
    LoadState: { signature: "s", access: "read" },
    ActiveState: { signature: "s", access: "read" },
    SubState: { signature: "s", access: "read" },
    StateChangeTimestamp: { signature: "t", access: "read" },
  },
});

function busError(type: string, text: string): dbus.DBusError {
  return new dbus.DBusError(`org.freedesktop.systemd1.${type}`, text);
}

class FakeManager extends dbus.interface.Interface {
  private readonly units = new Map<string, FakeUnit>();
  private nextJob = 1;
  /** Calls received, by member, for diagnostics. */
  readonly calls: string[] = [];

  constructor(
    private readonly bus: dbus.MessageBus,
    private readonly specs: readonly TestUnit[],
  ) {
    super(MANAGER);
  }

  Subscribe(): void {
    this.calls.push("Subscribe");
  }
  Unsubscribe(): void {}

  LoadUnit(name: string): string {
    this.calls.push(`LoadUnit ${name}`);
    return this.unitPath(this.unit(name));
  }

  GetUnit(name: string): string {
    const u = this.units.get(name);
    if (!u || !u.spec) throw busError("NoSuchUnit", `Unit ${name} not loaded.`);
    return this.unitPath(u);
  }

  StartUnit(name: string, mode: string): string {
    return this.job("start", name, mode);
  }
  StopUnit(name: string, mode: string): string {
    return this.job("stop", name, mode);
  }
  RestartUnit(name: string, mode: string): string {
    return this.job("restart", name, mode);
  }
  ReloadUnit(name: string, mode: string): string {
    return this.job("reload", name, mode);
  }

  ListUnits(): unknown[][] {
    return [...this.units.values()]
      .filter((u) => u.spec || u.activeState !== "inactive")
      .map((u) => [u.id, "", u.LoadState, u.activeState, u.subState, "", this.unitPath(u), 0, "", "/"]);
  }

  ListUnitFiles(): string[][] {
    return this.specs.map((s) => [`/run/systemd/system/${s.name}`, "static"]);
  }

  JobRemoved(id: number, job: string, unit: string, result: string): unknown[] {
    return [id, job, unit, result];
  }

  private job(kind: "start" | "stop" | "restart" | "reload", name: string, mode: string): string {
    this.calls.push(`${kind} ${name} ${mode}`);
    if (mode !== "replace") throw new dbus.DBusError("org.freedesktop.DBus.Error.InvalidArgs", `Job mode ${mode} invalid.`);
    const u = this.unit(name);
    if (!u.spec) throw busError("NoSuchUnit", `Unit ${name} not found.`);
    if (kind === "reload" && (!u.spec.reload || u.activeState !== "active")) {
      throw busError("JobTypeNotApplicable", `Job type reload is not applicable for unit ${name}.`);
    }
    const id = this.nextJob++;
    const path = `${ROOT}/job/${id}`;
    // The reply (the job's path) goes out first; the job runs afterwards, as in systemd.
    setTimeout(() => this.run(kind, u, id, path), 5);
    return path;
  }

  private run(kind: "start" | "stop" | "restart" | "reload", u: FakeUnit, id: number, path: string): void {
    const done = (result: string): void => void this.JobRemoved(id, path, u.id, result);
    if (kind === "stop" || kind === "restart") {
      if (u.pendingJob) {
        const p = u.pendingJob;
        u.pendingJob = undefined;
        this.JobRemoved(p.id, p.path, u.id, "canceled");
      }
      u.set("inactive", "dead");
      if (kind === "stop") return done("done");
    }
    if (kind === "reload") {
      u.set("active", "running");
      return done("done");
    }
    if (u.activeState === "active") return done("done");
    switch (u.spec!.start) {
      case "fail":
        u.set("failed", "failed");
        return done("failed");
      case "hang":
        u.set("activating", "start");
        u.pendingJob = { id, path };
        return;
      default:
        u.set("active", "running");
        return done("done");
    }
  }

  /** The unit for a name, loaded on first use (every name loads; those without a unit file are not-found). */
  private unit(name: string): FakeUnit {
    let u = this.units.get(name);
    if (!u) {
      const template = name.replace(/@[^.]+\.service$/, "@.service");
      const spec = this.specs.find((s) => s.name === name || (s.name.includes("@.") && s.name === template));
      u = new FakeUnit(name, spec);
      this.units.set(name, u);
      this.bus.export(this.unitPath(u), u);
    }
    return u;
  }

  private unitPath(u: FakeUnit): string {
    return `${ROOT}/unit/${escapeLabel(u.id)}`;
  }
}
FakeManager.configureMembers({
  methods: {
    Subscribe: {},
    Unsubscribe: {},
    LoadUnit: { inSignature: "s", outSignature: "o" },
    GetUnit: { inSignature: "s", outSignature: "o" },
    StartUnit: { inSignature: "ss", outSignature: "o" },
    StopUnit: { inSignature: "ss", outSignature: "o" },
    RestartUnit: { inSignature: "ss", outSignature: "o" },
    ReloadUnit: { inSignature: "ss", outSignature: "o" },
    ListUnits: { outSignature: "a(ssssssouso)" },
    ListUnitFiles: { outSignature: "a(ss)" },
  },
  signals: {
    JobRemoved: { signature: "uoss" },
  },
});

/** The fake, connected to `busAddress` and owning org.freedesktop.systemd1 there. */
export class FakeSystemd {
  private constructor(
    private readonly bus: dbus.MessageBus,
    readonly manager: FakeManager,
  ) {}

  static async start(busAddress: string, units: readonly TestUnit[]): Promise<FakeSystemd> {
    const bus = dbus.sessionBus({ busAddress });
    bus.on("error", () => undefined);
    const manager = new FakeManager(bus, units);
    bus.export(ROOT, manager);
    const reply = await bus.requestName("org.freedesktop.systemd1", dbus.NameFlag.DO_NOT_QUEUE);
    if (reply !== dbus.RequestNameReply.PRIMARY_OWNER) throw new Error(`the fake systemd could not own org.freedesktop.systemd1 (reply ${reply})`);
    return new FakeSystemd(bus, manager);
  }

  stop(): void {
    this.bus.disconnect();
  }
}
