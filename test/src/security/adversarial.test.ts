/**
 * The adversarial suite (issue 4; the issue says test/security/, the test
 * project compiles test/src only, so it lives in test/src/security/): hostile
 * inputs against a REAL machinad on a sandbox, across framing, the handshake,
 * Augeas paths and resource names. Each one asserts the error kind the daemon
 * answers, that the daemon is still running and serves the next legitimate
 * client, and that every file of the sandbox (root/ and outside/) is
 * byte-identical afterwards, inode and mtime included (hostile-harness.ts).
 * The last test prints how many distinct hostile inputs ran.
 *
 * Expectations are exact: one error kind per case, never "this or that", and
 * every method a case calls must be in the vocabulary (hostile-harness.ts
 * checks it). Where the fixed strings below stop, generated ones (fast-check,
 * fixed seed) add resource names and labels the list did not think of.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import {
  METHOD_NAMES,
  PROTOCOL_VERSION,
  clientProof,
  encodeBase64,
  generateKey,
  isMethodName,
  newNonce,
  serverProof,
  type MethodName,
} from "@machina/protocol";
import { daemonSuite } from "../harness/daemon-suite.js";
import { STANDARD_POLICY } from "../harness/policies.js";
import { waitFor } from "../harness/wait.js";
import type { RawConnection, RawResponse } from "../harness/raw-client.js";
import { authenticatedCall, call, counts, hostile, kindOf, unknownMethodCall, waitIdle, type AttackContext, type Observed } from "./hostile-harness.js";
import { paramsFor } from "./schema-params.js";

/**
 * The standard policy, plus one of each resource section so that the
 * service/package/timezone/command methods (where the vocabulary has them)
 * are granted and reach their name checks.
 */
export const ADVERSARIAL_POLICY = `${STANDARD_POLICY}
[[service]]
name = "machina-probe"
actions = ["status"]

[package]
install = ["machina-probe"]

[timezone]

[[command]]
name = "probe-true"
path = "/bin/true"
`;

// Wrong proofs keep their connection's place among those waiting to authenticate for a penalty (up to
// 5 s), and every case here runs in this one process: more places than the default 8 per uid, so that
// one case's wrong proofs do not turn the next case's connections away (the bounds themselves are
// tested in availability.test.ts).
const suite = daemonSuite({
  policy: ADVERSARIAL_POLICY,
  args: ["--auth-timeout", "1500", "--max-pending", "64", "--max-pending-per-uid", "64"],
  restoreEachTest: false,
});
const MiB = 1024 * 1024;

/** Sends bytes, answers the kind of the one reply, and checks that the daemon then closed the connection. */
async function fatal(c: RawConnection, bytes: string | Buffer): Promise<Observed> {
  c.send(bytes);
  const reply = (await c.next()) as RawResponse | undefined;
  await c.waitClosed();
  return kindOf(reply);
}

/** Sends one line and answers the kind of the reply; the connection must stay open. */
async function answered(c: RawConnection, line: string): Promise<Observed> {
  c.send(line);
  const reply = (await c.next()) as RawResponse | RawResponse[] | undefined;
  assert.ok(!c.isClosed || reply !== undefined, "no answer");
  return kindOf(reply);
}

/** One request line; a string method must be one of the vocabulary (a number is a hostile method). */
const req = (method: MethodName | number, params: unknown = {}, id: unknown = 1) => {
  assert.ok(typeof method === "number" || isMethodName(method), `${method} is not a method of the vocabulary`);
  return JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n";
};

// ─── framing ─────────────────────────────────────────────────────────────────

const framing = (name: string, expected: Observed, attack: (ctx: AttackContext) => Promise<Observed>) =>
  hostile(suite, "framing", name, expected, attack);

framing("a line of 1 MiB + 1 byte before authenticating", "invalid-params", async (ctx) =>
  fatal(await ctx.open(), req("session.hello", { protocol: 1, nonce: "A".repeat(MiB) })),
);
framing("a line of 2 MiB after authenticating, sent as one write", "invalid-params", async (ctx) =>
  fatal(await ctx.session(), req("augeas.set", { path: "/files/etc/hostname/hostname", value: "x".repeat(2 * MiB) })),
);
framing("4 MiB with no newline at all", "invalid-params", async (ctx) => fatal(await ctx.open(), Buffer.alloc(4 * MiB, 0x7b)));
framing("invalid UTF-8 (0xff 0xfe)", "invalid-params", async (ctx) =>
  fatal(await ctx.open(), Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')])),
);
framing("an overlong UTF-8 encoding of '/' (0xc0 0xaf)", "invalid-params", async (ctx) =>
  fatal(
    await ctx.session(),
    Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"augeas.get","params":{"path":"/files/etc'), Buffer.from([0xc0, 0xaf]), Buffer.from('shadow"}}\n')]),
  ),
);
framing("a UTF-8-encoded lone surrogate (0xed 0xa0 0x80)", "invalid-params", async (ctx) =>
  fatal(await ctx.session(), Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"augeas.get","params":{"path":"/files/'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}}\n')])),
);
framing("a raw NUL byte inside a JSON string", "invalid-params", async (ctx) =>
  fatal(await ctx.session(), Buffer.from('{"jsonrpc":"2.0","id":1,"method":"augeas.get","params":{"path":"/files/etc/hostname\u0000/x"}}\n')),
);
// The UTF-8 decoder drops a leading byte-order mark; what is left is an ordinary hello.
framing("a byte-order mark before the JSON is dropped, not misread", "ok", async (ctx) =>
  answered(await ctx.open(), "\ufeff" + req("session.hello", { protocol: 1, nonce: encodeBase64(newNonce()) })),
);
framing("truncated JSON", "invalid-params", async (ctx) => fatal(await ctx.session(), '{"jsonrpc":"2.0","id":1,"method":"augeas.save"\n'));
framing("params nested 100 000 arrays deep", "invalid-params", async (ctx) => {
  const c = await ctx.session();
  const depth = 100_000;
  c.send(`{"jsonrpc":"2.0","id":1,"method":"augeas.get","params":{"path":${"[".repeat(depth)}${"]".repeat(depth)}}}\n`);
  return kindOf((await c.next()) as RawResponse);
});
framing("a message that is 100 000 nested objects", "invalid-params", async (ctx) => {
  const c = await ctx.session();
  const depth = 100_000;
  c.send(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}\n`);
  return kindOf((await c.next()) as RawResponse);
});
for (const [label, text] of [
  ["a bare number", "42"],
  ["a bare string", '"augeas.save"'],
  ["null", "null"],
  ["true", "true"],
  ["an empty batch", "[]"],
] as const) {
  framing(`a message that is ${label}`, "invalid-params", async (ctx) => answered(await ctx.session(), `${text}\n`));
}
framing("a batch of 257 requests (one over the limit), none of them run", "invalid-params", async (ctx) => {
  const c = await ctx.session();
  const batch = Array.from({ length: 257 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "augeas.set", params: { path: "/files/etc/hostname/hostname", value: "batched" } }));
  const kind = await answered(c, JSON.stringify(batch) + "\n");
  // Nothing of it is pending either.
  assert.deepEqual((await call(c, "augeas.preview")).result, { changes: [] });
  return kind;
});
framing("a batch of 256 non-objects", "invalid-params", async (ctx) => {
  const c = await ctx.session();
  c.send(JSON.stringify(Array.from({ length: 256 }, (_, i) => i)) + "\n");
  const reply = (await c.next()) as RawResponse[];
  assert.equal(reply.length, 256);
  const kinds = new Set(reply.map((r) => kindOf(r)));
  return [...kinds].join(",");
});
// At most 64 requests before authenticating: a batch that would go beyond them is not run at all.
framing("a batch of 256 saves before authenticating: none run, the connection closed", "unauthenticated", async (ctx) => {
  const c = await ctx.open();
  const reply = (await fatal(c, JSON.stringify(Array.from({ length: 256 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "augeas.save", params: {} }))) + "\n"));
  return reply;
});
framing("a batch of 64 saves before authenticating: each one unauthenticated", "unauthenticated", async (ctx) => {
  const c = await ctx.open();
  c.send(JSON.stringify(Array.from({ length: 64 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "augeas.save", params: {} }))) + "\n");
  const reply = (await c.next()) as RawResponse[];
  assert.equal(reply.length, 64);
  return [...new Set(reply.map((r) => kindOf(r)))].join(",");
});
framing('jsonrpc "1.0"', "invalid-params", async (ctx) => answered(await ctx.session(), JSON.stringify({ jsonrpc: "1.0", id: 1, method: "augeas.save" }) + "\n"));
framing("a method that is a number", "invalid-params", async (ctx) => answered(await ctx.session(), req(17)));
framing("an id that is an object", "invalid-params", async (ctx) => answered(await ctx.session(), req("augeas.save", {}, { $ne: 1 })));
framing("positional params (an array)", "invalid-params", async (ctx) => answered(await ctx.session(), req("augeas.get", ["/files/etc/hostname/hostname"])));
framing("params that are a string", "invalid-params", async (ctx) => answered(await ctx.session(), req("augeas.get", "/files/etc/hostname/hostname")));
framing("a response object sent to the daemon", "invalid-params", async (ctx) =>
  answered(await ctx.session(), JSON.stringify({ jsonrpc: "2.0", id: 1, result: { files: ["/etc/shadow"] } }) + "\n"),
);
framing("__proto__ in params does not supply a missing path", "invalid-params", async (ctx) =>
  answered(await ctx.session(), '{"jsonrpc":"2.0","id":1,"method":"augeas.set","params":{"__proto__":{"path":"/files/etc/hostname/hostname","value":"polluted"}}}\n'),
);
framing("unknown extra params are refused, not ignored", "invalid-params", async (ctx) =>
  authenticatedCall(ctx, "augeas.get", { path: "/files/etc/hostname/hostname", root: "/" }),
);
framing("200 000 keys in params", "invalid-params", async (ctx) => {
  const params: Record<string, number> = {};
  for (let i = 0; i < 200_000; i++) params[`k${i}`] = 0;
  return authenticatedCall(ctx, "augeas.get", params);
});
framing("a request dribbled one byte at a time is still answered correctly", "ok", async (ctx) => {
  const c = await ctx.session();
  const bytes = Buffer.from(req("augeas.get", { path: "/files/etc/hostname/hostname" }, "slow"));
  for (const b of bytes) {
    c.send(Buffer.from([b]));
    await new Promise((r) => setTimeout(r, 2));
  }
  const reply = (await c.nextResponse());
  assert.equal(reply.id, "slow");
  return kindOf(reply);
});
framing("a slow sender that never finishes its line is timed out before authenticating", "timeout", async (ctx) => {
  const c = await ctx.open();
  c.send('{"jsonrpc":"2.0","id":1,"method":"session.hel');
  const reply = (await c.next()) as RawResponse | undefined;
  await c.waitClosed();
  return kindOf(reply);
});
framing("60 pre-authentication notifications, then a call: no answers to them, nothing done", "unauthenticated", async (ctx) => {
  const c = await ctx.open();
  const note = JSON.stringify({ jsonrpc: "2.0", method: "augeas.set", params: { path: "/files/etc/hostname/hostname", value: "noted" } }) + "\n";
  c.send(note.repeat(60) + req("augeas.get", { path: "/files/etc/hostname/hostname" }, "last"));
  const reply = await c.nextResponse();
  assert.equal(reply.id, "last", "notifications get no answer");
  return kindOf(reply);
});
// Notifications count against the 64 requests before authenticating: the 65th ends the connection.
framing("2 000 pre-authentication notifications: the connection is closed after 64, nothing done", "unauthenticated", async (ctx) => {
  const c = await ctx.open();
  const note = JSON.stringify({ jsonrpc: "2.0", method: "augeas.set", params: { path: "/files/etc/hostname/hostname", value: "noted" } }) + "\n";
  const reply = await fatal(c, note.repeat(2000));
  return reply;
});
framing("a blank line is not a message: parse error, connection closed", "invalid-params", async (ctx) => fatal(await ctx.session(), "\n"));
framing("a request ending in CRLF is answered (the CR is JSON whitespace)", "ok", async (ctx) => {
  const c = await ctx.session();
  c.send(req("augeas.get", { path: "/files/etc/hostname/hostname" }, "crlf").replace(/\n$/, "\r\n"));
  const reply = await c.nextResponse();
  assert.equal(reply.id, "crlf");
  return kindOf(reply);
});

// ─── handshake ───────────────────────────────────────────────────────────────

const handshake = (name: string, expected: Observed, attack: (ctx: AttackContext) => Promise<Observed>) =>
  hostile(suite, "handshake", name, expected, attack);

async function helloed(ctx: AttackContext): Promise<RawConnection> {
  const c = await ctx.open();
  const h = await c.hello();
  assert.ok(h.result, JSON.stringify(h));
  return c;
}

/** A proof answer that closes the connection. */
async function proofRefused(c: RawConnection, proof: string): Promise<Observed> {
  const r = await call(c, "session.authenticate", { proof });
  await c.waitClosed();
  return kindOf(r);
}

handshake("a proof made with the wrong key", "auth-failed", async (ctx) => {
  const c = await helloed(ctx);
  return proofRefused(c, encodeBase64(clientProof(generateKey(), c.clientNonce!, c.serverNonce!)));
});
handshake("a proof replayed from an earlier, successful connection", "auth-failed", async (ctx) => {
  const first = await ctx.session();
  const recorded = encodeBase64(clientProof(ctx.suite.sandbox.key, first.clientNonce!, first.serverNonce!));
  first.close();
  await waitIdle(ctx.suite);
  // Same client nonce again: the server's fresh nonce still makes the old proof worthless.
  const c = await ctx.open();
  c.clientNonce = first.clientNonce;
  const h = await call(c, "session.hello", { protocol: PROTOCOL_VERSION, nonce: encodeBase64(first.clientNonce!) });
  assert.ok(h.result);
  return proofRefused(c, recorded);
});
handshake("the server's own proof reflected back as the client's", "auth-failed", async (ctx) => {
  const c = await helloed(ctx);
  return proofRefused(c, encodeBase64(serverProof(ctx.suite.sandbox.key, c.clientNonce!, c.serverNonce!)));
});
handshake("a proof with the nonces swapped", "auth-failed", async (ctx) => {
  const c = await helloed(ctx);
  return proofRefused(c, encodeBase64(clientProof(ctx.suite.sandbox.key, c.serverNonce!, c.clientNonce!)));
});
handshake("a proof made with an all-zero key", "auth-failed", async (ctx) => {
  const c = await helloed(ctx);
  return proofRefused(c, encodeBase64(clientProof(new Uint8Array(32), c.clientNonce!, c.serverNonce!)));
});
// The schema takes any proof string up to 128 characters; one that does not decode to 64 bytes is a wrong proof.
handshake("a proof of the wrong length", "auth-failed", async (ctx) => {
  const c = await helloed(ctx);
  const r = await call(c, "session.authenticate", { proof: encodeBase64(new Uint8Array(10)) });
  return kindOf(r);
});
handshake("a proof that is not base64", "auth-failed", async (ctx) => {
  const c = await helloed(ctx);
  return kindOf(await call(c, "session.authenticate", { proof: "!!!!not*base64!!!!" }));
});
// Out of order: a malformed exchange, not a wrong proof (and it does not feed the brute-force throttle).
handshake("authenticate before hello", "invalid-params", async (ctx) => {
  const c = await ctx.open();
  return kindOf(await call(c, "session.authenticate", { proof: encodeBase64(new Uint8Array(64)) }));
});
handshake("hello with an unknown protocol version", "invalid-params", async (ctx) => {
  const c = await ctx.open();
  return kindOf(await call(c, "session.hello", { protocol: 2, nonce: encodeBase64(newNonce()) }));
});
handshake("hello with a short nonce", "invalid-params", async (ctx) => {
  const c = await ctx.open();
  return kindOf(await call(c, "session.hello", { protocol: 1, nonce: encodeBase64(new Uint8Array(8)) }));
});
handshake("a second hello after authenticating does not reset or widen the session", "invalid-params", async (ctx) => {
  const c = await ctx.session();
  const r = await call(c, "session.hello", { protocol: 1, nonce: encodeBase64(newNonce()) });
  // The session is still the authenticated one, still open, and still bound by the policy.
  assert.equal(c.isClosed, false, "the connection stays open");
  assert.equal(kindOf(await call(c, "augeas.get", { path: "/files/etc/hostname/hostname" })), "ok");
  assert.equal(kindOf(await call(c, "augeas.set", { path: "/files/etc/default/locale/LANG", value: "C" })), "policy-denied");
  return kindOf(r);
});
handshake("a wrong proof after a successful authentication", "invalid-params", async (ctx) => {
  const c = await ctx.session();
  return kindOf(await call(c, "session.authenticate", { proof: encodeBase64(new Uint8Array(64)) }));
});
handshake("augeas.set before authenticating", "unauthenticated", async (ctx) =>
  kindOf(await call(await helloed(ctx), "augeas.set", { path: "/files/etc/hostname/hostname", value: "early" })),
);
handshake("augeas.save before even saying hello", "unauthenticated", async (ctx) => kindOf(await call(await ctx.open(), "augeas.save")));
handshake("a batch of hello, a wrong proof and a set: the set never runs", "ok,auth-failed", async (ctx) => {
  const c = await ctx.open();
  const nonce = newNonce();
  c.sendMessage([
    { jsonrpc: "2.0", id: 1, method: "session.hello", params: { protocol: 1, nonce: encodeBase64(nonce) } },
    { jsonrpc: "2.0", id: 2, method: "session.authenticate", params: { proof: encodeBase64(new Uint8Array(64)) } },
    { jsonrpc: "2.0", id: 3, method: "augeas.set", params: { path: "/files/etc/hostname/hostname", value: "batched" } },
    { jsonrpc: "2.0", id: 4, method: "augeas.save", params: {} },
  ]);
  const reply = (await c.next()) as RawResponse[];
  await c.waitClosed();
  return reply.map((r) => kindOf(r)).join(",");
});
// Each wrong proof is answered at once and ends its connection; its place among the connections
// waiting to authenticate stays taken for a penalty that doubles from 100 ms with each failure of
// the uid (up to 5 s), so a guesser's uid soon has no place left (8 by default) and its guesses
// slow to 8 per 5 s. Nothing delays a right proof: see test/src/availability.test.ts.
handshake("brute force: eight wrong proofs on eight connections", "auth-failed", async (ctx) => {
  const kinds = new Set<Observed>();
  for (let i = 0; i < 8; i++) {
    await waitIdle(ctx.suite);
    const c = await helloed(ctx);
    kinds.add(await proofRefused(c, encodeBase64(clientProof(generateKey(), c.clientNonce!, c.serverNonce!))));
  }
  // The right key gets in at once (by default, this one process would first wait for one of its
  // uid's 8 places to come free: its own wrong proofs hold them).
  await waitFor(async () => {
    await waitIdle(ctx.suite);
    const c = await ctx.open();
    try {
      await c.handshake(ctx.suite.sandbox.key);
      return true;
    } catch {
      return false;
    } finally {
      c.close();
    }
  }, "the right key to be accepted after the brute force");
  return [...kinds].join(",");
});
handshake("a connection that sends nothing is timed out", "timeout", async (ctx) => {
  const c = await ctx.open();
  const reply = (await c.next()) as RawResponse | undefined;
  await c.waitClosed();
  return kindOf(reply);
});
handshake("a second connection during a session is told busy once it has authenticated", "busy", async (ctx) => {
  await ctx.session();
  const intruder = await ctx.open();
  assert.ok((await intruder.hello()).result);
  const reply = await intruder.authenticateWith(ctx.suite.sandbox.key);
  await intruder.waitClosed();
  return kindOf(reply);
});

// ─── paths ───────────────────────────────────────────────────────────────────

const paths = (name: string, expected: Observed, attack: (ctx: AttackContext) => Promise<Observed>) =>
  hostile(suite, "paths", name, expected, attack);

/**
 * Each hostile path, tried with get, then set and remove, then save on the same
 * connection: all three refused with the same kind, nothing pending. The kind
 * is policy-denied (the strict path grammar and the policy refuse it) unless a
 * third element says otherwise.
 */
const REJECTED_PATHS: [what: string, path: string, kind?: Observed][] = [
  ["a '..' step", "/files/etc/hosts/../shadow/root"],
  ["a '.' step", "/files/etc/./hostname/hostname"],
  ["'//' (descendant)", "//hostname"],
  ["'//' in the middle", "/files/etc//ipaddr"],
  ["the ancestor axis", "/files/etc/hosts/1/ancestor::*"],
  ["the following-sibling axis", "/files/etc/hosts/1/following-sibling::*"],
  ["a variable", "$hosts/1/ipaddr"],
  ["a function in a predicate", "/files/etc/hosts/*[count(alias) > 0]/ipaddr"],
  ["regexp()", '/files/etc/hosts/*[ipaddr =~ regexp(".*")]/canonical'],
  ["a union", "/files/etc/hostname/hostname | /files/etc/shadow/root"],
  ["an absolute path in a predicate", "/files/etc/hosts/*[/files/etc/shadow/root]/ipaddr"],
  ["arithmetic in a predicate", "/files/etc/hosts/1/alias[last()+1]"],
  ["'.' in a predicate", '/files/etc/hosts/1/ipaddr[. = "127.0.0.1"]'],
  ["the /augeas control tree (save mode)", "/augeas/save"],
  ["the /augeas control tree (load transforms)", "/augeas/load/Shadow/incl"],
  ["the /augeas control tree (root)", "/augeas/root"],
  ["a relative path", "files/etc/hostname/hostname"],
  ["a file outside the policy", "/files/etc/shadow/root/password"],
  ["an escaped slash making '..' part of a label", "/files/etc/hosts\\/..\\/shadow/root"],
  ["a control character", "/files/etc/hostname/host\u0001name"],
  ["a newline", "/files/etc/hostname/hostname\n/files/etc/shadow"],
  // Longer than the schema's 4096 characters: malformed before the grammar sees it.
  ["a path of 5 000 steps", "/files" + "/x".repeat(5000), "invalid-params"],
  ["the whole /files tree", "/files"],
  ["a predicate reading an unreadable node", '/files/etc/ssh/sshd_config[Subsystem/type = "sftp"]/Port'],
];
for (const [what, p, kind = "policy-denied"] of REJECTED_PATHS) {
  paths(`${what}: ${JSON.stringify(p.length > 60 ? `${p.slice(0, 60)}…` : p)}`, kind, async (ctx) => {
    const c = await ctx.session();
    const get = kindOf(await call(c, "augeas.get", { path: p }));
    assert.equal(kindOf(await call(c, "augeas.set", { path: p, value: "pwned" })), kind, `set of ${p}`);
    assert.equal(kindOf(await call(c, "augeas.remove", { path: p })), kind, `remove of ${p}`);
    assert.deepEqual((await call(c, "augeas.save")).result, { files: [], changed: false, tags: {} });
    return get;
  });
}

/** A write inside an allowed file that the policy does not allow; then a save that must write nothing. */
function refusedWrite(name: string, method: MethodName, params: Record<string, unknown>): void {
  paths(name, "policy-denied", async (ctx) => {
    const c = await ctx.session();
    const kind = kindOf(await call(c, method, params));
    assert.deepEqual((await call(c, "augeas.preview")).result, { changes: [] }, "nothing pending");
    assert.deepEqual((await call(c, "augeas.save")).result, { files: [], changed: false, tags: {} });
    return kind;
  });
}
refusedWrite("set of a read-only node inside a writable file (sshd UsePAM)", "augeas.set", { path: "/files/etc/ssh/sshd_config/UsePAM", value: "no" });
refusedWrite("setm reaching a read-only node below a writable file", "augeas.setm", { base: "/files/etc/ssh/sshd_config", sub: "UsePAM", value: "no" });
refusedWrite("move of a writable node onto a read-only one", "augeas.move", { source: "/files/etc/ssh/sshd_config/Port", destination: "/files/etc/ssh/sshd_config/UsePAM" });
refusedWrite("rename of a writable node to a read-only label", "augeas.rename", { path: "/files/etc/ssh/sshd_config/Port", label: "UsePAM" });
refusedWrite("remove of every setting, read-only ones among them", "augeas.remove", { path: "/files/etc/ssh/sshd_config/*" });
refusedWrite("remove of a file's own node (would delete the file)", "augeas.remove", { path: "/files/etc/hostname" });
refusedWrite("move of a node into another policy file", "augeas.move", { source: "/files/etc/hosts/1/alias", destination: "/files/etc/default/locale/LANG" });
refusedWrite("set in a read-only file", "augeas.set", { path: "/files/etc/default/locale/LANG", value: "C" });
refusedWrite("creating an unreadable, unwritable setting (sshd Subsystem)", "augeas.set", { path: "/files/etc/ssh/sshd_config/Subsystem/type", value: "shell" });
refusedWrite("insert of a label no write pattern allows", "augeas.insert", { path: "/files/etc/ssh/sshd_config/Port", label: "ForceCommand" });
refusedWrite("get of an unreadable node", "augeas.get", { path: "/files/etc/ssh/sshd_config/Subsystem/command" });
refusedWrite("apply whose third change is refused writes none of it", "augeas.apply", {
  changes: [
    { op: "set", path: "/files/etc/hostname/hostname", value: "first" },
    { op: "set", path: "/files/etc/ssh/sshd_config/Port", value: "2222" },
    { op: "set", path: "/files/etc/ssh/sshd_config/UsePAM", value: "no" },
  ],
});
paths("match of every sshd setting answers only the readable ones", "ok", async (ctx) => {
  const c = await ctx.session();
  const r = await call(c, "augeas.match", { path: "/files/etc/ssh/sshd_config/*" });
  const labels = (r.result.paths as string[]).map((p) => p.split("/").pop()!.replace(/\[\d+\]$/, ""));
  assert.ok(labels.includes("Port") && !labels.includes("Subsystem"), JSON.stringify(labels));
  return kindOf(r);
});
paths("a policy file swapped for a symlink out of the root between set and save", "policy-denied", async (ctx) => {
  const c = await ctx.session();
  assert.equal(kindOf(await call(c, "augeas.set", { path: "/files/etc/hostname/hostname", value: "swapped" })), "ok");
  const target = path.join(ctx.suite.sandbox.outside, "hostname");
  fs.writeFileSync(target, "outside\n");
  fs.rmSync(ctx.suite.sandbox.path("/etc/hostname"));
  fs.symlinkSync(target, ctx.suite.sandbox.path("/etc/hostname"));
  ctx.arm();
  ctx.restoreAfter();
  return kindOf(await call(c, "augeas.save"));
});
paths("a directory above a policy file swapped for a symlink between set and save", "policy-denied", async (ctx) => {
  const c = await ctx.session();
  assert.equal(kindOf(await call(c, "augeas.set", { path: "/files/etc/ssh/sshd_config/Port", value: "2222" })), "ok");
  const sb = ctx.suite.sandbox;
  fs.cpSync(sb.path("/etc/ssh"), path.join(sb.outside, "ssh"), { recursive: true });
  fs.rmSync(sb.path("/etc/ssh"), { recursive: true });
  fs.symlinkSync(path.join(sb.outside, "ssh"), sb.path("/etc/ssh"));
  ctx.arm();
  ctx.restoreAfter();
  return kindOf(await call(c, "augeas.save"));
});
// Before writing, save checks the file is still a regular file with one link inside the root (policy-denied if not) …
paths("a policy file replaced by a directory between set and save", "policy-denied", async (ctx) => {
  const c = await ctx.session();
  assert.equal(kindOf(await call(c, "augeas.set", { path: "/files/etc/hostname/hostname", value: "dir" })), "ok");
  const sb = ctx.suite.sandbox;
  fs.rmSync(sb.path("/etc/hostname"));
  fs.mkdirSync(sb.path("/etc/hostname"));
  fs.writeFileSync(sb.path("/etc/hostname/inside"), "x\n");
  ctx.arm();
  ctx.restoreAfter();
  return kindOf(await call(c, "augeas.save"));
});
paths("a policy file replaced by a hard link to a file outside the root is never written through", "policy-denied", async (ctx) => {
  const c = await ctx.session();
  assert.equal(kindOf(await call(c, "augeas.set", { path: "/files/etc/hostname/hostname", value: "linked" })), "ok");
  const sb = ctx.suite.sandbox;
  const target = path.join(sb.outside, "precious");
  fs.writeFileSync(target, "precious\n");
  fs.rmSync(sb.path("/etc/hostname"));
  fs.linkSync(target, sb.path("/etc/hostname"));
  ctx.arm();
  ctx.restoreAfter();
  return kindOf(await call(c, "augeas.save"));
});

// ─── resource names ──────────────────────────────────────────────────────────

const resources = (name: string, expected: Observed, attack: (ctx: AttackContext) => Promise<Observed>) =>
  hostile(suite, "resource names", name, expected, attack);

/**
 * Labels for rename and insert of /files/etc/hosts/1/alias. The schema takes
 * any label of 1 to 1024 characters without a NUL or a lone surrogate (otherwise invalid-params); the
 * rest are refused by the policy engine: not a label at all ('/', '::', control
 * characters, only dots), or one no write pattern allows (only ipaddr,
 * canonical and alias may sit below a hosts entry).
 */
const HOSTILE_LABELS: [what: string, label: string, kind: Observed][] = [
  ["'..'", "..", "policy-denied"],
  ["containing '/'", "a/b", "policy-denied"],
  ["'*'", "*", "policy-denied"],
  ["with a position", "alias[1]", "policy-denied"],
  ["an axis", "child::x", "policy-denied"],
  ["empty", "", "invalid-params"],
  ["with a control character", "al\u0007ias", "policy-denied"],
  // libaugeas keeps labels as C strings: these never reach it (StorableText in the protocol).
  ["with a NUL", "al\u0000ias", "invalid-params"],
  ["with a lone surrogate", "al\ud800ias", "invalid-params"],
  ["of 2 000 characters", "a".repeat(2000), "invalid-params"],
];
for (const [what, label, kind] of HOSTILE_LABELS) {
  resources(`rename to a label ${what}`, kind, async (ctx) => authenticatedCall(ctx, "augeas.rename", { path: "/files/etc/hosts/1/alias", label }));
  resources(`insert of a label ${what}`, kind, async (ctx) => authenticatedCall(ctx, "augeas.insert", { path: "/files/etc/hosts/1/alias", label }));
}
for (const method of ["constructor", "__proto__", "toString", "hasOwnProperty", "augeas", "augeas.", ".get", "rpc.discover.x", "AUGEAS.GET", "augeas.get\u0000"]) {
  resources(`method name ${JSON.stringify(method)}`, "not-found", async (ctx) => unknownMethodCall(ctx, method, {}));
}

/**
 * Hostile names for the service, package, timezone and command methods, aimed
 * at each one's resource param (every string param its schema has). Each
 * method answers one kind: ADVERSARIAL_POLICY grants service.status,
 * package.status, package.install and command.run, which check the name and
 * refuse every one of these as malformed (invalid-params); it grants none of
 * the others, and a method the policy does not grant is refused before its
 * params are even read (policy-denied). Either way nothing runs and nothing changes.
 */
const HOSTILE_NAMES = ["-x", "../../../etc/shadow", "nginx; reboot", "$(touch /tmp/pwned)", "a\nb", "*"];
const RESOURCE_METHODS = {
  "service.status": "invalid-params",
  "service.start": "policy-denied",
  "service.stop": "policy-denied",
  "service.restart": "policy-denied",
  "service.reload": "policy-denied",
  "service.enable": "policy-denied",
  "service.disable": "policy-denied",
  "service.log": "policy-denied",
  "package.status": "invalid-params",
  "package.install": "invalid-params",
  "package.remove": "policy-denied",
  "system.setTimezone": "policy-denied",
  "command.run": "invalid-params",
} as const satisfies Partial<Record<MethodName, Observed>>;
const resourceMethods = Object.entries(RESOURCE_METHODS) as [keyof typeof RESOURCE_METHODS, Observed][];
for (const [method, kind] of resourceMethods) {
  for (const name of HOSTILE_NAMES) {
    // Every string param (and so the resource's) carries the hostile name.
    resources(`${method} with ${JSON.stringify(name)}`, kind, async (ctx) => authenticatedCall(ctx, method, paramsFor(method, () => name)));
  }
}

// ─── generated names and labels ──────────────────────────────────────────────

/**
 * Beyond the fixed strings: names and labels made by fast-check from a fixed
 * seed (MACHINA_PROPERTY_SEED overrides it; the seed is printed), each holding
 * at least one fragment that no name rule and no label accepts, between
 * ordinary characters. Each case sends them all on one session and checks
 * every answer against the one kind its method gives the fixed strings.
 */
const GENERATED_SEED = Number.parseInt(process.env.MACHINA_PROPERTY_SEED ?? "", 10) || 7_301_947;
const GENERATED = 16;
const plain = fc.string({ unit: fc.constantFrom(..."abcxyz019._-"), maxLength: 12 });
const generate = (fragments: readonly string[]): string[] => [
  ...new Set(fc.sample(fc.tuple(plain, fc.constantFrom(...fragments), plain).map(([a, f, b]) => a + f + b), { seed: GENERATED_SEED, numRuns: GENERATED })),
];
/** Shell, glob and path syntax, whitespace and control characters: outside every service, package, zone and command name. */
const GENERATED_NAMES = generate([";", "$(", "`", " ", "\n", "\t", "|", "&", "<", ">", "'", '"', "\u0000", "\u0007", "*", "?", "/"]);
/** Not a label ('/', '::', control or non-ASCII characters), or not a label any write pattern allows (a NUL is invalid-params: HOSTILE_LABELS). */
const GENERATED_LABELS = generate(["/", "::", "\u0007", "\n", "\u00e9", "[1]", "*", " "]);

/** Sends `method` once per value on one session and asserts each answer is `kind`; answers the kinds seen. */
function generatedCase(method: MethodName, kind: Observed, values: readonly string[], params: (value: string) => unknown): void {
  resources(`${method} with ${values.length} generated hostile values (seed ${GENERATED_SEED})`, kind, async (ctx) => {
    const c = await ctx.session();
    const seen = new Set<Observed>();
    for (const value of values) {
      const got = kindOf(await call(c, method, params(value)));
      assert.equal(got, kind, `${method} with ${JSON.stringify(value)} (seed ${GENERATED_SEED})`);
      seen.add(got);
    }
    return [...seen].join(",");
  });
}
for (const [method, kind] of resourceMethods) generatedCase(method, kind, GENERATED_NAMES, (name) => paramsFor(method, () => name));
for (const method of ["augeas.rename", "augeas.insert"] as const) {
  generatedCase(method, "policy-denied", GENERATED_LABELS, (label) => ({ path: "/files/etc/hosts/1/alias", label }));
}

test("the number of distinct hostile inputs", (t) => {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  t.diagnostic(`adversarial suite: ${total} distinct hostile inputs (${[...counts].map(([c, n]) => `${c} ${n}`).join(", ")}); vocabulary of ${METHOD_NAMES.length} methods; generated values from seed ${GENERATED_SEED}`);
  console.log(`adversarial suite: ${total} distinct hostile inputs`);
  assert.ok(total >= 40, `only ${total} hostile inputs`);
  for (const category of ["framing", "handshake", "paths", "resource names"] as const) assert.ok((counts.get(category) ?? 0) > 0, category);
});
