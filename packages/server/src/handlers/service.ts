/**
 * The `service.*` handlers. Every call goes: name validated for the backend
 * (invalid-params) → canonical name checked against the policy for the action
 * (policy-denied) → backend. Nothing touches the filesystem or runs a process
 * before both checks pass.
 */
import type { ServiceListEntry, ServiceStatus } from "@machina/protocol";
import { Fault, InvalidParamsFault, PolicyDeniedFault } from "../faults.js";
import type { Policy, ServiceAction } from "../policy/policy-types.js";
import { ServiceRules } from "../policy/service-rules.js";
import type { CallContext, Handler } from "../rpc/handler-types.js";
import type { ServiceBackend, ServiceChange } from "../service/service-backend.js";

export interface ServiceHandlerDeps {
  backend(): ServiceBackend;
  policy(): Policy;
}

type ServiceHandlers = {
  "service.list": Handler<"service.list">;
  "service.status": Handler<"service.status">;
  "service.start": Handler<"service.start">;
  "service.stop": Handler<"service.stop">;
  "service.restart": Handler<"service.restart">;
  "service.reload": Handler<"service.reload">;
};

export function serviceHandlers(deps: ServiceHandlerDeps): ServiceHandlers {
  const rules = (backend: ServiceBackend) => new ServiceRules(deps.policy().services, (n) => backend.canonicalName(n));

  /** The canonical name, once the policy allows `action` on it. */
  const authorise = (action: ServiceAction, name: string, ctx: CallContext): { backend: ServiceBackend; name: string } => {
    const backend = deps.backend();
    const canonical = backend.canonicalName(name);
    if (canonical === undefined) {
      const what = backend.kind === "systemd" ? "a systemd service unit name" : "an init script name";
      throw new InvalidParamsFault(`${JSON.stringify(name.slice(0, 100))} is not ${what}`, { param: "/name" });
    }
    if (canonical !== name) ctx.targets.push(canonical);
    if (!rules(backend).allows(action, canonical)) throw new PolicyDeniedFault(`the policy does not allow ${action} on this service`, canonical);
    return { backend, name: canonical };
  };

  const change =
    (action: ServiceChange) =>
    async ({ name }: { name: string }, ctx: CallContext): Promise<ServiceStatus> => {
      const a = authorise(action, name, ctx);
      return a.backend.change(action, a.name);
    };

  return {
    "service.list": async (_params, ctx) => {
      const backend = deps.backend();
      const listed = await rules(backend).listed(() => backend.existing());
      const services: ServiceListEntry[] = [];
      for (const { name, actions } of listed) {
        ctx.targets.push(name);
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
    "service.status": async ({ name }, ctx) => {
      const a = authorise("status", name, ctx);
      return a.backend.status(a.name);
    },
    "service.start": change("start"),
    "service.stop": change("stop"),
    "service.restart": change("restart"),
    "service.reload": change("reload"),
  };
}
