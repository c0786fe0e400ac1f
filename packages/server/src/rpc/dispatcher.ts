/**
 * Routes one JSON-RPC request to its capability module's entry through
 * json-rpc-2.0, in this order: authenticated (unless a pre-authentication
 * method)? → capability granted by the policy? → params valid (vocabulary
 * schema)? → the entry's `authorise` → its `run` with the grant, under the
 * call's time limit. The decision (allow when a grant was made, deny
 * otherwise), the targets and the reason go into the audit line here — no
 * handler can skip the check or misreport it. Lines of calls made before
 * authentication (bar the successful proof) go through the refusal log's
 * rate limit: a peer without the key cannot fill the disk with them.
 */
import { JSONRPCServer, type JSONRPCRequest, type JSONRPCResponse } from "json-rpc-2.0";
import { JSONRPC_CODES, METHODS, PROGRESS_METHOD, isMethodName, validateParams, type MethodName } from "@machina/protocol";
import type { Allow, CallIdentity, Caller, Grant, Refusal, RunContext } from "../capability/capability-module.js";
import type { MethodBinding } from "../capability/registry.js";
import { Fault, InvalidParamsFault, PolicyDeniedFault, TimeoutFault } from "../faults.js";
import { newAuditId, type AuditLog, type AuditRecord } from "../audit.js";
import type { RefusalLog } from "../refusal-log.js";
import type { Logger } from "../logger.js";
import { toWireError, wireError } from "./wire-errors.js";

/** The connection a call comes on: what handlers see, plus how to send it notifications. */
export interface DispatchCaller extends Caller {
  notify(method: string, params: unknown): void;
}

interface CallState {
  caller: DispatchCaller;
  /** The call's audit id and start time (its audit line's `id`). */
  call: CallIdentity;
  targets: string[];
  granted: boolean;
  /** Why the call was refused, for the audit line (the policy's words, never a value). */
  refusal?: string;
  /** The handler's own promise: the session waits for it even after a timeout answer. */
  work?: Promise<unknown>;
  /** Set once the call has its answer: later progress would arrive after the response. */
  answered?: boolean;
  id: JSONRPCRequest["id"];
}

export interface DispatcherOptions {
  /** Every method's module entry and capability rule (registry.ts moduleIndex). */
  bindings: ReadonlyMap<MethodName, MethodBinding>;
  /** The section of the current policy that module `name` owns. */
  section(module: string): unknown;
  /** The runtime of module `name`. */
  runtime(module: string): unknown;
  logger: Logger;
  audit: AuditLog;
  /** Where the lines of calls made before authentication go (rate-limited). */
  refusals: RefusalLog;
  callTimeoutMs: number;
}

export class Dispatcher {
  private readonly rpc = new JSONRPCServer<CallState>({ errorListener: () => undefined });

  constructor(private readonly options: DispatcherOptions) {
    this.rpc.mapErrorToJSONRPCErrorResponse = (id, error) => ({
      jsonrpc: "2.0",
      id,
      error: toWireError(error, options.logger, "a method handler"),
    });
    this.rpc.handleMethodNotFound = (request) =>
      Promise.resolve(
        request.id === undefined
          ? null
          : {
              jsonrpc: "2.0" as const,
              id: request.id,
              error: wireError("not-found", `no such method: ${String(request.method).slice(0, 100)}`, {}, JSONRPC_CODES.methodNotFound),
            },
      );
    for (const name of options.bindings.keys()) {
      this.rpc.addMethod(name, (params, state) => this.invoke(name, params, state));
    }
  }

  /** True when a call of `method` may start while earlier calls of the same kind are unanswered (CapabilityModule.pipelined). */
  pipelined(method: unknown): boolean {
    return typeof method === "string" && isMethodName(method) && this.options.bindings.get(method)?.module.pipelined === true;
  }

  /** Handles one well-formed request object; answers the response, or null for a notification. */
  async dispatch(request: JSONRPCRequest, caller: DispatchCaller): Promise<JSONRPCResponse | null> {
    const started = process.hrtime.bigint();
    const wasAuthenticated = caller.handshake.authenticated;
    const call: CallIdentity = { id: newAuditId(caller.id), time: new Date().toISOString() };
    const state: CallState = { caller, call, targets: [], granted: false, id: request.id };
    let response: JSONRPCResponse | null;
    try {
      response = await this.rpc.receive(request, state);
    } finally {
      // A timed-out handler still holds the session until it really ends, so calls stay in order.
      if (state.work) await state.work.catch(() => undefined);
    }
    const error = response && "error" in response ? response.error : undefined;
    const kind = error ? String((error.data as { kind?: string } | undefined)?.kind ?? "internal") : "ok";
    const record: AuditRecord = {
      id: call.id,
      session: caller.id,
      peer: caller.peer,
      method: isMethodName(request.method) ? request.method : String(request.method).slice(0, 100),
      targets: state.targets.map((t) => (t.length > 512 ? `${t.slice(0, 512)}…` : t)),
      decision: state.granted ? "allow" : "deny",
      outcome: kind,
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      ...(state.refusal !== undefined ? { reason: state.refusal } : error ? { reason: error.message.slice(0, 300) } : {}),
    };
    if (wasAuthenticated || caller.handshake.authenticated) {
      this.options.audit.write(record);
    } else {
      this.options.refusals.record({
        reason: `before authentication: ${kind}`,
        peer: caller.peer,
        audit: record,
        summary: (count, uid, seconds) => `${count} more calls before authentication from uid ${uid} answered ${kind} in the last ${seconds} s`,
      });
    }
    return response;
  }

  private async invoke(name: MethodName, params: unknown, state: CallState): Promise<unknown> {
    const { entry, module, capability } = this.options.bindings.get(name)!;
    const checked = validateParams(name, params);
    if (checked.ok) state.targets.push(...entry.targets(checked.params as never));
    if (!METHODS[name].preAuth && !state.caller.handshake.authenticated) {
      throw new Fault("unauthenticated", `authenticate before calling ${name} (session.hello, then session.authenticate)`, {});
    }
    const section = this.options.section(module.name);
    if (!capability.granted(section)) return this.refused(state, new PolicyDeniedFault(name, "the policy does not allow this method"));
    if (!checked.ok) {
      const first = checked.problems[0]!;
      throw new InvalidParamsFault(`invalid params for ${name}: ${first.pointer || "params"}: ${first.message}`, {
        param: first.pointer,
        problems: checked.problems.map((p) => `${p.pointer || "params"}: ${p.message}`),
      });
    }
    const context: RunContext<unknown, unknown> = {
      section,
      runtime: this.options.runtime(module.name),
      caller: state.caller,
      call: state.call,
      progress: (update) => {
        if (state.id === undefined || state.id === null || state.answered) return;
        state.caller.notify(PROGRESS_METHOD, { id: state.id, ...update });
      },
      addTargets: (targets) => void state.targets.push(...targets),
    };
    let decision: Allow<unknown> | Refusal;
    try {
      const decided = entry.authorise(checked.params as never, context);
      decision = decided instanceof Promise ? await decided : decided;
    } catch (e) {
      // The policy engine reports a refusal by throwing; it is a refusal all the same.
      if (e instanceof Fault && e.kind === "policy-denied") return this.refused(state, e as Fault<"policy-denied">);
      throw e;
    }
    if (!decision.allowed) return this.refused(state, decision);
    state.granted = true;
    state.targets.push(...decision.targets);
    // Only here is a grant made: run cannot be reached without authorise's Allow.
    const grant = { value: decision.value } as Grant<never>;
    const work = Promise.resolve().then(() => entry.run(grant, context));
    state.work = work;
    const limit = entry.timeLimitMs?.(decision.value, context) ?? this.options.callTimeoutMs;
    return withTimeout(work, limit).finally(() => (state.answered = true));
  }

  /** Records a refusal for the audit line and answers it as `policy-denied`. */
  private refused(state: CallState, refusal: Refusal | Fault<"policy-denied">): never {
    if (refusal instanceof Fault) {
      state.refusal = refusal.fields.reason;
      throw refusal;
    }
    state.refusal = refusal.reason;
    state.targets.push(refusal.target);
    throw new PolicyDeniedFault(refusal.target, refusal.reason, refusal.file);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutFault(ms)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
