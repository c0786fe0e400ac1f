/**
 * The capability modules, in the order `policy explain` shows them. Everything
 * that needs to know about features — the policy loader, `policy check` and
 * `explain`, discovery, the dispatcher, the tests — iterates this list.
 *
 * The compile-time checks at the bottom make a forgotten part a build error:
 * a method of the vocabulary no module handles, or a capability no module
 * grants. `moduleIndex` adds the run-time checks (a method handled twice, or
 * by a module that does not own its capability), which a test runs.
 */
import { METHODS, type Capability, type MethodName } from "@machina/protocol";
import { augeasModule } from "../augeas/augeas-module.js";
import { commandModule } from "../command/command-module.js";
import { packageModule } from "../package/package-module.js";
import { serviceModule } from "../service/service-module.js";
import { sessionModule } from "../session/session-module.js";
import { timezoneModule } from "../timezone/timezone-module.js";
import type { AnyCapabilityModule, AnyMethodEntry, CapabilityRule } from "./capability-module.js";

export const MODULES = [sessionModule, augeasModule, serviceModule, packageModule, timezoneModule, commandModule] as const;

type Module = (typeof MODULES)[number];

/** A module's name (`augeas`, `service`, …): its field in `Policy`. */
export type ModuleName = Module["name"];

/** Each module's policy section, keyed by module name (the fields of `Policy` besides version, source and clients). */
export type PolicySections = { [M in Module as M["name"]]: ReturnType<M["parse"]> };

/** The runtime of each module, keyed by module name. */
export type ModuleRuntimes = { [M in Module as M["name"]]: ReturnType<M["start"]> };

type HandledMethod = Module["methods"][number]["method"];
type CapabilitiesOf<M> = M extends { capabilities: infer C } ? keyof C : never;
type GrantedCapability = CapabilitiesOf<Module>;

// A method of the vocabulary that no module handles fails here, naming it.
const everyMethodHandled: Exclude<MethodName, HandledMethod> extends never ? true : Exclude<MethodName, HandledMethod> = true;
// A capability of the protocol that no module grants fails here, naming it.
const everyCapabilityGranted: Exclude<Capability, GrantedCapability> extends never ? true : Exclude<Capability, GrantedCapability> = true;
void everyMethodHandled;
void everyCapabilityGranted;

/** Where a method is handled: its module and entry, and the rule of the capability it needs. */
export interface MethodBinding {
  readonly module: AnyCapabilityModule;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly entry: AnyMethodEntry<any, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly capability: CapabilityRule<any, any>;
}

/**
 * Every method's binding. Throws when a method is handled twice, when its
 * module does not own the capability the vocabulary gives it, or when a
 * capability is owned twice.
 */
export function moduleIndex(modules: readonly AnyCapabilityModule[] = MODULES): Map<MethodName, MethodBinding> {
  const owners = new Map<string, AnyCapabilityModule>();
  for (const m of modules) {
    for (const c of Object.keys(m.capabilities)) {
      if (owners.has(c)) throw new Error(`capability ${c} is owned by both the ${owners.get(c)!.name} and the ${m.name} module`);
      owners.set(c, m);
    }
  }
  const index = new Map<MethodName, MethodBinding>();
  for (const m of modules) {
    for (const entry of m.methods) {
      const method = entry.method;
      if (index.has(method)) throw new Error(`${method} is handled by both the ${index.get(method)!.module.name} and the ${m.name} module`);
      const needed = METHODS[method].capability;
      const capability = m.capabilities[needed];
      if (!capability) throw new Error(`${method} needs the capability ${needed}, which its module ${m.name} does not own`);
      index.set(method, { module: m, entry, capability });
    }
  }
  for (const method of Object.keys(METHODS) as MethodName[]) {
    if (!index.has(method)) throw new Error(`no module handles ${method}`);
  }
  return index;
}
