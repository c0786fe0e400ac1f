/**
 * Invariants 5 and 6: the mutual handshake and the one-session rule.
 * - a wrong secret gets `auth-failed` and the connection closed; the daemon
 *   then serves a client with the right secret;
 * - a recorded proof is useless on another connection (fresh nonces);
 * - an impostor listening on the socket path cannot prove the key: the client
 *   refuses it with ConnectionError and never sends it a call;
 * - nothing but session.* / rpc.discover is answered before authenticating, and
 *   rpc.discover then lists method names only (no x-policy, no schemas);
 * - a second client while one is connected is told `busy` when it has authenticated, and closed;
 * - a connection that never authenticates is timed out;
 * - a client holding a key refuses a daemon that offers no authentication.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AuthFailedError, BusyError, ConnectionError, connect } from "@machina/client";
import { clientProof, encodeBase64, generateKey } from "@machina/protocol";
import { assertServesNextClient, connectClient } from "./harness/clients.js";
import { impostor } from "./harness/impostor.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { startDaemon } from "./harness/daemon.js";
import { RawConnection, helloWhenFree, rawSessionWhenFree } from "./harness/raw-client.js";
import { Sandbox } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";

const suite = daemonSuite();

const openFree = helloWhenFree;

test("a wrong secret gets auth-failed, the connection is closed, and the daemon serves the right one next", async () => {
  const before = suite.sandbox.snapshot();
  const wrong = suite.sandbox.writeSecret("wrong-secret", generateKey());

  // Through the typed client.
  let caught: unknown;
  try {
    const m = await connectClient(suite.sandbox, { secretFile: wrong });
    await m.close();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AuthFailedError, `expected AuthFailedError, got ${String(caught)}`);
  assert.equal(caught.data.kind, "auth-failed");

  // By hand: the answer, then the close.
  const c = await openFree(suite.sandbox.socket);
  const r = await c.authenticateWith(generateKey());
  assert.equal(r.error?.data?.kind, "auth-failed");
  assert.equal(r.error?.code, -32002);
  await c.waitClosed();

  // A malformed proof is a failure too, not a crash.
  const c2 = await openFree(suite.sandbox.socket);
  const r2 = await c2.call("session.authenticate", { proof: "not base64!" });
  assert.equal(r2.error?.data?.kind, "auth-failed");
  await c2.waitClosed();

  suite.sandbox.assertUnchanged(before);
  await assertServesNextClient(suite.sandbox);
});

test("a proof recorded on one connection is refused on another", async () => {
  const first = await openFree(suite.sandbox.socket);
  const ok = await first.authenticateWith(suite.sandbox.key);
  assert.ok(ok.result, JSON.stringify(ok));
  assert.ok(first.serverProofValid(suite.sandbox.key, ok), "the daemon proves it knows the key");
  const recorded = encodeBase64(
    // The client proof of the first connection, recomputed as an eavesdropper would have seen it.
    clientProof(suite.sandbox.key, first.clientNonce!, first.serverNonce!),
  );
  first.close();
  await first.closed;

  const second = await openFree(suite.sandbox.socket);
  const r = await second.call("session.authenticate", { proof: recorded });
  assert.equal(r.error?.data?.kind, "auth-failed");
  await second.waitClosed();
  await assertServesNextClient(suite.sandbox);
});

test("calls before authentication are unauthenticated and change nothing", async () => {
  const before = suite.sandbox.snapshot();
  const c = await waitFor(async () => {
    const conn = await RawConnection.open(suite.sandbox.socket);
    const r = await conn.call("augeas.get", { path: "/files/etc/hostname/hostname" });
    if (r.error?.data?.kind === "busy") {
      conn.close();
      return undefined;
    }
    assert.equal(r.error?.data?.kind, "unauthenticated", JSON.stringify(r));
    assert.equal(r.error?.code, -32001);
    return conn;
  }, "a free session slot");
  for (const [method, params] of [
    ["augeas.set", { path: "/files/etc/hostname/hostname", value: "pwned" }],
    ["augeas.save", {}],
    ["augeas.apply", { changes: [{ op: "set", path: "/files/etc/hostname/hostname", value: "pwned" }] }],
  ] as const) {
    const r = await c.call(method, params);
    assert.equal(r.error?.data?.kind, "unauthenticated", `${method}: ${JSON.stringify(r)}`);
  }
  // rpc.discover is answered before authenticating, with the allowed methods' names only: no
  // schemas, and nothing of the policy (files, node patterns, command rules) without the key.
  const d = await c.call("rpc.discover");
  assert.ok(d.result?.openrpc, JSON.stringify(d).slice(0, 300));
  const names = (d.result.methods as Record<string, unknown>[]).map((m) => m.name);
  assert.ok(names.includes("augeas.get") && names.includes("augeas.set"), names.join(" "));
  for (const m of d.result.methods as Record<string, unknown>[]) assert.deepEqual(Object.keys(m), ["name"], JSON.stringify(m));
  const text = JSON.stringify(d.result);
  for (const leak of ["x-policy", "/etc/hostname", "/etc/ssh/sshd_config", "PermitRootLogin", "schema"]) assert.ok(!text.includes(leak), `${leak} before authentication`);
  // After hello, but before the proof: still unauthenticated.
  await c.hello();
  const r = await c.call("augeas.set", { path: "/files/etc/hostname/hostname", value: "pwned" });
  assert.equal(r.error?.data?.kind, "unauthenticated");
  // The connection stays usable: the right proof now works.
  const a = await c.authenticateWith(suite.sandbox.key);
  assert.ok(a.result && c.serverProofValid(suite.sandbox.key, a));
  const g = await c.call("augeas.get", { path: "/files/etc/hostname/hostname" });
  assert.deepEqual(g.result, { value: "panel" });
  // Authenticated, rpc.discover answers the whole document, x-policy included.
  const full = await c.call("rpc.discover");
  const get = (full.result.methods as { name: string; params?: unknown[]; "x-policy"?: { files?: { path: string }[] } }[]).find((m) => m.name === "augeas.get");
  assert.ok(get?.params && get["x-policy"], JSON.stringify(get));
  assert.ok(JSON.stringify(get["x-policy"]).includes("/etc/ssh/sshd_config"), JSON.stringify(get["x-policy"]));
  c.close();
  suite.sandbox.assertUnchanged(before);
});

test("a second client while one is connected is told busy and closed", async () => {
  const before = suite.sandbox.snapshot();
  const first = await connectClient(suite.sandbox);
  try {
    await first.augeas.set({ path: "/files/etc/hostname/hostname", value: "first" });

    // By hand: the connection may say hello (the slot is taken only at authentication, so a
    // peer without the key cannot hold it); its right proof is answered busy, then the close.
    const raw = await RawConnection.open(suite.sandbox.socket);
    assert.ok((await raw.hello()).result);
    const m = await raw.authenticateWith(suite.sandbox.key);
    assert.equal(m.error?.data?.kind, "busy", JSON.stringify(m));
    assert.equal(m.error?.code, -32003);
    await raw.waitClosed();

    // Through the typed client.
    let caught: unknown;
    try {
      const second = await connect({ socket: suite.sandbox.socket, secretFile: suite.sandbox.secretFile });
      await second.close();
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof BusyError, `expected BusyError, got ${String(caught)}`);

    // The first session is untouched by all this.
    assert.deepEqual(await first.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "first" });
    await first.augeas.discard();
  } finally {
    await first.close();
  }
  suite.sandbox.assertUnchanged(before);
  await assertServesNextClient(suite.sandbox);
});

for (const variant of [
  { name: "a wrong server proof", auth: undefined, expectCalls: ["session.hello", "session.authenticate"] },
  { name: 'auth "none"', auth: "none", expectCalls: ["session.hello"] },
]) {
  test(`an impostor server (${variant.name}) is refused with ConnectionError and gets no further call`, async () => {
    const sandbox = Sandbox.create();
    const fake = await impostor(sandbox.socket, variant.auth ? { auth: variant.auth } : {});
    try {
      let caught: unknown;
      try {
        const m = await connect({ socket: sandbox.socket, secretFile: sandbox.secretFile });
        // Should never get here; if it does, this call is what must not happen.
        await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "leaked" }).catch(() => undefined);
        await m.close();
      } catch (e) {
        caught = e;
      }
      assert.ok(caught instanceof ConnectionError, `expected ConnectionError, got ${String(caught)}`);
      assert.equal(caught.kind, "connection");
      // The client hung up after the handshake; nothing else was ever sent.
      await fake.connectionsClosed();
      assert.deepEqual(fake.received, variant.expectCalls);
    } finally {
      await fake.close();
      sandbox.cleanup();
    }
  });
}

test("a connection that does not authenticate in time gets timeout and is closed", async () => {
  const sandbox = Sandbox.create();
  const daemon = await startDaemon(sandbox, { args: ["--auth-timeout", "1500"] });
  try {
    const c = await RawConnection.open(sandbox.socket);
    await c.hello();
    const m = await c.nextResponse();
    assert.equal(m.id, null);
    assert.equal(m.error?.data?.kind, "timeout");
    await c.waitClosed();
    // And a prompt client is still served.
    const ok = await rawSessionWhenFree(sandbox.socket, sandbox.key);
    ok.close();
    assert.ok(daemon.running, daemon.describe());
  } finally {
    await daemon.stop();
    sandbox.cleanup();
  }
});

test("a client with a key refuses a daemon running without a secret", async () => {
  const sandbox = Sandbox.create();
  const daemon = await startDaemon(sandbox, { secret: "none", args: ["--insecure-no-secret"] });
  try {
    const raw = await RawConnection.open(sandbox.socket);
    const h = await raw.hello();
    assert.equal(h.result?.auth, "none");
    raw.close();
    await raw.closed;
    let caught: unknown;
    await waitFor(async () => {
      try {
        const m = await connect({ socket: sandbox.socket, secretFile: sandbox.secretFile });
        await m.close();
        caught = "connected";
      } catch (e) {
        if (e instanceof BusyError) return false;
        caught = e;
      }
      return true;
    }, "a free session slot");
    assert.ok(caught instanceof ConnectionError, `expected ConnectionError, got ${String(caught)}`);
  } finally {
    await daemon.stop();
    sandbox.cleanup();
  }
});

test("regression: a wrong proof in a batch ends the connection; later proofs and calls in it are not run", async () => {
  const before = suite.sandbox.snapshot();
  const c = await openFree(suite.sandbox.socket);
  const proof = (key: Uint8Array) => encodeBase64(clientProof(key, c.clientNonce!, c.serverNonce!));
  c.sendMessage([
    { jsonrpc: "2.0", id: 1, method: "session.authenticate", params: { proof: proof(generateKey()) } },
    { jsonrpc: "2.0", id: 2, method: "session.authenticate", params: { proof: proof(suite.sandbox.key) } },
    { jsonrpc: "2.0", id: 3, method: "augeas.set", params: { path: "/files/etc/hostname/hostname", value: "after-a-failed-proof" } },
    { jsonrpc: "2.0", id: 4, method: "augeas.save", params: {} },
  ]);
  const answers = (await c.next()) as { id: number; error?: { data: { kind: string } } }[];
  assert.deepEqual(
    answers.map((a) => [a.id, a.error?.data.kind]),
    [[1, "auth-failed"]],
  );
  await c.waitClosed();
  suite.sandbox.assertUnchanged(before);
  await assertServesNextClient(suite.sandbox);
});
