/**
 * The `service` capability module: `[[service]]`, the `service.list` and
 * `service.<action>` capabilities, and the `service.*` methods. `authorise`
 * validates the name for the backend (invalid-params), canonicalises it and
 * checks it against the policy for the action (policy-denied); nothing touches
 * the filesystem or runs a process before both pass. With supervisor entries
 * the daemon has two backends; service-routing.ts says which one a name goes to.
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
import { runConfigTest } from "./config-test.js";
import { readLogFile } from "./log-file.js";
import { createServiceBackend } from "./select-backend.js";
import type { LogExcerpt, LogRequest, ServiceBackend, ServiceChange } from "./service-backend.js";
import type { ConfigTest } from "./service-entry-options.js";
import { logSourceOf, nameRulesOf, routeReloadSignal, routeTests, ServiceRouter, withBackend, type LogSource } from "./service-routing.js";
import { explainServiceSection, parseServiceSection, type ServiceRule, type ServiceSection } from "./service-section.js";
import { SupervisorBackend } from "./supervisor-backend.js";
import { DEFAULT_SUPERVISOR_SOCKET } from "./supervisor-rpc.js";

export class ServiceRuntime implements ModuleRuntime<ServiceSection> {
  constructor(
    /** The daemon's own backend (--service-backend). */
    readonly backend: ServiceBackend,
    /** supervisord, for entries with backend = "supervisor" (it connects only when called). */
    readonly supervisor: ServiceBackend,
    /** --root: policy log files are below it. */
    private readonly root: string,
    readonly logger: Logger,
    readonly callTimeoutMs: number,
  ) {}

  router(section: ServiceSection): ServiceRouter {
    return new ServiceRouter(section.rules, { default: this.backend, supervisor: this.supervisor });
  }

  /** Reads a log the policy allows (authorise decided the source). */
  async readLog(backend: ServiceBackend, name: string, source: LogSource, request: LogRequest): Promise<LogExcerpt> {
    if (source.file !== undefined) return readLogFile(this.root, source.file, request, this.logger);
    if (!backend.log) throw new Error(`the ${backend.kind} backend keeps no log (authorise should have refused)`);
    return backend.log(name, request);
  }

  /**
   * A start, restart or reload failed: when the policy allows `log` on the
   * service, the fault carries its last lines. Reading them may fail too;
   * the original fault is what the client gets either way.
   */
  async withLastLines(fault: Fault, call: ServiceCall): Promise<Fault> {
    if (fault.kind !== "backend-failed" || typeof call.log !== "object") return fault;
    try {
      const { lines } = await this.readLog(call.backend, call.name, call.log, { lines: SERVICE_FAILURE_LOG_LINES, flush: true });
      return new Fault("backend-failed", fault.message, { ...(fault.fields as Fault<"backend-failed">["fields"]), log: lines });
    } catch (e) {
      this.logger.warn(`${call.name}: the log lines for a failure could not be read: ${(e as Error).message}`);
      return fault;
    }
  }

  close(): void {
    this.backend.close();
    this.supervisor.close();
  }
}

type Call = AuthoriseContext<ServiceSection, ServiceRuntime>;

/** A call the policy allows: the backend and canonical name, and what its entries ask of a change. */
export interface ServiceCall {
  backend: ServiceBackend;
  name: string;
  tests: ConfigTest[];
  reloadSignal: string;
  /** Where its log is read, or why it cannot be (no entry allows `log`, or nothing to read). */
  log: LogSource | string;
}

/** The backend and canonical name, once the policy allows `action` on the name there. */
function authoriseAction(action: ServiceAction, name: string, { section, runtime }: Call): Decision<ServiceCall> {
  const routing = runtime.router(section).route(name);
  switch (routing.kind) {
    case "invalid":
      throw new InvalidParamsFault(`${JSON.stringify(name.slice(0, 100))} is not ${nameRulesOf(routing.backends)}`, { param: "/name" });
    case "unlisted":
      return refuse(routing.name, `the policy does not allow ${action} on this service`);
    case "ambiguous":
      return refuse(routing.name, `the policy names this service for more than one backend (${routing.backends.join(" and ")}), so no call on it is allowed`);
  }
  const { route } = routing;
  if (!route.rules.some((r) => r.actions.includes(action))) return refuse(route.name, `the policy does not allow ${action} on this service`);
  const reloadSignal = routeReloadSignal(route);
  if (reloadSignal === undefined) return refuse(route.name, "the policy's entries for this service disagree on its reload_signal");
  const call = {
    backend: route.backend,
    name: route.name,
    tests: action === "restart" || action === "reload" ? routeTests(route) : [],
    reloadSignal,
    log: logSourceOf(route),
  };
  return allow(call, route.name === name ? [] : [route.name]);
}

const on = methodsOf<ServiceSection, ServiceRuntime>();

/** Actions whose failure answers the service's last log lines (when the policy allows reading them). */
const LOGS_ON_FAILURE: ReadonlySet<ServiceChange> = new Set(["start", "restart", "reload"]);

function changeMethod<A extends ServiceChange>(action: A) {
  return on({
    method: `service.${action}`,
    targets: ({ name }) => [name],
    authorise: ({ name }, call) => authoriseAction(action, name, call),
    // A configuration test runs within its own timeout, on top of the call's.
    timeLimitMs: ({ tests }, { runtime }) => (tests.length ? runtime.callTimeoutMs + tests.reduce((ms, t) => ms + t.timeout * 1000, 0) : undefined),
    run: async ({ value: c }, { runtime }) => {
      for (const test of c.tests) await runConfigTest(test, c.name, action, runtime.logger);
      try {
        return withBackend(await c.backend.change(action, c.name, { reloadSignal: c.reloadSignal }), c.backend);
      } catch (e) {
        if (!(e instanceof Fault) || !LOGS_ON_FAILURE.has(action)) throw e;
        throw await runtime.withLastLines(e as Fault, c);
      }
    },
  });
}

function bootMethod<A extends "enable" | "disable">(action: A) {
  return on({
    method: `service.${action}`,
    targets: ({ name }) => [name],
    authorise: ({ name }, call) => authoriseAction(action, name, call),
    run: async ({ value: { backend, name } }) => {
      if (!backend.setEnabled) {
        throw new Fault("backend-failed", `${name} ${action}: the ${backend.kind} backend cannot change whether a service starts at boot`, { backend: backend.kind, retryable: false });
      }
      return withBackend(await backend.setEnabled(name, action === "enable"), backend);
    },
  });
}

/** `service.list` needs any allowed action; `service.X` a rule allowing X (`log`: with its log file, if it names one). */
function actionCapability(action: ServiceAction | "list"): CapabilityRule<ServiceSection, ServiceRuntime> {
  const describe = (s: ServiceRule) => ({
    ...(s.name !== undefined ? { name: s.name } : { pattern: s.pattern!.source }),
    ...(s.backend ? { backend: s.backend } : {}),
    ...(s.test ? { test: true } : {}),
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
      new SupervisorBackend({
        socketPath: ctx.options.supervisorSocket ?? DEFAULT_SUPERVISOR_SOCKET,
        ...(ctx.options.supervisorAuthFile ? { authFile: ctx.options.supervisorAuthFile } : {}),
        timeoutMs: ctx.callTimeoutMs,
        logger: ctx.logger,
      }),
      ctx.root,
      ctx.logger,
      ctx.callTimeoutMs,
    ),
  methods: [
    on({
      method: "service.list",
      targets: () => [],
      // The policy's rules decide what is listed; each listed name is a target of the audit line.
      authorise: (_params, { section, runtime }) => allow(runtime.router(section)),
      run: async ({ value: router }, { addTargets }) => {
        const listed = await router.listed();
        addTargets(listed.map((s) => s.name));
        const services: ServiceListEntry[] = [];
        for (const { backend, name, actions, ambiguous } of listed) {
          let status: ServiceStatus;
          if (ambiguous) status = { name, active: false, state: "unknown", detail: "the policy names this service for more than one backend; no call on it is allowed" };
          else {
            try {
              status = await backend.status(name);
            } catch (e) {
              // One broken or missing service must not hide the others.
              if (!(e instanceof Fault) || e.kind === "timeout") throw e;
              status = { name, active: false, state: "unknown", detail: e.message };
            }
          }
          services.push({ status: withBackend(status, backend), actions });
        }
        return { services };
      },
    }),
    on({
      method: "service.status",
      targets: ({ name }) => [name],
      authorise: ({ name }, call) => authoriseAction("status", name, call),
      run: async ({ value: c }) => withBackend(await c.backend.status(c.name), c.backend),
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
        const c = decision.value;
        if (typeof c.log === "string") return refuse(c.name, c.log);
        const request: LogRequest = { lines: params.lines ?? SERVICE_LOG_DEFAULT_LINES, ...(params.cursor !== undefined ? { cursor: params.cursor } : {}) };
        return allow({ call: c, source: c.log, request }, [...decision.targets, ...(c.log.file !== undefined ? [c.log.file] : [])]);
      },
      run: async ({ value: { call, source, request } }, { runtime }) => ({ name: call.name, ...(await runtime.readLog(call.backend, call.name, source, request)) }),
    }),
  ],
});
