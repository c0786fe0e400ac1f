/**
 * The `service` capability module: `[[service]]`, the `service.list` and
 * `service.<action>` capabilities, and the `service.*` methods. `authorise`
 * validates the name for the backend (invalid-params), canonicalises it and
 * checks it against the policy for the action (policy-denied); nothing touches
 * the filesystem or runs a process before both pass.
 */
import type { Capability, ServiceAction, ServiceListEntry, ServiceStatus } from "@machina/protocol";
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
import { createServiceBackend } from "./select-backend.js";
import type { ServiceBackend, ServiceChange } from "./service-backend.js";
import { ServiceRules } from "./service-rules.js";
import { explainServiceSection, parseServiceSection, type ServiceRule, type ServiceSection } from "./service-section.js";

export class ServiceRuntime implements ModuleRuntime<ServiceSection> {
  constructor(readonly backend: ServiceBackend) {}

  rules(section: ServiceSection): ServiceRules {
    return new ServiceRules(section.rules, (n) => this.backend.canonicalName(n));
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

function changeMethod<A extends ServiceChange>(action: A) {
  return on({
    method: `service.${action}`,
    targets: ({ name }) => [name],
    authorise: ({ name }, call) => authoriseAction(action, name, call),
    run: ({ value: name }, { runtime }) => runtime.backend.change(action, name),
  });
}

/** `service.list` needs any allowed action; `service.X` a rule allowing X. */
function actionCapability(action: ServiceAction | "list"): CapabilityRule<ServiceSection, ServiceRuntime> {
  const describe = (s: ServiceRule) => (s.name !== undefined ? { name: s.name } : { pattern: s.pattern!.source });
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
  parse: (doc, v): ServiceSection => parseServiceSection(doc, v),
  explain: (section: ServiceSection) => explainServiceSection(section),
  capabilities: {
    "service.list": actionCapability("list"),
    "service.status": actionCapability("status"),
    "service.start": actionCapability("start"),
    "service.stop": actionCapability("stop"),
    "service.restart": actionCapability("restart"),
    "service.reload": actionCapability("reload"),
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
  ],
});
