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
  "service.list": service.serviceList,
  "service.status": service.serviceStatus,
  "service.start": service.serviceStart,
  "service.stop": service.serviceStop,
  "service.restart": service.serviceRestart,
  "service.reload": service.serviceReload,
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
