import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ERROR_CODES, ERROR_KINDS, METHOD_NAMES, encodeBase64, generateKey } from "@machina/protocol";
import { connect, type ConnectOptions } from "#src/client.js";
import {
  AuthFailedError,
  BusyError,
  ConnectionError,
  InternalError,
  MachinaError,
  PolicyDeniedError,
  TimeoutError,
  errorClassFor,
} from "#src/errors.js";
import { FakeServer, wireError, type FakeRequest, type FakeServerOptions } from "./testing/fake-server.js";

async function withServer(options: FakeServerOptions, body: (server: FakeServer) => Promise<void>): Promise<void> {
  const server = await FakeServer.start(options);
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

function optionsFor(server: FakeServer, extra: ConnectOptions = {}): ConnectOptions {
  return { socket: server.socketPath, secret: server.secret, trustedSocketOwner: null, ...extra };
}

const echoGet: FakeServerOptions["onCall"] = (request) => {
  if (request.method === "augeas.get") return { result: { value: `value of ${(request.params as { path: string }).path}` } };
  return wireError("not-found", `no method ${request.method}`);
};

test("handshake succeeds and typed calls reach the daemon", async () => {
  await withServer({ onCall: echoGet, serverName: "machinad/9.9.9" }, async (server) => {
    const m = await connect(optionsFor(server));
    assert.deepEqual(m.server, { name: "machinad/9.9.9", protocol: 1 });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), {
      value: "value of /files/etc/hostname/hostname",
    });
    assert.deepEqual(await m.call("augeas.get", { path: "/files/x" }), { value: "value of /files/x" });
    const methods = server.connections[0]!.received.map((r) => r.method);
    assert.deepEqual(methods, ["session.hello", "session.authenticate", "augeas.get", "augeas.get"]);
    await m.close();
    assert.equal(m.closed, true);
  });
});

test("the secret may come from a file", async () => {
  await withServer({ onCall: echoGet }, async (server) => {
    const file = path.join(server.dir, "secret");
    await writeFile(file, server.secret + "\n", { mode: 0o600 });
    const m = await connect({ socket: server.socketPath, secretFile: file, trustedSocketOwner: null });
    assert.equal((await m.augeas.get({ path: "/files/a" })).value, "value of /files/a");
    await m.close();
  });
});

test("socket and secret file default to $MACHINA_SOCKET and $MACHINA_SECRET_FILE", async () => {
  await withServer({ onCall: echoGet }, async (server) => {
    const file = path.join(server.dir, "secret");
    await writeFile(file, server.secret, { mode: 0o600 });
    const saved = { socket: process.env["MACHINA_SOCKET"], secret: process.env["MACHINA_SECRET_FILE"] };
    process.env["MACHINA_SOCKET"] = server.socketPath;
    process.env["MACHINA_SECRET_FILE"] = file;
    try {
      const m = await connect({ trustedSocketOwner: null });
      assert.equal(server.connections.length, 1);
      await m.close();
    } finally {
      for (const [name, value] of [["MACHINA_SOCKET", saved.socket], ["MACHINA_SECRET_FILE", saved.secret]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

test("namespaces come from the vocabulary, without session.*", async () => {
  await withServer(
    {
      onCall: (r) =>
        r.method === "rpc.discover" ? { result: { openrpc: "1.2.6", info: { title: "t", version: "1" }, methods: [] } } : undefined,
    },
    async (server) => {
      const m = await connect(optionsFor(server));
      const namespaces = [...new Set(METHOD_NAMES.map((n) => n.slice(0, n.indexOf("."))))].filter((ns) => ns !== "session").sort();
      assert.deepEqual(Object.keys(m).sort(), namespaces);
      for (const ns of ["augeas", "rpc", "package", "system", "command"]) assert.ok(namespaces.includes(ns), ns);
      assert.deepEqual(Object.keys(m.package).sort(), ["install", "remove", "status", "update"]);
      assert.equal("session" in m, false);
      assert.deepEqual(Object.keys(m.augeas).sort(), [
        "apply", "discard", "get", "history", "insert", "match", "move", "preview", "remove", "rename", "rollback", "save", "set", "setm",
      ]);
      assert.equal((await m.discover()).openrpc, "1.2.6");
      assert.equal((await m.rpc.discover()).openrpc, "1.2.6");
      await m.close();
    },
  );
});

test("a daemon that cannot prove the secret is refused as an impostor, and gets no further call", async () => {
  await withServer(
    {
      onCall: echoGet,
      forgeProof: (genuine) => {
        const forged = Uint8Array.from(genuine);
        forged[0] = forged[0]! ^ 1;
        return forged;
      },
    },
    async (server) => {
      await assert.rejects(connect(optionsFor(server)), (error: unknown) => {
        assert.ok(error instanceof ConnectionError);
        assert.equal(error.kind, "connection");
        assert.match(error.message, /could not prove it knows the secret/);
        assert.equal(error.message.includes(server.secret), false);
        return true;
      });
      const conn = server.connections[0]!;
      await conn.closed;
      assert.deepEqual(
        conn.received.map((r) => r.method),
        ["session.hello", "session.authenticate"],
      );
    },
  );
});

test("a malformed server proof is refused too", async () => {
  await withServer({ forgeProof: () => new Uint8Array(3) }, async (server) => {
    await assert.rejects(connect(optionsFor(server)), ConnectionError);
  });
});

test("a wrong secret gets AuthFailedError", async () => {
  await withServer({}, async (server) => {
    await assert.rejects(connect(optionsFor(server, { secret: encodeBase64(generateKey()) })), (error: unknown) => {
      assert.ok(error instanceof AuthFailedError);
      assert.equal(error.kind, "auth-failed");
      assert.equal(error.code, ERROR_CODES["auth-failed"]);
      return true;
    });
  });
});

test("an unsolicited busy error (id: null) fails the connect with BusyError", async () => {
  await withServer(
    {
      onConnection: (c) => {
        c.end({ jsonrpc: "2.0", id: null, error: wireErrorBody("busy", "another client holds the session") });
        return false;
      },
    },
    async (server) => {
      await assert.rejects(connect(optionsFor(server)), (error: unknown) => {
        assert.ok(error instanceof BusyError);
        assert.equal(error.message, "another client holds the session");
        return true;
      });
    },
  );
});

test("waitIfBusyMs retries while the daemon is busy, and still fails with BusyError when it stays busy", async () => {
  let refused = 0;
  await withServer(
    {
      onConnection: (c) => {
        if (refused >= 2) return true;
        refused++;
        c.end({ jsonrpc: "2.0", id: null, error: wireErrorBody("busy", "another client holds the session") });
        return false;
      },
    },
    async (server) => {
      const m = await connect(optionsFor(server, { waitIfBusyMs: 5000 }));
      await m.close();
      assert.equal(refused, 2, "the third attempt got the session");
    },
  );
  await withServer(
    {
      onConnection: (c) => {
        c.end({ jsonrpc: "2.0", id: null, error: wireErrorBody("busy", "another client holds the session") });
        return false;
      },
    },
    async (server) => {
      await assert.rejects(connect(optionsFor(server, { waitIfBusyMs: 150 })), BusyError);
    },
  );
});

function wireErrorBody(kind: (typeof ERROR_KINDS)[number], message: string, data: Record<string, unknown> = {}) {
  const a = wireError(kind, message, data);
  assert.ok(a && "error" in a);
  return a.error;
}

test("an unsolicited error after the handshake fails every pending call with it, typed", async () => {
  const seen: FakeRequest[] = [];
  await withServer(
    {
      onCall: (r, c) => {
        seen.push(r);
        if (seen.length === 3) c.end({ jsonrpc: "2.0", id: null, error: wireErrorBody("policy-denied", "peer no longer allowed", { reason: "r" }) });
        return undefined;
      },
    },
    async (server) => {
      const m = await connect(optionsFor(server));
      const calls = [1, 2, 3].map((i) => m.augeas.get({ path: `/files/${i}` }));
      for (const call of calls) {
        await assert.rejects(call, (error: unknown) => {
          assert.ok(error instanceof PolicyDeniedError);
          assert.equal(error.data.reason, "r");
          return true;
        });
      }
      assert.equal(m.closed, true);
      await assert.rejects(m.augeas.get({ path: "/files/4" }), PolicyDeniedError);
      await m.close();
    },
  );
});

test("200 pipelined calls resolve to their own results when answered out of order", async () => {
  const held: FakeRequest[] = [];
  await withServer(
    {
      onCall: (r, c) => {
        held.push(r);
        if (held.length === 200) {
          // Answer in a scrambled order: odd positions backwards, then even ones.
          const order = [...held.keys()].filter((i) => i % 2 === 1).reverse().concat([...held.keys()].filter((i) => i % 2 === 0));
          for (const i of order) {
            const h = held[i]!;
            c.send({ jsonrpc: "2.0", id: h.id, result: { value: (h.params as { path: string }).path } });
          }
        }
        return undefined;
      },
    },
    async (server) => {
      const m = await connect(optionsFor(server));
      const paths = Array.from({ length: 200 }, (_, i) => `/files/etc/hosts/${i + 1}/ipaddr`);
      const results = await Promise.all(paths.map((p) => m.augeas.get({ path: p })));
      assert.deepEqual(
        results.map((r) => r.value),
        paths,
      );
      await m.close();
    },
  );
});

test("a call that outlives its timeout rejects with TimeoutError; its late answer is ignored", async () => {
  let slow: FakeRequest | undefined;
  await withServer(
    {
      onCall: (r, c) => {
        const p = (r.params as { path: string }).path;
        if (p === "/files/slow") {
          slow = r;
          return undefined;
        }
        // Answer the slow one late, right before this one.
        if (slow) c.send({ jsonrpc: "2.0", id: slow.id, result: { value: "late" } });
        return { result: { value: p } };
      },
    },
    async (server) => {
      const m = await connect(optionsFor(server, { callTimeoutMs: 5000 }));
      await assert.rejects(m.augeas.get({ path: "/files/slow" }, { timeoutMs: 50 }), (error: unknown) => {
        assert.ok(error instanceof TimeoutError);
        assert.equal(error.kind, "timeout");
        assert.equal(error.data.timeoutMs, 50);
        return true;
      });
      assert.equal(m.closed, false);
      assert.deepEqual(await m.augeas.get({ path: "/files/fast" }), { value: "/files/fast" });
      await m.close();
    },
  );
});

test("the client's default call timeout applies", async () => {
  await withServer({ onCall: () => undefined }, async (server) => {
    const m = await connect(optionsFor(server, { callTimeoutMs: 30 }));
    await assert.rejects(m.augeas.save(), TimeoutError);
    await m.close();
  });
});

test("an aborted call rejects with the signal's reason", async () => {
  await withServer({ onCall: () => undefined }, async (server) => {
    const m = await connect(optionsFor(server));
    const controller = new AbortController();
    const call = m.augeas.preview({}, { signal: controller.signal });
    const reason = new Error("user gave up");
    controller.abort(reason);
    await assert.rejects(call, (error: unknown) => error === reason);
    await m.close();
  });
});

test("a dropped connection rejects every pending call with ConnectionError", async () => {
  let count = 0;
  await withServer(
    {
      onCall: (_r, c) => {
        if (++count === 5) c.destroy();
        return undefined;
      },
    },
    async (server) => {
      const m = await connect(optionsFor(server));
      const calls = Array.from({ length: 5 }, (_, i) => m.augeas.get({ path: `/files/${i}` }));
      const outcomes = await Promise.allSettled(calls);
      for (const o of outcomes) {
        assert.equal(o.status, "rejected");
        assert.ok(o.reason instanceof ConnectionError, String(o.reason));
      }
      assert.equal(m.closed, true);
      await assert.rejects(m.augeas.get({ path: "/files/x" }), ConnectionError);
    },
  );
});

test("close() rejects calls still pending with ConnectionError", async () => {
  await withServer({ onCall: () => undefined }, async (server) => {
    const m = await connect(optionsFor(server));
    const rejected = assert.rejects(m.augeas.get({ path: "/files/a" }), ConnectionError);
    await m.close();
    await rejected;
  });
});

test("every error kind maps to its class, with code and data preserved", async () => {
  await withServer(
    {
      onCall: (r) => {
        const kind = (r.params as { path: string }).path.slice("/files/".length);
        return {
          error: { code: ERROR_CODES[kind as keyof typeof ERROR_CODES] ?? -32050, message: `failed: ${kind}`, data: { kind, extra: [1, { deep: kind }] } },
        };
      },
    },
    async (server) => {
      const m = await connect(optionsFor(server));
      for (const kind of [...ERROR_KINDS, "quota-exceeded"]) {
        await assert.rejects(m.augeas.get({ path: `/files/${kind}` }), (error: unknown) => {
          assert.ok(error instanceof MachinaError);
          const expected = errorClassFor(kind);
          assert.equal(error.constructor, expected, kind);
          assert.equal(error.kind, kind);
          assert.equal(error.message, `failed: ${kind}`);
          assert.equal(error.code, ERROR_CODES[kind as keyof typeof ERROR_CODES] ?? -32050);
          assert.deepEqual(error.data, { kind, extra: [1, { deep: kind }] });
          return true;
        });
      }
      assert.equal(errorClassFor("quota-exceeded"), MachinaError);
      assert.equal(errorClassFor("internal"), InternalError);
      await m.close();
    },
  );
});

test("notifications are ignored, and progress is routed to the call it names", async () => {
  await withServer(
    {
      onCall: (r, c) => {
        c.send({ jsonrpc: "2.0", method: "progress", params: { id: r.id, done: 1, total: 2 } });
        c.send({ jsonrpc: "2.0", method: "something.new", params: { any: true } });
        c.send({ jsonrpc: "2.0", method: "progress", params: { id: 987654, done: 1 } });
        c.send({ jsonrpc: "2.0", id: 987654, result: { stray: true } });
        return { result: { files: [] } };
      },
    },
    async (server) => {
      const m = await connect(optionsFor(server));
      assert.deepEqual(await m.augeas.save(), { files: [] });
      await m.close();
    },
  );
});

test("a handshake that never completes times out as a ConnectionError", async () => {
  await withServer({ onConnection: () => false }, async (server) => {
    const started = Date.now();
    await assert.rejects(connect(optionsFor(server, { connectTimeoutMs: 150 })), (error: unknown) => {
      assert.ok(error instanceof ConnectionError);
      assert.match(error.message, /handshake within 150 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
  });
});

test("a daemon that sends garbage drops the connection with ConnectionError", async () => {
  await withServer(
    {
      onConnection: (c) => {
        c.raw("this is not JSON\n");
        return false;
      },
    },
    async (server) => {
      await assert.rejects(connect(optionsFor(server, { connectTimeoutMs: 4000 })), (error: unknown) => {
        assert.ok(error instanceof ConnectionError);
        assert.match(error.message, /not JSON/);
        return true;
      });
    },
  );
});

test("a daemon line longer than maxLineBytes drops the connection", async () => {
  await withServer(
    { onCall: () => ({ result: { value: "x".repeat(5000) } }) },
    async (server) => {
      const m = await connect(optionsFor(server, { maxLineBytes: 1000 }));
      await assert.rejects(m.augeas.get({ path: "/files/a" }), (error: unknown) => {
        assert.ok(error instanceof ConnectionError);
        assert.match(error.message, /malformed message/);
        return true;
      });
    },
  );
});

test("no socket: ConnectionError naming the path", async () => {
  await withServer({}, async (server) => {
    const missing = path.join(server.dir, "nope.sock");
    await assert.rejects(connect({ socket: missing, secret: server.secret, trustedSocketOwner: null }), (error: unknown) => {
      assert.ok(error instanceof ConnectionError);
      assert.ok(error.message.includes(missing));
      return true;
    });
  });
});
