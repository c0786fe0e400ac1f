import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, chown, writeFile } from "node:fs/promises";
import path from "node:path";
import { connect } from "#src/client.js";
import { ConnectionError } from "#src/errors.js";
import { checkSocketOwner } from "#src/socket-owner.js";
import { FakeServer } from "./testing/fake-server.js";

const isRoot = process.geteuid?.() === 0;
const me = process.geteuid?.() ?? 0;

async function withServer(body: (server: FakeServer) => Promise<void>): Promise<void> {
  const server = await FakeServer.start({ onCall: () => ({ result: { value: "ok" } }) });
  try {
    await body(server);
  } finally {
    await chmod(server.dir, 0o700).catch(() => {});
    await server.stop();
  }
}

test("a socket in a private directory of the trusted user passes", async () => {
  await withServer(async (server) => {
    await chmod(server.dir, 0o755);
    await checkSocketOwner(server.socketPath, me);
    if (isRoot) {
      // The default trusted owner is root.
      const m = await connect({ socket: server.socketPath, secret: server.secret });
      await m.close();
    }
  });
});

test("a directory writable by others is refused", async () => {
  await withServer(async (server) => {
    await chmod(server.dir, 0o777);
    await assert.rejects(checkSocketOwner(server.socketPath, me), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, /writable by group or others \(mode 0777\)/);
      return true;
    });
    await chmod(server.dir, 0o775);
    await assert.rejects(checkSocketOwner(server.socketPath, me), /writable by group or others/);
    await assert.rejects(connect({ socket: server.socketPath, secret: server.secret, trustedSocketOwner: me }), ConnectionError);
    // The check can be turned off (tests, sandboxes).
    const m = await connect({ socket: server.socketPath, secret: server.secret, trustedSocketOwner: null });
    await m.close();
    assert.equal(server.connections.length, 1, "the refused connects never reached the socket");
  });
});

test("a directory or socket owned by another uid is refused", { skip: !isRoot && "needs root to chown" }, async () => {
  await withServer(async (server) => {
    await chown(server.dir, 65534, 65534);
    await assert.rejects(checkSocketOwner(server.socketPath, 0), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, /its directory .* is owned by uid 65534, not by the trusted uid 0/);
      return true;
    });
    await assert.rejects(connect({ socket: server.socketPath, secret: server.secret }), /owned by uid 65534/);
    const m = await connect({ socket: server.socketPath, secret: server.secret, trustedSocketOwner: null });
    await m.close();
    await chown(server.dir, 0, 0);
    await chown(server.socketPath, 65534, 65534);
    await assert.rejects(checkSocketOwner(server.socketPath, 0), /socket .* is owned by uid 65534/);
  });
});

test("something that is not a socket, or nothing, is refused", async () => {
  await withServer(async (server) => {
    const file = path.join(server.dir, "plain");
    await writeFile(file, "");
    await assert.rejects(checkSocketOwner(file, me), /is not a socket/);
    await assert.rejects(checkSocketOwner(path.join(server.dir, "none.sock"), me), /does not exist \(is machinad running\?\)/);
  });
});
