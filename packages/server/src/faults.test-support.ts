/** Assertions on the daemon's Faults, for unit tests. */
import assert from "node:assert/strict";
import type { ErrorKind } from "@machina/protocol";
import { Fault } from "#src/faults.js";

/** Asserts that `f` throws a Fault of `kind`, and answers it. */
export function throwsFault<K extends ErrorKind>(f: () => unknown, kind: K): Fault<K> {
  try {
    f();
  } catch (e) {
    return checked(e, kind);
  }
  assert.fail(`expected a ${kind} fault`);
}

/** Asserts that `p` rejects with a Fault of `kind`, and answers it. */
export async function rejectsWithFault<K extends ErrorKind>(p: Promise<unknown>, kind: K): Promise<Fault<K>> {
  try {
    await p;
  } catch (e) {
    return checked(e, kind);
  }
  assert.fail(`expected a ${kind} fault`);
}

function checked<K extends ErrorKind>(e: unknown, kind: K): Fault<K> {
  assert.ok(e instanceof Fault, `expected a Fault, got ${String(e)}`);
  assert.equal(e.kind, kind, e.message);
  return e as Fault<K>;
}
