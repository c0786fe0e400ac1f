/** A machinad for one scenario: started on the sandbox, its log printed if the scenario fails, always stopped. */
import { startDaemon, type DaemonOptions, type DaemonProcess } from "../harness/daemon.js";
import type { Sandbox } from "../harness/sandbox.js";

export async function withDaemon<T>(sandbox: Sandbox, fn: (daemon: DaemonProcess) => Promise<T>, options: DaemonOptions = {}): Promise<T> {
  const daemon = await startDaemon(sandbox, options);
  try {
    return await fn(daemon);
  } catch (e) {
    console.error(daemon.describe());
    throw e;
  } finally {
    await daemon.stop();
  }
}
