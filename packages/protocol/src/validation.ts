/**
 * Runtime validation of params against the vocabulary's schemas.
 *
 * A schema is checked by TypeBox's interpreter (`Value.Check`) for its first
 * few uses and compiled (TypeBox's compiler generates a checking function)
 * once it is used often: compiling costs about a millisecond a schema, which a
 * short-lived program (the `machina` CLI makes three calls) or the daemon's
 * first call after a cold start never earns back, while a long-lived panel or
 * daemon soon runs the compiled check on its hot path.
 */
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { Errors as interpretedErrors, type ValueErrorIterator } from "@sinclair/typebox/errors";
import { Check as interpretedCheck } from "@sinclair/typebox/value";
import type { Static, TObject } from "@sinclair/typebox";
import { METHODS, type MethodName, type ParamsOf } from "./vocabulary.js";

/** Uses of a schema checked by the interpreter before it is compiled. */
export const COMPILE_AFTER_USES = 16;

/** Checks values against one schema: interpreted at first, compiled once used often. */
export class SchemaCheck<T extends TObject> {
  private compiled: TypeCheck<T> | undefined;
  private uses = 0;

  constructor(readonly schema: T) {}

  /** Whether `value` conforms to the schema. */
  Check(value: unknown): value is Static<T> {
    if (this.compiled) return this.compiled.Check(value);
    if (++this.uses >= COMPILE_AFTER_USES) this.compiled = TypeCompiler.Compile(this.schema);
    return interpretedCheck(this.schema, value);
  }

  /** The schema violations of a value that failed Check (the failure path: not compiled). */
  Errors(value: unknown): ValueErrorIterator {
    return interpretedErrors(this.schema, value);
  }
}

/** Why params were refused: the first few schema violations, each with its JSON pointer. */
export interface ParamsProblem {
  /** JSON pointer of the offending value, e.g. `/path` or `/changes/2/op`. */
  pointer: string;
  message: string;
}

const checks = new Map<MethodName, SchemaCheck<TObject>>();

function checkFor(method: MethodName): SchemaCheck<TObject> {
  let check = checks.get(method);
  if (!check) {
    check = new SchemaCheck(METHODS[method].params);
    checks.set(method, check);
  }
  return check;
}

/**
 * Validates `params` for `method`. Answers the typed params, or the problems
 * (at most `limit`). Absent params (`undefined`) count as `{}`; JSON-RPC's
 * positional (array) params are refused: machina uses named params only.
 */
export function validateParams<M extends MethodName>(
  method: M,
  params: unknown,
  limit = 5,
): { ok: true; params: ParamsOf<M> } | { ok: false; problems: ParamsProblem[] } {
  const value = params === undefined ? {} : params;
  if (Array.isArray(value)) {
    return { ok: false, problems: [{ pointer: "", message: "params must be an object of named params, not an array" }] };
  }
  const check = checkFor(method);
  if (check.Check(value)) return { ok: true, params: value };
  const problems: ParamsProblem[] = [];
  for (const e of check.Errors(value)) {
    problems.push({ pointer: e.path, message: e.message });
    if (problems.length >= limit) break;
  }
  return { ok: false, problems };
}

/** A checker for any schema (used by clients to check results, and by tests). */
export function compileSchema<T extends TObject>(schema: T): SchemaCheck<T> {
  return new SchemaCheck(schema);
}
