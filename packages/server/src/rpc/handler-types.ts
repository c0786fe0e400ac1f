/**
 * The shape of a method handler, derived from the vocabulary so every method
 * has exactly one handler with the right params and result types.
 */
import type { MethodName, ParamsOf, ProgressUpdate, ResultOf } from "@machina/protocol";
import type { Session } from "../transport/session.js";

export interface CallContext {
  readonly session: Session;
  /** Paths, nodes or resource names the call touches, for the audit log (never values). */
  targets: string[];
  /**
   * Reports progress of a long call: sent at once as a `progress` notification
   * carrying the call's id, before the response. A no-op for notifications
   * (no id) and once the call has been answered (e.g. after its timeout).
   */
  progress(update: ProgressUpdate): void;
}

export type Handler<M extends MethodName> = (params: ParamsOf<M>, ctx: CallContext) => ResultOf<M> | Promise<ResultOf<M>>;

/** One handler per method of the vocabulary — the compiler refuses a missing one. */
export type HandlerTable = { [M in MethodName]: Handler<M> };
