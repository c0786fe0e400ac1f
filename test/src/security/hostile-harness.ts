/**
 * The frame every hostile input of the adversarial suite runs in:
 *
 *   1. wait until the daemon has no session (so the attack's first connection
 *      to authenticate gets the slot, not a `busy` answer);
 *   2. snapshot every file of the sandbox (bytes, inode, mtime), after any
 *      set-up the case does itself (a symlink swap is set-up, not an effect);
 *   3. run the attack, which answers the error kind the daemon gave;
 *   4. assert that kind, that the daemon process is still running, that every
 *      sandbox file is byte-identical to the snapshot, and that the next
 *      legitimate client is served (authenticates, reads, has nothing pending).
 *
 * Cases are counted per category so the suite can print how many distinct
 * hostile inputs it tried.
 *
 * Every expectation is one exact kind, and every method a case calls is a
 * method of the vocabulary (typed MethodName, and checked when the call is
 * made): a case must never adapt to a missing method, or deleting one would
 * keep the suite green.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isMethodName, type MethodName } from "@machina/protocol";
import { assertServesNextRawClient } from "../harness/clients.js";
import type { DaemonSuite } from "../harness/daemon-suite.js";
import { RawConnection, rawSession, type RawResponse } from "../harness/raw-client.js";
import type { Snapshot } from "../harness/sandbox.js";
import { waitFor } from "../harness/wait.js";

export type Category = "framing" | "handshake" | "paths" | "resource names";

export interface AttackContext {
  readonly suite: DaemonSuite;
  /** A fresh connection, waiting to authenticate (nothing sent yet). */
  open(): Promise<RawConnection>;
  /** A fresh, authenticated connection. */
  session(): Promise<RawConnection>;
  /** Takes the "before" snapshot now (default: right before the attack runs). */
  arm(): void;
  /** Restores the fixtures after the checks (for cases that swap files as set-up). */
  restoreAfter(): void;
}

/** What an attack observed: the error kind, or "ok" when the daemon answered with a result. */
export type Observed = string;

export const counts = new Map<Category, number>();

/** Waits until every session (authenticated connection) has ended (the daemon's log says so for each one). */
export async function waitIdle(suite: DaemonSuite): Promise<void> {
  await waitFor(
    () => {
      const text = suite.daemon.stderr;
      const opened = text.match(/session \d+: connection from/g)?.length ?? 0;
      const ended = text.match(/session \d+: ended/g)?.length ?? 0;
      return opened === ended;
    },
    "the daemon to end its open session",
    () => suite.daemon.describe(),
  );
}

/** The kind of a response: its error's data.kind, or "ok". */
export function kindOf(r: RawResponse | RawResponse[] | undefined): Observed {
  if (r === undefined) return "(connection closed without an answer)";
  if (Array.isArray(r)) return r.map(kindOf).join(",");
  return r.error ? String(r.error.data?.kind ?? `(no kind, code ${r.error.code})`) : "ok";
}

/** Registers one hostile input as a test. `expected` is the one error kind (or "ok") the daemon must answer. */
export function hostile(
  suite: DaemonSuite,
  category: Category,
  name: string,
  expected: Observed,
  attack: (ctx: AttackContext) => Promise<Observed>,
): void {
  counts.set(category, (counts.get(category) ?? 0) + 1);
  test(`[${category}] ${name}`, async () => {
    await waitIdle(suite);
    let before: Snapshot | undefined;
    let restore = false;
    const conns: RawConnection[] = [];
    const ctx: AttackContext = {
      suite,
      open: async () => {
        const c = await RawConnection.open(suite.sandbox.socket);
        conns.push(c);
        return c;
      },
      session: async () => {
        const c = await rawSession(suite.sandbox.socket, suite.sandbox.key);
        conns.push(c);
        return c;
      },
      arm: () => {
        before = suite.sandbox.snapshot();
      },
      restoreAfter: () => {
        restore = true;
      },
    };
    before = suite.sandbox.snapshot();
    let observed: Observed;
    try {
      observed = await attack(ctx);
    } finally {
      for (const c of conns) c.close();
    }
    assert.equal(observed, expected, `expected ${expected}, got ${observed}`);
    assert.ok(suite.daemon.running, `the daemon died\n${suite.daemon.describe()}`);
    suite.sandbox.assertUnchanged(before);
    if (restore) suite.sandbox.restoreFixtures();
    await waitIdle(suite);
    await assertServesNextRawClient(suite.sandbox);
  });
}

/** Calls a method of the vocabulary on `c`; one that is not in it fails the case before anything is sent. */
export function call(c: RawConnection, method: MethodName, params: unknown = {}): Promise<RawResponse> {
  assert.ok(isMethodName(method), `${method} is not a method of the vocabulary`);
  return c.call(method, params);
}

/** Sends one request on an authenticated connection and answers its kind. */
export async function authenticatedCall(ctx: AttackContext, method: MethodName, params: unknown): Promise<Observed> {
  const c = await ctx.session();
  return kindOf(await call(c, method, params));
}

/** As authenticatedCall, for a name that must NOT be a method (so its not-found cannot come from a deleted method). */
export async function unknownMethodCall(ctx: AttackContext, name: string, params: unknown): Promise<Observed> {
  assert.ok(!isMethodName(name), `${JSON.stringify(name)} is a method of the vocabulary`);
  const c = await ctx.session();
  return kindOf(await c.call(name, params));
}
