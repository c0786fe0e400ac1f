/**
 * Routes one JSON-RPC request to its handler through json-rpc-2.0, after the
 * checks every call gets in this order: authenticated (unless a `session.*` /
 * `rpc.discover` method), capability granted by the policy, params valid
 * against the vocabulary's schema. Then it runs the handler under the call
 * timeout and writes the audit line.
 */
import { JSONRPCServer, type JSONRPCRequest, type JSONRPCResponse } from "json-rpc-2.0";
import { JSONRPC_CODES, METHOD_NAMES, METHODS, PROGRESS_METHOD, isMethodName, validateParams, type MethodName } from "@machina/protocol";
import { Fault, InvalidParamsFault, PolicyDeniedFault, TimeoutFault } from "../faults.js";
import type { AuditLog } from "../audit.js";
import type { Logger } from "../logger.js";
import type { CallContext, HandlerTable } from "./handler-types.js";
import { targetsOf } from "./targets.js";
import { toWireError, wireError } from "./wire-errors.js";
import type { Session } from "../transport/session.js";

/** Outcomes that mean the request was refused rather than attempted. */
const REFUSALS = new Set(["policy-denied", "unauthenticated", "auth-failed", "busy"]);

interface CallState extends CallContext {
  /** The handler's own promise: the session waits for it even after a timeout answer. */
  work?: Promise<unknown>;
  /** Set once the call has its answer: later progress would arrive after the response. */
  answered?: boolean;
}

export interface DispatcherOptions {
  handlers: HandlerTable;
  logger: Logger;
  audit: AuditLog;
  callTimeoutMs: number;
  /** Whether the current policy grants the capability a method needs. */
  granted(method: MethodName): boolean;
  /** A longer time limit for some calls (package installs, allowlisted commands); undefined: callTimeoutMs. */
  timeoutFor?(method: MethodName, params: unknown): number | undefined;
}

export class Dispatcher {
  private readonly rpc = new JSONRPCServer<CallState>({ errorListener: () => undefined });

  constructor(private readonly options: DispatcherOptions) {
    this.rpc.mapErrorToJSONRPCErrorResponse = (id, error) => ({
      jsonrpc: "2.0",
      id,
      error: toWireError(error, options.logger, "a method handler"),
    });
    this.rpc.handleMethodNotFound = async (request) =>
      request.id === undefined
        ? null
        : {
            jsonrpc: "2.0",
            id: request.id,
            error: wireError("not-found", `no such method: ${String(request.method).slice(0, 100)}`, {}, JSONRPC_CODES.methodNotFound),
          };
    for (const name of METHOD_NAMES) {
      this.rpc.addMethod(name, (params, state) => this.invoke(name, params, state));
    }
  }

  /** Handles one well-formed request object; answers the response, or null for a notification. */
  async dispatch(request: JSONRPCRequest, session: Session): Promise<JSONRPCResponse | null> {
    const started = process.hrtime.bigint();
    const state: CallState = {
      session,
      targets: [],
      progress: (update) => {
        if (request.id === undefined || request.id === null || state.answered) return;
        session.notify(PROGRESS_METHOD, { id: request.id, ...update });
      },
    };
    let response: JSONRPCResponse | null;
    try {
      response = await this.rpc.receive(request, state);
    } finally {
      // A timed-out handler still holds the session until it really ends, so calls stay in order.
      if (state.work) await state.work.catch(() => undefined);
    }
    const error = response && "error" in response ? response.error : undefined;
    const known = isMethodName(request.method);
    const kind = error ? String((error.data as { kind?: string } | undefined)?.kind ?? "internal") : "ok";
    this.options.audit.write({
      session: session.id,
      peer: session.peer,
      method: String(request.method).slice(0, 100),
      targets: state.targets,
      decision: error && (REFUSALS.has(kind) || !known) ? "deny" : "allow",
      outcome: kind,
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      ...(error ? { reason: error.message.slice(0, 300) } : {}),
    });
    return response;
  }

  private async invoke(name: MethodName, params: unknown, state: CallState): Promise<unknown> {
    const spec = METHODS[name];
    state.targets = targetsOf(name, params);
    if (!spec.preAuth && !state.session.authenticated) {
      throw new Fault("unauthenticated", `authenticate before calling ${name} (session.hello, then session.authenticate)`);
    }
    if (!this.options.granted(name)) throw new PolicyDeniedFault("the policy does not allow this method", name);
    const checked = validateParams(name, params);
    if (!checked.ok) {
      const first = checked.problems[0]!;
      throw new InvalidParamsFault(`invalid params for ${name}: ${first.pointer || "params"}: ${first.message}`, {
        param: first.pointer,
        problems: checked.problems.map((p) => `${p.pointer || "params"}: ${p.message}`),
      });
    }
    const handler = this.options.handlers[name] as (p: unknown, ctx: CallContext) => unknown;
    const work = Promise.resolve().then(() => handler(checked.params, state));
    state.work = work;
    const limit = this.options.timeoutFor?.(name, checked.params) ?? this.options.callTimeoutMs;
    return withTimeout(work, limit).finally(() => (state.answered = true));
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

