/**
 * One real-systemd container for a whole test file, and machinad against it:
 *
 * - on the host, pointed at the container's system bus with
 *   DBUS_SYSTEM_BUS_ADDRESS (the variable the daemon's systemd backend already
 *   honours, as sd_bus does) — `hostDaemon`;
 * - inside the container, the way it runs on a Debian machine: the host's node
 *   binary and this repository bound read-only at their own paths, the
 *   sandbox directory bound read-write, machinad started through nsenter with
 *   `--root /` and no bus address, so it finds systemd (and timedatectl) the
 *   way it does on a real machine — `containerDaemon`.
 *
 * Everything is started in one `before` (container first) and stopped in
 * `after`, even when a test or the `before` itself failed. Files whose tests
 * need the container wrap them in a describe that is skipped, with
 * containerSkipReason()'s message, where the machine cannot boot one.
 */
import { after, afterEach, before } from "node:test";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { REPO_ROOT } from "./command.js";
import { cleanEnv, daemonArgs, DaemonProcess, MACHINAD, startDaemon, type Exit } from "./daemon.js";
import { Sandbox } from "./sandbox.js";
import { SystemdContainer, type ContainerOptions } from "./systemd-container.js";
import { waitFor } from "./wait.js";

export interface ContainerSuiteOptions {
  container?: ContainerOptions;
  /** machinad on the host, on the container's bus: its policy and extra arguments. */
  hostDaemon?: { policy: string; args?: string[] };
  /** machinad inside the container (`--root /`): its policy and extra arguments. */
  containerDaemon?: { policy: string; args?: string[] };
}

export interface ContainerSuite {
  readonly container: SystemdContainer;
  readonly host: { sandbox: Sandbox; daemon: DaemonProcess };
  readonly inside: { sandbox: Sandbox; daemon: DaemonProcess };
}

/**
 * machinad started inside the container through nsenter. nsenter (entering a
 * PID namespace, it forks) does not pass signals on, so they go to the daemon
 * itself: nsenter's child.
 */
class ContainerDaemonProcess extends DaemonProcess {
  override signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    const inner = childOf(this.pid);
    if (inner !== undefined) process.kill(inner, sig);
    else this.child.kill("SIGKILL");
  }

  override async stop(): Promise<Exit> {
    if (this.exit) return this.exit;
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

function childOf(parent: number): number | undefined {
  try {
    const children = fs.readFileSync(`/proc/${parent}/task/${parent}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    return children[0] === undefined ? undefined : Number(children[0]);
  } catch {
    return undefined;
  }
}

/** Starts machinad inside the container on `sandbox` (bound at its own path), `--root /`, and waits until it listens. */
async function startDaemonInContainer(container: SystemdContainer, sandbox: Sandbox, args: string[]): Promise<DaemonProcess> {
  const argv = [...daemonArgs(sandbox, { args }).filter((_, i, all) => all[i] !== "--root" && all[i - 1] !== "--root"), "--root", "/"];
  const child = spawn("nsenter", ["-t", String(container.pid1), "-a", "--", "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", process.execPath, MACHINAD, ...argv], {
    stdio: ["ignore", "pipe", "pipe"],
    env: cleanEnv(),
  });
  const daemon = new ContainerDaemonProcess(child, sandbox, argv);
  try {
    await waitFor(
      () => {
        if (!daemon.running) throw new Error(`machinad in the container exited (${JSON.stringify(daemon.exit)}) before listening\n${daemon.describe()}`);
        return / info: listening on /.test(daemon.stderr) && fs.lstatSync(sandbox.socket, { throwIfNoEntry: false })?.isSocket() === true;
      },
      "machinad in the container to listen",
      () => daemon.describe(),
    );
  } catch (e) {
    await daemon.stop();
    throw e;
  }
  return daemon;
}

export function systemdContainerSuite(options: ContainerSuiteOptions): ContainerSuite {
  let container: SystemdContainer | undefined;
  let host: ContainerSuite["host"] | undefined;
  let inside: ContainerSuite["inside"] | undefined;
  const sandboxes: Sandbox[] = [];
  const suite: ContainerSuite = {
    get container() {
      if (!container) throw new Error("the container is not running (before() failed?)");
      return container;
    },
    get host() {
      if (!host) throw new Error("no machinad on the host (not asked for, or before() failed)");
      return host;
    },
    get inside() {
      if (!inside) throw new Error("no machinad in the container (not asked for, or before() failed)");
      return inside;
    },
  };
  before(async () => {
    const insideSandbox = options.containerDaemon ? Sandbox.create({ policy: options.containerDaemon.policy }) : undefined;
    if (insideSandbox) {
      sandboxes.push(insideSandbox);
      // The daemon inside reads the policy, secret and socket directory through the bind.
      fs.chmodSync(insideSandbox.dir, 0o755);
    }
    const c = options.container ?? {};
    container = await SystemdContainer.boot({
      ...c,
      binds: [...(c.binds ?? []), ...(insideSandbox ? [insideSandbox.dir] : [])],
      readOnlyBinds: [...(c.readOnlyBinds ?? []), ...(insideSandbox ? [process.execPath, REPO_ROOT] : [])],
    });
    if (options.hostDaemon) {
      const sandbox = Sandbox.create({ policy: options.hostDaemon.policy });
      sandboxes.push(sandbox);
      const daemon = await startDaemon(sandbox, { args: options.hostDaemon.args, env: { DBUS_SYSTEM_BUS_ADDRESS: container.busAddress } });
      host = { sandbox, daemon };
    }
    if (insideSandbox) inside = { sandbox: insideSandbox, daemon: await startDaemonInContainer(container, insideSandbox, options.containerDaemon?.args ?? []) };
  });
  afterEach((t) => {
    if ((t as { passed?: boolean }).passed !== false) return;
    for (const [where, d] of [
      ["host", host?.daemon],
      ["container", inside?.daemon],
    ] as const) {
      if (d) console.error(`--- ${t.name}: machinad (${where}) output ---\n${d.describe()}`);
    }
  });
  after(async () => {
    try {
      await host?.daemon.stop();
      await inside?.daemon.stop();
    } finally {
      try {
        await container?.stop();
      } finally {
        for (const sb of sandboxes) sb.cleanup();
      }
    }
  });
  return suite;
}
