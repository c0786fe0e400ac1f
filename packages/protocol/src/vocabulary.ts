/**
 * The method vocabulary: every method machina speaks, defined once.
 *
 * Adding a method is one entry here (its {@link MethodSpec}) plus one handler in
 * the server. The types below derive each method's params and result types from
 * its schemas, so the client's typed namespaces (`m.augeas.get(...)`) and the
 * server's handler table can never drift from the wire format.
 */
import type { Static } from "@sinclair/typebox";
import type { MethodSpec } from "./method-spec.js";
import * as augeas from "./methods/augeas.js";
import * as session from "./methods/session.js";
import * as service from "./methods/service.js";
import * as packages from "./methods/package.js";
import * as system from "./methods/system.js";
import * as command from "./methods/command.js";

/** Every method, keyed by its wire name. */
export const METHODS = {
  "session.hello": session.sessionHello,
  "session.authenticate": session.sessionAuthenticate,
  "rpc.discover": session.rpcDiscover,
  "augeas.get": augeas.augeasGet,
  "augeas.match": augeas.augeasMatch,
  "augeas.set": augeas.augeasSet,
  "augeas.setm": augeas.augeasSetm,
  "augeas.insert": augeas.augeasInsert,
  "augeas.move": augeas.augeasMove,
  "augeas.rename": augeas.augeasRename,
  "augeas.remove": augeas.augeasRemove,
  "augeas.save": augeas.augeasSave,
  "augeas.preview": augeas.augeasPreview,
  "augeas.discard": augeas.augeasDiscard,
  "augeas.apply": augeas.augeasApply,
  "augeas.history": augeas.augeasHistory,
  "augeas.rollback": augeas.augeasRollback,
  "service.list": service.serviceList,
  "service.status": service.serviceStatus,
  "service.start": service.serviceStart,
  "service.stop": service.serviceStop,
  "service.restart": service.serviceRestart,
  "service.reload": service.serviceReload,
  "service.enable": service.serviceEnable,
  "service.disable": service.serviceDisable,
  "service.log": service.serviceLog,
  "package.status": packages.packageStatus,
  "package.install": packages.packageInstall,
  "package.remove": packages.packageRemove,
  "package.update": packages.packageUpdate,
  "system.getTimezone": system.systemGetTimezone,
  "system.setTimezone": system.systemSetTimezone,
  "command.run": command.commandRun,
} as const satisfies Record<string, MethodSpec>;

/** The wire name of any method. */
export type MethodName = keyof typeof METHODS;

/** The params type of method `M`. */
export type ParamsOf<M extends MethodName> = Static<(typeof METHODS)[M]["params"]>;

/** The result type of method `M`. */
export type ResultOf<M extends MethodName> = Static<(typeof METHODS)[M]["result"]>;

/**
 * What a method needs from the policy. The daemon answers a method only when the
 * policy grants its capability (default deny); `rpc.discover` lists only methods
 * whose capability is granted. The type is derived from the methods' specs, so a
 * new capability is declared by the method that needs it (and the daemon's build
 * fails until one of its capability modules grants it). The ones in use:
 *
 * - `session`: always available (the handshake itself).
 * - `discover`: always available.
 * - `augeas.read`: some `[[augeas.file]]` is loaded; each node is still checked against `read`.
 * - `augeas.write`: some `[[augeas.file]]` has `write` patterns; each node is still checked.
 * - `augeas.rollback`: some `[[augeas.file]]` has `rollback = true`; each file is still checked.
 * - `service.list`: some `[[service]]` entry allows some action.
 * - `service.status|start|stop|restart|reload|enable|disable|log`: some `[[service]]` entry allows that action; each name is still checked.
 * - `package.status`: `[package]` lists some package in `install` or `remove`; each name is still checked.
 * - `package.install` / `package.remove`: `[package]`'s `install` / `remove` list is not empty; each name is still checked.
 * - `package.update`: `[package]` has `update = true`.
 * - `timezone.read`: the policy has a `[timezone]` table.
 * - `timezone.write`: `[timezone]` has `set = true`.
 * - `command.run`: the policy has some `[[command]]` entry; each name and argument is still checked.
 */
export type Capability = (typeof METHODS)[MethodName]["capability"];

/** The namespaces (`augeas`, `session`, `rpc`, …). */
export type Namespace = MethodName extends `${infer NS}.${string}` ? NS : never;

/** The short names of the methods in namespace `NS` (`get` for `augeas.get`). */
export type MethodsIn<NS extends Namespace> = MethodName extends infer M
  ? M extends `${NS}.${infer Short}`
    ? Short
    : never
  : never;

/** True when `name` is a method of the vocabulary. */
export function isMethodName(name: unknown): name is MethodName {
  return typeof name === "string" && Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** The spec of a method. */
export function methodSpec<M extends MethodName>(name: M): (typeof METHODS)[M] {
  return METHODS[name];
}

/** Every method's wire name, in vocabulary order. */
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];
