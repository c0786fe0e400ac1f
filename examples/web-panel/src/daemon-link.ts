/**
 * The panel's one way to machinad.
 *
 * machinad serves one session at a time, so the panel must not open a session
 * per HTTP request (two browser tabs would get `busy`). Instead every request
 * queues here and runs on one shared session, one at a time; the session is
 * opened on demand and closed after a short idle spell, so an administrator
 * can still use the `machina` CLI next to an idle panel. When someone else holds
 * the daemon's session, opening is retried for a few seconds before giving up
 * with the daemon's `busy` error.
 */
import { BusyError, connect, ConnectionError, type ConnectOptions, type MachinaClient } from "@machina/client";

export interface DaemonLinkOptions {
  connect: ConnectOptions;
  /** Close the session after this long without use (ms). */
  idleMs?: number;
  /** How long to keep retrying while the daemon answers `busy` (ms). */
  busyWaitMs?: number;
}

export class DaemonLink {
  #client: MachinaClient | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #idleMs: number;
  readonly #busyWaitMs: number;

  constructor(private readonly options: DaemonLinkOptions) {
    this.#idleMs = options.idleMs ?? 1500;
    this.#busyWaitMs = options.busyWaitMs ?? 5000;
  }

  /** Runs `fn` with the session once every earlier caller is done. */
  use<T>(fn: (m: MachinaClient) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      if (this.#idleTimer) clearTimeout(this.#idleTimer);
      try {
        return await fn(await this.#session());
      } catch (error) {
        // A dropped connection cannot carry the next call; start afresh then.
        if (error instanceof ConnectionError) this.#drop();
        throw error;
      } finally {
        this.#idleTimer = setTimeout(() => this.#drop(), this.#idleMs);
        this.#idleTimer.unref();
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the session (on shutdown). */
  async close(): Promise<void> {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    await this.#queue;
    const client = this.#client;
    this.#client = undefined;
    await client?.close();
  }

  async #session(): Promise<MachinaClient> {
    if (this.#client && !this.#client.closed) return this.#client;
    this.#client = undefined;
    const deadline = Date.now() + this.#busyWaitMs;
    for (let delay = 50; ; delay = Math.min(500, delay * 2)) {
      try {
        this.#client = await connect(this.options.connect);
        return this.#client;
      } catch (error) {
        if (!(error instanceof BusyError) || Date.now() + delay > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #drop(): void {
    const client = this.#client;
    this.#client = undefined;
    void client?.close().catch(() => undefined);
  }
}
