/**
 * The host's side of a call: authorise, then run only with the grant
 * authorise allowed — the dispatcher's rule (rpc/dispatcher.ts), kept here
 * because the call's state (the tree) lives in this process. Faults travel
 * as data; anything else is logged here in full and crosses as `internal`.
 */
import type { Decision, Grant } from "../../capability/capability-module.js";
import { Fault } from "../../faults.js";
import type { Logger } from "../../logger.js";
import { localEntry } from "../augeas-methods.js";
import type { AugeasLocalRuntime } from "../local-runtime.js";
import { TREE_READS, type CallOutcome, type HostCallIdentity, type HostFault } from "./host-protocol.js";
import { clientMessageText } from "../client-path.js";

/**
 * Runs one call. Most calls finish synchronously (their outcome is returned
 * as is, so pipelined calls are answered without a turn of the event loop);
 * a call whose `run` must wait for a program (a save's validators) answers a
 * promise, and the host takes no other request until it settles.
 */
export function runCall(rt: AugeasLocalRuntime, method: string, params: unknown, logger: Logger, call?: HostCallIdentity): CallOutcome | Promise<CallOutcome> {
  const entry = localEntry(method);
  if (!entry) return { granted: false, fault: { kind: "not-found", message: `no such method: ${method.slice(0, 100)}`, fields: {} } };
  // What a save of this call records in the history (without it, a save of a file with history on is refused); cleared when the call is done.
  rt.runningCall(call && { ...call, method });
  const outcome = authoriseAndRun(rt, entry, method, params, logger);
  if (!(outcome instanceof Promise)) {
    callDone(rt, method);
    return outcome;
  }
  return outcome.finally(() => callDone(rt, method));
}

/** After any call but a read (TREE_READS), the next reset parses the files again. */
function callDone(rt: AugeasLocalRuntime, method: string): void {
  rt.runningCall(undefined);
  if (!TREE_READS.has(method) && rt.hasPolicy) rt.workspace.touched();
}

function authoriseAndRun(rt: AugeasLocalRuntime, entry: NonNullable<ReturnType<typeof localEntry>>, method: string, params: unknown, logger: Logger): CallOutcome | Promise<CallOutcome> {
  let decision: Decision<unknown>;
  try {
    decision = entry.authorise(params as never, rt);
  } catch (e) {
    return { granted: false, fault: toHostFault(e, method, logger) };
  }
  if (!decision.allowed) {
    const [target, reason] = [clientMessageText(decision.target), clientMessageText(decision.reason)];
    const { file } = decision;
    return { granted: false, refusal: file === undefined ? { target, reason } : { target, reason, file } };
  }
  // The only grant made in this process, from the Allow just above.
  const grant = { value: decision.value as never } as Grant<never>;
  const targets = decision.targets;
  const failed = (e: unknown): CallOutcome => ({ granted: true, targets, fault: toHostFault(e, method, logger) });
  let result: unknown;
  try {
    result = entry.run(grant, rt);
  } catch (e) {
    return failed(e);
  }
  if (result instanceof Promise) return result.then((value: unknown): CallOutcome => ({ granted: true, targets, result: value }), failed);
  return { granted: true, targets, result };
}

/**
 * A fault as the client may see it. Paths inside the daemon are tree text
 * (tree-text.ts); what the client reads spells a label's bytes beyond ASCII
 * as `%HH`, as its own paths do (client-path.ts).
 */
function toHostFault(e: unknown, method: string, logger: Logger): HostFault {
  const fault: Fault | undefined = e instanceof Fault ? e : undefined;
  if (fault && fault.kind !== "internal") {
    const fields = Object.fromEntries(Object.entries(fault.fields).map(([k, v]) => [k, typeof v === "string" ? clientMessageText(v) : v]));
    return { kind: fault.kind, message: clientMessageText(fault.message), fields };
  }
  logger.error(`internal error in ${method}`, e);
  return { kind: "internal" };
}
