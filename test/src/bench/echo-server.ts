/**
 * The floor for any broker here (scenarios `echo.*`): a minimal
 * newline-delimited JSON-RPC server in its own Node process, answering every
 * request with its params as the result. It does what any broker must —
 * split lines, parse, serialise, write — and nothing else.
 *
 * usage: node echo-server.js SOCKET   (prints "ready" once listening)
 */
import fs from "node:fs";
import net from "node:net";
import { LineDecoder, encodeLine } from "@machina/protocol";

const socketPath = process.argv[2];
if (!socketPath) {
  console.error("usage: echo-server SOCKET");
  process.exit(2);
}
fs.rmSync(socketPath, { force: true });

const server = net.createServer((socket) => {
  const decoder = new LineDecoder();
  socket.on("error", () => undefined);
  socket.on("data", (chunk: Buffer) => {
    for (const line of decoder.push(chunk)) {
      const request = JSON.parse(line) as { id: number; params?: unknown };
      socket.write(encodeLine({ jsonrpc: "2.0", id: request.id, result: request.params ?? null }));
    }
  });
});
server.listen(socketPath, () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => {
  server.close();
  fs.rmSync(socketPath, { force: true });
  process.exit(0);
});
