/**
 * The `package.*` handlers: the policy's `[package]` lists decide which names
 * may be queried, installed or removed (machinad's own package never may be
 * changed); apt-backend.ts does the work and reports progress.
 */
import { PolicyDeniedFault } from "../faults.js";
import type { AptBackend } from "../packages/apt-backend.js";
import type { Policy } from "../policy/policy-types.js";
import type { Handler } from "../rpc/handler-types.js";

export interface PackageHandlerDeps {
  apt: AptBackend;
  policy(): Policy;
}

type PackageHandlers = { [M in "package.status" | "package.install" | "package.remove" | "package.update"]: Handler<M> };

export function packageHandlers(deps: PackageHandlerDeps): PackageHandlers {
  const { apt } = deps;
  const requireListed = (name: string, list: readonly string[], what: string) => {
    if (!list.includes(name)) throw new PolicyDeniedFault(`the policy's [package] ${what} list does not name this package`, name);
  };
  const requireNotSelf = (name: string, verb: string) => {
    if (name === apt.selfPackage) throw new PolicyDeniedFault(`machinad never ${verb} its own package`, name);
  };
  return {
    "package.status": async ({ name }) => {
      const { install, remove } = deps.policy().packages;
      if (!install.includes(name) && !remove.includes(name)) {
        throw new PolicyDeniedFault("the policy's [package] install and remove lists do not name this package", name);
      }
      return apt.status(name);
    },
    "package.install": async ({ name }, ctx) => {
      requireNotSelf(name, "installs or upgrades");
      requireListed(name, deps.policy().packages.install, "install");
      const changed = await apt.install(name, ctx.progress);
      return { ...(await apt.status(name)), changed };
    },
    "package.remove": async ({ name }, ctx) => {
      requireNotSelf(name, "removes");
      requireListed(name, deps.policy().packages.remove, "remove");
      const changed = await apt.remove(name, ctx.progress);
      return { ...(await apt.status(name)), changed };
    },
    "package.update": async (_params, ctx) => ({ warnings: await apt.update(ctx.progress) }),
  };
}
