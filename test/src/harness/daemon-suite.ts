/**
 * One sandbox and one running daemon for a whole test file: started in
 * `before`, stopped and removed in `after` (even when tests fail), the sandbox
 * files restored before each test, and the daemon's stderr printed after a
 * failing test.
 */
import { after, afterEach, before, beforeEach } from "node:test";
import { startDaemon, type DaemonOptions, type DaemonProcess } from "./daemon.js";
import { Sandbox, type SandboxOptions } from "./sandbox.js";

export interface DaemonSuite {
  readonly sandbox: Sandbox;
  readonly daemon: DaemonProcess;
}

export function daemonSuite(options: SandboxOptions & DaemonOptions & { restoreEachTest?: boolean } = {}): DaemonSuite {
  let sandbox: Sandbox | undefined;
  let daemon: DaemonProcess | undefined;
  const suite: DaemonSuite = {
    get sandbox() {
      if (!sandbox) throw new Error("the sandbox is not set up (before() failed?)");
      return sandbox;
    },
    get daemon() {
      if (!daemon) throw new Error("the daemon is not running (before() failed?)");
      return daemon;
    },
  };
  before(async () => {
    sandbox = Sandbox.create(options);
    daemon = await startDaemon(sandbox, options);
  });
  beforeEach(() => {
    // Each session reloads the files from disk, so restoring between tests is safe.
    if (options.restoreEachTest !== false) sandbox?.restoreFixtures();
  });
  afterEach((t) => {
    if ((t as { passed?: boolean }).passed === false && daemon) console.error(`--- ${t.name}: daemon output ---\n${daemon.describe()}`);
  });
  after(async () => {
    try {
      await daemon?.stop();
    } finally {
      sandbox?.cleanup();
    }
  });
  return suite;
}
