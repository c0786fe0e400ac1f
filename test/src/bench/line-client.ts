/**
 * The echo scenarios' client: the least a JSON-RPC client over lines can do —
 * write a line, split the answers into lines, parse, match by id. No timeouts,
 * no handshake, no error types (those are what @machina/client adds, and the
 * broker scenarios pay for them).
 */
import net from "node:net";
import { LineDecoder, encodeLine } from "@machina/protocol";

export class LineClient {
  private readonly decoder = new LineDecoder();
  private readonly pending = new Map<number, (result: unknown) => void>();
  private nextId = 1;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const line of this.decoder.push(chunk)) {
        const m = JSON.parse(line) as { id: number; result: unknown };
        const resolve = this.pending.get(m.id);
        this.pending.delete(m.id);
        resolve?.(m.result);
      }
    });
  }

  static connect(socketPath: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath, () => {
        socket.off("error", reject);
        resolve(new LineClient(socket));
      });
      socket.once("error", reject);
    });
  }

  call(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.write(encodeLine({ jsonrpc: "2.0", id, method, params }));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
