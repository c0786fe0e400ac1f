/**
 * Sessions through the typed client (@machina/client), and the check every
 * refusal test ends with: the daemon still serves the next legitimate client.
 */
import assert from "node:assert/strict";
import { BusyError, connect, type ConnectOptions, type MachinaClient } from "@machina/client";
import type { Sandbox } from "./sandbox.js";
import { rawSessionWhenFree } from "./raw-client.js";
import { waitFor } from "./wait.js";

/**
 * Connects with the sandbox's socket and secret. The daemon frees its one
 * session slot only once it has seen the previous client's connection close,
 * which is asynchronous to that client's `close()`; so a `busy` answer is
 * retried until the slot is free (the busy test holds a session open and
 * asserts on `busy` directly, without this helper).
 */
export async function connectClient(sandbox: Sandbox, options: ConnectOptions = {}): Promise<MachinaClient> {
  return waitFor(async () => {
    try {
      return await connect({ socket: sandbox.socket, secretFile: sandbox.secretFile, ...options });
    } catch (e) {
      if (e instanceof BusyError) return undefined;
      throw e;
    }
  }, "a free session slot");
}

/** Runs `fn` in a fresh session and closes it whatever happens. */
export async function withClient<T>(sandbox: Sandbox, fn: (m: MachinaClient) => Promise<T>, options: ConnectOptions = {}): Promise<T> {
  const m = await connectClient(sandbox, options);
  try {
    return await fn(m);
  } finally {
    await m.close();
  }
}

/**
 * The daemon still serves a legitimate client: a new session authenticates,
 * reads the hostname from the file as it is on disk, and has nothing pending.
 */
export async function assertServesNextClient(sandbox: Sandbox): Promise<void> {
  await withClient(sandbox, async (m) => {
    const expected = sandbox.read("/etc/hostname").trim();
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: expected });
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
  });
}

/** Same as assertServesNextClient through the raw client (for tests that must not depend on @machina/client). */
export async function assertServesNextRawClient(sandbox: Sandbox): Promise<void> {
  const c = await rawSessionWhenFree(sandbox.socket, sandbox.key);
  try {
    const r = await c.call("augeas.get", { path: "/files/etc/hostname/hostname" });
    assert.deepEqual(r.result, { value: sandbox.read("/etc/hostname").trim() });
  } finally {
    c.close();
  }
}

/** Asserts that `promise` rejects with a MachinaError of `kind`; answers the error for further checks. */
export async function rejectsWithKind(promise: Promise<unknown>, kind: string): Promise<{ kind: string; message: string; data: Record<string, unknown> }> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected a ${kind} error, but the call succeeded`);
  const err = caught as { kind?: string; message: string; data?: Record<string, unknown> };
  assert.equal(err.kind, kind, `expected kind ${kind}, got ${err.kind}: ${err.message}`);
  assert.equal(err.data?.kind, kind, "error.data.kind");
  return err as { kind: string; message: string; data: Record<string, unknown> };
}
