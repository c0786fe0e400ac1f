/**
 * Runtime validation of params against the vocabulary's schemas, compiled once
 * per method (TypeBox's compiler generates a checking function, which keeps
 * validation off the per-call hot path's profile).
 */
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { TObject } from "@sinclair/typebox";
import { METHODS, type MethodName, type ParamsOf } from "./vocabulary.js";

/** Why params were refused: the first few schema violations, each with its JSON pointer. */
export interface ParamsProblem {
  /** JSON pointer of the offending value, e.g. `/path` or `/changes/2/op`. */
  pointer: string;
  message: string;
}

const checks = new Map<MethodName, TypeCheck<TObject>>();

function checkFor(method: MethodName): TypeCheck<TObject> {
  let check = checks.get(method);
  if (!check) {
    check = TypeCompiler.Compile(METHODS[method].params);
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

/** A compiled checker for any schema (used by clients to check results, and by tests). */
export function compileSchema<T extends TObject>(schema: T): TypeCheck<T> {
  return TypeCompiler.Compile(schema);
}
