/**
 * Invariant 6 at the byte level: malformed input ends that connection with
 * the matching JSON-RPC error, never the daemon. An over-long line is an
 * invalid request (-32600), invalid UTF-8 or JSON a parse error (-32700), and
 * the connection is closed; malformed requests inside valid JSON are answered
 * and the session goes on. Batches and pipelined calls are answered in order.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertServesNextRawClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { helloWhenFree, rawSessionWhenFree } from "./harness/raw-client.js";
import { fixtureText } from "./harness/sandbox.js";

const suite = daemonSuite();
const MiB = 1024 * 1024;

/** Sends `bytes` on a fresh connection (authenticated or not) and answers the one reply; asserts the close. */
async function fatal(bytes: Buffer, authenticated: boolean) {
  const c = authenticated ? await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key) : await openWhenFree();
  c.send(bytes);
  const reply = await c.nextResponse();
  await c.waitClosed();
  return reply;
}

const openWhenFree = () => helloWhenFree(suite.sandbox.socket);

for (const authenticated of [false, true]) {
  const who = authenticated ? "an authenticated client" : "an unauthenticated client";

  test(`a line longer than 1 MiB from ${who}: invalid request, connection closed, daemon lives`, async () => {
    const before = suite.sandbox.snapshot();
    const value = "x".repeat(MiB + 10);
    const line = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "augeas.set", params: { path: "/files/etc/hostname/hostname", value } }) + "\n");
    const reply = await fatal(line, authenticated);
    assert.equal(reply.id, null);
    assert.equal(reply.error?.code, -32600);
    assert.equal(reply.error?.data?.kind, "invalid-params");
    suite.sandbox.assertUnchanged(before);
    await assertServesNextRawClient(suite.sandbox);
  });

  test(`invalid UTF-8 from ${who}: parse error, connection closed, daemon lives`, async () => {
    const before = suite.sandbox.snapshot();
    const bytes = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"augeas.get","params":{"path":"/files/etc/hostname/'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}\n')]);
    const reply = await fatal(bytes, authenticated);
    assert.equal(reply.id, null);
    assert.equal(reply.error?.code, -32700);
    assert.equal(reply.error?.data?.kind, "invalid-params");
    suite.sandbox.assertUnchanged(before);
    await assertServesNextRawClient(suite.sandbox);
  });

  test(`invalid JSON from ${who}: parse error, connection closed, daemon lives`, async () => {
    const before = suite.sandbox.snapshot();
    const reply = await fatal(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"augeas.get",\n'), authenticated);
    assert.equal(reply.id, null);
    assert.equal(reply.error?.code, -32700);
    assert.equal(reply.error?.data?.kind, "invalid-params");
    suite.sandbox.assertUnchanged(before);
    await assertServesNextRawClient(suite.sandbox);
  });
}

test("an over-long line is refused before its newline arrives (no unbounded buffering)", async () => {
  const c = await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key);
  // 2 MiB with no newline at all: the daemon must answer and close without waiting for one.
  c.send(Buffer.alloc(2 * MiB, 0x61));
  const reply = await c.nextResponse();
  assert.equal(reply.error?.code, -32600);
  await c.waitClosed();
  await assertServesNextRawClient(suite.sandbox);
});

test("a line of exactly 1 MiB is accepted", async () => {
  const c = await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key);
  try {
    const head = '{"jsonrpc":"2.0","id":"big","method":"augeas.match","params":{"path":"/files/etc/hosts/*"},"pad":"';
    const tail = '"}';
    const line = head + "p".repeat(MiB - head.length - tail.length) + tail;
    assert.equal(Buffer.byteLength(line), MiB);
    c.send(line + "\n");
    const r = await c.nextResponse();
    // The extra member makes it an odd request, but it is framed and answered, not a framing error.
    assert.equal(r.id, "big");
    assert.ok(!c.isClosed);
    const g = await c.call("augeas.get", { path: "/files/etc/hostname/hostname" });
    assert.deepEqual(g.result, { value: "panel" });
  } finally {
    c.close();
  }
});

test("malformed requests in valid JSON are answered and the session goes on", async () => {
  const c = await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key);
  try {
    c.sendMessage(42);
    assert.equal((await c.nextResponse()).error?.code, -32600);
    c.sendMessage({ jsonrpc: "1.0", id: 1, method: "augeas.get", params: {} });
    assert.equal((await c.nextResponse()).error?.code, -32600);
    c.sendMessage([]);
    assert.equal((await c.nextResponse()).error?.code, -32600);
    const positional = await c.call("augeas.get", ["/files/etc/hostname/hostname"]);
    assert.equal(positional.error?.data?.kind, "invalid-params");
    const unknown = await c.call("system.rootShell", {});
    assert.equal(unknown.error?.code, -32601);
    assert.equal(unknown.error?.data?.kind, "not-found");
    const extra = await c.call("augeas.get", { path: "/files/etc/hostname/hostname", evil: true });
    assert.equal(extra.error?.data?.kind, "invalid-params");
    const relative = await c.call("augeas.get", { path: "etc/hostname" });
    assert.ok(["invalid-params", "policy-denied"].includes(String(relative.error?.data?.kind)), JSON.stringify(relative));
    // A notification (no id) is not answered: the next answer is for the next call.
    c.sendMessage({ jsonrpc: "2.0", method: "augeas.get", params: { path: "/files/etc/hostname/hostname" } });
    const g = await c.call("augeas.get", { path: "/files/etc/hostname/hostname" }, "after-notification");
    assert.equal(g.id, "after-notification");
    assert.deepEqual(g.result, { value: "panel" });
  } finally {
    c.close();
  }
});

test("a batch is answered with an array, in order", async () => {
  const c = await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key);
  try {
    c.sendMessage([
      { jsonrpc: "2.0", id: "a", method: "augeas.get", params: { path: "/files/etc/hostname/hostname" } },
      { jsonrpc: "2.0", id: "b", method: "augeas.get", params: { path: "/files/etc/shadow/root" } },
      { jsonrpc: "2.0", id: "c", method: "augeas.get", params: { path: "/files/etc/hosts/1/ipaddr" } },
    ]);
    const answers = (await c.next()) as { id: string; result?: unknown; error?: { data: { kind: string } } }[];
    assert.ok(Array.isArray(answers), JSON.stringify(answers));
    assert.deepEqual(
      answers.map((a) => a.id),
      ["a", "b", "c"],
    );
    assert.deepEqual(answers[0]!.result, { value: "panel" });
    assert.equal(answers[1]!.error?.data.kind, "policy-denied");
    assert.deepEqual(answers[2]!.result, { value: "127.0.0.1" });
    // More than 256 requests in one batch is refused as a whole.
    c.sendMessage(Array.from({ length: 257 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "augeas.preview", params: {} })));
    assert.equal((await c.nextResponse()).error?.code, -32600);
  } finally {
    c.close();
  }
});

test("pipelined calls run in arrival order: set … set … save in one write", async () => {
  const c = await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key);
  try {
    const calls = [
      { jsonrpc: "2.0", id: 1, method: "augeas.set", params: { path: "/files/etc/hostname/hostname", value: "one" } },
      { jsonrpc: "2.0", id: 2, method: "augeas.set", params: { path: "/files/etc/hostname/hostname", value: "two" } },
      { jsonrpc: "2.0", id: 3, method: "augeas.save", params: {} },
      { jsonrpc: "2.0", id: 4, method: "augeas.set", params: { path: "/files/etc/hostname/hostname", value: "three" } },
      { jsonrpc: "2.0", id: 5, method: "augeas.get", params: { path: "/files/etc/hostname/hostname" } },
    ];
    c.send(calls.map((m) => JSON.stringify(m) + "\n").join(""));
    const answers = [];
    for (let i = 0; i < calls.length; i++) answers.push(await c.nextResponse());
    assert.deepEqual(
      answers.map((a) => a.id),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual((answers[2]!.result as { files: string[] }).files, ["/etc/hostname"]);
    assert.deepEqual(answers[4]!.result, { value: "three" });
  } finally {
    c.close();
  }
  assert.equal(suite.sandbox.read("/etc/hostname"), "two\n");
  assert.equal(suite.sandbox.read("/etc/hosts"), fixtureText("hosts"));
});
