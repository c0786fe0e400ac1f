/**
 * A fake "daemon" that grabbed a socket path: it speaks the protocol and the
 * handshake but holds a key of its own, so it cannot prove the real one. What
 * a client refuses, locally (auth.test.ts) or at the far end of an ssh tunnel
 * (ssh-remote.test.ts).
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { AUTH_SCHEME, LineDecoder, NONCE_BYTES, PROTOCOL_VERSION, decodeBase64, encodeBase64, encodeLine, generateKey, newNonce, serverProof } from "@machina/protocol";
import { waitFor } from "./wait.js";

export async function impostor(socketPath: string, options: { auth?: string } = {}) {
  const received: string[] = [];
  const closed: Promise<void>[] = [];
  const server = net.createServer((socket) => {
    closed.push(new Promise((resolve) => socket.once("close", () => resolve())));
    socket.on("error", () => undefined);
    const decoder = new LineDecoder();
    const ownKey = generateKey();
    let clientNonce: Uint8Array | undefined;
    const serverNonce = newNonce();
    socket.on("data", (chunk: Buffer) => {
      for (const line of decoder.push(chunk)) {
        const msg = JSON.parse(line) as { id: number; method: string; params: { nonce?: string } };
        received.push(msg.method);
        if (msg.method === "session.hello") {
          clientNonce = decodeBase64(msg.params.nonce ?? "", NONCE_BYTES);
          socket.write(
            encodeLine({
              jsonrpc: "2.0",
              id: msg.id,
              result: { protocol: PROTOCOL_VERSION, server: "machinad/0.1.0", nonce: encodeBase64(serverNonce), auth: options.auth ?? AUTH_SCHEME },
            }),
          );
        } else if (msg.method === "session.authenticate") {
          // The best an impostor can do: a well-formed proof under a key it made up.
          socket.write(encodeLine({ jsonrpc: "2.0", id: msg.id, result: { proof: encodeBase64(serverProof(ownKey, clientNonce!, serverNonce)) } }));
        } else {
          socket.write(encodeLine({ jsonrpc: "2.0", id: msg.id, result: { value: "impostor" } }));
        }
      }
    });
  });
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o755 });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    received,
    async connectionsClosed() {
      await waitFor(() => closed.length > 0, "the client to connect");
      await Promise.all(closed);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

