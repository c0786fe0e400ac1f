/**
 * The shape of a method handler, derived from the vocabulary so every method
 * has exactly one handler with the right params and result types.
 */
import type { MethodName, ParamsOf, ResultOf } from "@machina/protocol";
import type { Session } from "../transport/session.js";

export interface CallContext {
  readonly session: Session;
  /** Paths, nodes or resource names the call touches, for the audit log (never values). */
  targets: string[];
}

export type Handler<M extends MethodName> = (params: ParamsOf<M>, ctx: CallContext) => ResultOf<M> | Promise<ResultOf<M>>;

/** One handler per method of the vocabulary — the compiler refuses a missing one. */
export type HandlerTable = { [M in MethodName]: Handler<M> };
