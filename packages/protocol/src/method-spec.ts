/**
 * How one method of the vocabulary is described. Every method is one
 * {@link MethodSpec}: the server's dispatch table, the client's typed methods,
 * the CLI and the OpenRPC discovery document are all derived from these.
 */
import type { TObject, TSchema } from "@sinclair/typebox";

/** One method: its wire name, schemas, documentation and the capability it needs. */
export interface MethodSpec<P extends TObject = TObject, R extends TSchema = TSchema, C extends string = string> {
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
  /**
   * The policy capability the method needs (see {@link Capability}): a dotted
   * name whose first part is the daemon's capability module that grants it.
   */
  readonly capability: C;
  /** True when the method may be called before authentication. */
  readonly preAuth?: boolean;
  /** True when the method changes state (pending tree, files, services…); used by the audit log. */
  readonly mutates?: boolean;
}

/** Identity function that keeps each spec's literal types. */
export function defineMethod<const P extends TObject, const R extends TSchema, const C extends string>(spec: MethodSpec<P, R, C>): MethodSpec<P, R, C> {
  return spec;
}
