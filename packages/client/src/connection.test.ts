import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { openSocket } from "#src/connection.js";
import { ConnectionError } from "#src/errors.js";

/**
 * A listener in another process that does not accept for `stallMs` after it
 * starts listening (its event loop is busy), with a backlog of one: its
 * listen queue fills at once, as a daemon's does under a flood.
 */
async function stalledListener(stallMs: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-eagain-"));
  const socketPath = path.join(dir, "s.sock");
  const script = `
    const net = require("net");
    const server = net.createServer((c) => c.on("error", () => {}));
    // (backlog 0 would mean node's default, 511)
    server.listen({ path: ${JSON.stringify(socketPath)}, backlog: 1 }, () => {
      console.log("listening");
      const until = Date.now() + ${stallMs};
      while (Date.now() < until);
    });
  `;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  // Fill the listen queue until the kernel says EAGAIN.
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 64; i++) {
    const code = await new Promise<string | undefined>((resolve) => {
      const s = net.createConnection({ path: socketPath });
      s.once("connect", () => resolve(undefined));
      s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code));
      fillers.push(s);
    });
    if (code === "EAGAIN") break;
    assert.equal(code, undefined, `filling the listen queue: ${code}`);
    assert.ok(i < 63, "the listen queue never filled");
  }
  for (const s of fillers) s.on("error", () => undefined);
  return {
    socketPath,
    close() {
      for (const s of fillers) s.destroy();
      child.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

test("a full listen queue (EAGAIN) is waited out: the connection is made once there is room", async () => {
  const l = await stalledListener(600);
  try {
    const started = Date.now();
    const socket = await openSocket(l.socketPath, AbortSignal.timeout(10_000));
    socket.destroy();
    assert.ok(Date.now() - started >= 100, "it did wait for room");
  } finally {
    l.close();
  }
});

test("a listen queue that stays full ends in a ConnectionError at the deadline", async () => {
  const l = await stalledListener(5000);
  try {
    await assert.rejects(openSocket(l.socketPath, AbortSignal.timeout(300)), (e: unknown) => e instanceof ConnectionError && /timed out|listen queue is full/.test(e.message));
  } finally {
    l.close();
  }
});
