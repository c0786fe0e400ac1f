/**
 * How one method of the vocabulary is described. Every method is one
 * {@link MethodSpec}: the server's dispatch table, the client's typed methods,
 * the CLI and the OpenRPC discovery document are all derived from these.
 */
import type { TObject, TSchema } from "@sinclair/typebox";

/**
 * What a method needs from the policy. The daemon answers a method only when the
 * policy grants its capability (default deny); `rpc.discover` lists only methods
 * whose capability is granted.
 *
 * - `session`: always available (the handshake itself).
 * - `discover`: always available.
 * - `augeas.read`: some `[[augeas.file]]` is loaded; each node is still checked against `read`.
 * - `augeas.write`: some `[[augeas.file]]` has `write` patterns; each node is still checked.
 * - `service.list`: some `[[service]]` entry allows some action.
 * - `service.status|start|stop|restart|reload`: some `[[service]]` entry allows that action; each name is still checked.
 * - `package.status`: `[package]` lists some package in `install` or `remove`; each name is still checked.
 * - `package.install` / `package.remove`: `[package]`'s `install` / `remove` list is not empty; each name is still checked.
 * - `package.update`: `[package]` has `update = true`.
 * - `timezone.read`: the policy has a `[timezone]` table.
 * - `timezone.write`: `[timezone]` has `set = true`.
 * - `command.run`: the policy has some `[[command]]` entry; each name and argument is still checked.
 */
export type Capability = "session" | "discover" | "augeas.read" | "augeas.write"
  | "service.list" | "service.status" | "service.start" | "service.stop" | "service.restart" | "service.reload"
  | "package.status" | "package.install" | "package.remove" | "package.update" | "timezone.read" | "timezone.write" | "command.run";

/** One method: its wire name, schemas, documentation and the capability it needs. */
export interface MethodSpec<P extends TObject = TObject, R extends TSchema = TSchema> {
  /** The dotted wire name, e.g. `augeas.get`. */
  readonly name: string;
  /** One line for listings. */
  readonly summary: string;
  /** What the method does, what it refuses, and its errors. */
  readonly description: string;
  /** JSON Schema of the named params (always an object; extra properties are refused). */
  readonly params: P;
  /** JSON Schema of the result. */
  readonly result: R;
  /** The policy capability the method needs. */
  readonly capability: Capability;
  /** True when the method may be called before authentication. */
  readonly preAuth?: boolean;
  /** True when the method changes state (pending tree, files, services…); used by the audit log. */
  readonly mutates?: boolean;
}

/** Identity function that keeps each spec's literal types. */
export function defineMethod<const P extends TObject, const R extends TSchema>(spec: MethodSpec<P, R>): MethodSpec<P, R> {
  return spec;
}
