/**
 * The `service` capability module: `[[service]]`, the `service.list` and
 * `service.<action>` capabilities, and the `service.*` methods. `authorise`
 * validates the name for the backend (invalid-params), canonicalises it and
 * checks it against the policy for the action (policy-denied); nothing touches
 * the filesystem or runs a process before both pass.
 */
import {
  SERVICE_FAILURE_LOG_LINES,
  SERVICE_LOG_DEFAULT_LINES,
  type Capability,
  type ServiceAction,
  type ServiceListEntry,
  type ServiceStatus,
} from "@machina/protocol";
import {
  allow,
  defineModule,
  methodsOf,
  refuse,
  type AuthoriseContext,
  type CapabilityRule,
  type Decision,
  type ModuleRuntime,
  type ModuleStartContext,
} from "../capability/capability-module.js";
import { Fault, InvalidParamsFault } from "../faults.js";
import type { Logger } from "../logger.js";
import { readLogFile } from "./log-file.js";
import { createServiceBackend } from "./select-backend.js";
import type { LogExcerpt, LogRequest, ServiceBackend, ServiceChange } from "./service-backend.js";
import { ServiceRules } from "./service-rules.js";
import { explainServiceSection, parseServiceSection, type ServiceRule, type ServiceSection } from "./service-section.js";

/** Where a service's log is read: the policy's file below --root, or the backend's own log. */
type LogSource = { file?: string };

export class ServiceRuntime implements ModuleRuntime<ServiceSection> {
  constructor(
    readonly backend: ServiceBackend,
    /** --root: policy log files are below it. */
    private readonly root: string,
    private readonly logger: Logger,
  ) {}

  rules(section: ServiceSection): ServiceRules {
    return new ServiceRules(section.rules, (n) => this.backend.canonicalName(n));
  }

  /** Reads a log the policy allows (readableLog decided the source). */
  async readLog(name: string, source: LogSource, request: LogRequest): Promise<LogExcerpt> {
    if (source.file !== undefined) return readLogFile(this.root, source.file, request, this.logger);
    if (!this.backend.log) throw new Error(`the ${this.backend.kind} backend keeps no log (authorise should have refused)`);
    return this.backend.log(name, request);
  }

  /** Where `log` reads the service's log, or why it cannot. */
  readableLog(section: ServiceSection, name: string): LogSource | string {
    const source = this.rules(section).logSource(name);
    if (!source) return "the policy does not allow log on this service";
    if (source.file === undefined && !this.backend.log) {
      return `the policy names no log file for this service (log = "/var/log/…" in its [[service]] entry), and the ${this.backend.kind} backend keeps no log of its own`;
    }
    return source;
  }

  /**
   * A start, restart or reload failed: when the policy allows `log` on the
   * service, the fault carries its last lines. Reading them may fail too;
   * the original fault is what the client gets either way.
   */
  async withLastLines(fault: Fault, section: ServiceSection, name: string): Promise<Fault> {
    if (fault.kind !== "backend-failed") return fault;
    const source = this.readableLog(section, name);
    if (typeof source === "string") return fault;
    try {
      const { lines } = await this.readLog(name, source, { lines: SERVICE_FAILURE_LOG_LINES, flush: true });
      return new Fault("backend-failed", fault.message, { ...(fault.fields as Fault<"backend-failed">["fields"]), log: lines });
    } catch (e) {
      this.logger.warn(`${name}: the log lines for a failure could not be read: ${(e as Error).message}`);
      return fault;
    }
  }

  close(): void {
    this.backend.close();
  }
}

type Call = AuthoriseContext<ServiceSection, ServiceRuntime>;

/** The canonical name, once the policy allows `action` on it. */
function authoriseAction(action: ServiceAction, name: string, { section, runtime }: Call): Decision<string> {
  const canonical = runtime.backend.canonicalName(name);
  if (canonical === undefined) {
    const what = runtime.backend.kind === "systemd" ? "a systemd service unit name" : "an init script name";
    throw new InvalidParamsFault(`${JSON.stringify(name.slice(0, 100))} is not ${what}`, { param: "/name" });
  }
  if (!runtime.rules(section).allows(action, canonical)) return refuse(canonical, `the policy does not allow ${action} on this service`);
  return allow(canonical, canonical === name ? [] : [canonical]);
}

const on = methodsOf<ServiceSection, ServiceRuntime>();

/** Actions whose failure answers the service's last log lines (when the policy allows reading them). */
const LOGS_ON_FAILURE: ReadonlySet<ServiceChange> = new Set(["start", "restart", "reload"]);

function changeMethod<A extends ServiceChange>(action: A) {
  return on({
    method: `service.${action}`,
    targets: ({ name }) => [name],
    authorise: ({ name }, call) => authoriseAction(action, name, call),
    run: async ({ value: name }, { runtime, section }) => {
      try {
        return await runtime.backend.change(action, name);
      } catch (e) {
        if (!(e instanceof Fault) || !LOGS_ON_FAILURE.has(action)) throw e;
        throw await runtime.withLastLines(e as Fault, section, name);
      }
    },
  });
}

function bootMethod<A extends "enable" | "disable">(action: A) {
  return on({
    method: `service.${action}`,
    targets: ({ name }) => [name],
    authorise: ({ name }, call) => authoriseAction(action, name, call),
    run: ({ value: name }, { runtime }) => {
      const backend = runtime.backend;
      if (!backend.setEnabled) {
        throw new Fault("backend-failed", `${name} ${action}: the ${backend.kind} backend cannot change whether a service starts at boot`, { backend: backend.kind, retryable: false });
      }
      return backend.setEnabled(name, action === "enable");
    },
  });
}

/** `service.list` needs any allowed action; `service.X` a rule allowing X (`log`: with its log file, if it names one). */
function actionCapability(action: ServiceAction | "list"): CapabilityRule<ServiceSection, ServiceRuntime> {
  const describe = (s: ServiceRule) => ({
    ...(s.name !== undefined ? { name: s.name } : { pattern: s.pattern!.source }),
    ...(action === "log" && s.log !== undefined ? { log: s.log } : {}),
  });
  if (action === "list") {
    return {
      granted: (s) => s.rules.some((r) => r.actions.length > 0),
      resources: (s) => ({ services: s.rules.filter((r) => r.actions.length > 0).map((r) => ({ ...describe(r), actions: r.actions })) }),
    };
  }
  return {
    granted: (s) => s.rules.some((r) => r.actions.includes(action)),
    resources: (s) => ({ services: s.rules.filter((r) => r.actions.includes(action)).map(describe) }),
  };
}

export const serviceModule = defineModule({
  name: "service",
  tomlKeys: ["service"],
  parse: (doc, v, options): ServiceSection => parseServiceSection(doc, v, options),
  explain: (section: ServiceSection) => explainServiceSection(section),
  capabilities: {
    "service.list": actionCapability("list"),
    "service.status": actionCapability("status"),
    "service.start": actionCapability("start"),
    "service.stop": actionCapability("stop"),
    "service.restart": actionCapability("restart"),
    "service.reload": actionCapability("reload"),
    "service.enable": actionCapability("enable"),
    "service.disable": actionCapability("disable"),
    "service.log": actionCapability("log"),
  } satisfies { [C in Capability & `service.${string}`]: CapabilityRule<ServiceSection, ServiceRuntime> },
  start: (ctx: ModuleStartContext) =>
    new ServiceRuntime(
      createServiceBackend({
        choice: ctx.options.serviceBackend ?? "auto",
        ...(ctx.options.initdDir ? { initdDir: ctx.options.initdDir } : {}),
        timeoutMs: ctx.callTimeoutMs,
        logger: ctx.logger,
        env: ctx.env,
      }),
      ctx.root,
      ctx.logger,
    ),
  methods: [
    on({
      method: "service.list",
      targets: () => [],
      // The policy's rules decide what is listed; each listed name is a target of the audit line.
      authorise: (_params, { section, runtime }) => allow(runtime.rules(section)),
      run: async ({ value: rules }, { runtime, addTargets }) => {
        const backend = runtime.backend;
        const listed = await rules.listed(() => backend.existing());
        addTargets(listed.map((s) => s.name));
        const services: ServiceListEntry[] = [];
        for (const { name, actions } of listed) {
          let status: ServiceStatus;
          try {
            status = await backend.status(name);
          } catch (e) {
            // One broken or missing service must not hide the others.
            if (!(e instanceof Fault) || e.kind === "timeout") throw e;
            status = { name, active: false, state: "unknown", detail: e.message };
          }
          services.push({ status, actions });
        }
        return { services };
      },
    }),
    on({
      method: "service.status",
      targets: ({ name }) => [name],
      authorise: ({ name }, call) => authoriseAction("status", name, call),
      run: ({ value: name }, { runtime }) => runtime.backend.status(name),
    }),
    changeMethod("start"),
    changeMethod("stop"),
    changeMethod("restart"),
    changeMethod("reload"),
    bootMethod("enable"),
    bootMethod("disable"),
    on({
      method: "service.log",
      targets: ({ name }) => [name],
      authorise: (params, call) => {
        const decision = authoriseAction("log", params.name, call);
        if (!decision.allowed) return decision;
        const source = call.runtime.readableLog(call.section, decision.value);
        if (typeof source === "string") return refuse(decision.value, source);
        const request: LogRequest = { lines: params.lines ?? SERVICE_LOG_DEFAULT_LINES, ...(params.cursor !== undefined ? { cursor: params.cursor } : {}) };
        return allow({ name: decision.value, source, request }, [...decision.targets, ...(source.file !== undefined ? [source.file] : [])]);
      },
      run: async ({ value: { name, source, request } }, { runtime }) => ({ name, ...(await runtime.readLog(name, source, request)) }),
    }),
  ],
});
