/**
 * service.restart: machina's `service.restart` of a real unit in a real
 * systemd (the test container, test/src/harness/systemd-container.ts), by
 * machinad on the host on the container's bus, against the same restart done
 * directly: RestartUnit over one open D-Bus connection, waiting for the job's
 * JobRemoved signal as machinad (and systemctl) does.
 *   service.restart  through the broker, over an open session
 *   dbus.restart     RestartUnit directly
 */
import assert from "node:assert/strict";
import dbus from "dbus-next";
import { withDaemon } from "./bench-daemon.js";
import { connectClient } from "../harness/clients.js";
import { Sandbox } from "../harness/sandbox.js";
import { SystemdContainer } from "../harness/systemd-container.js";
import type { BenchSize, ScenarioResult } from "./results.js";
import { latencyResult, timeSequential } from "./stats.js";

const UNIT = "example@0042.service";
const POLICY = `version = 1

[clients]
users = ["root"]

[[service]]
name = "${UNIT}"
actions = ["status", "restart"]
`;

const SYSTEMD = "org.freedesktop.systemd1";
const MANAGER_PATH = "/org/freedesktop/systemd1";
const MANAGER = "org.freedesktop.systemd1.Manager";

/** RestartUnit over `bus`, resolved when systemd reports the job done. */
function directRestarter(bus: dbus.MessageBus): (unit: string) => Promise<void> {
  const waiting = new Map<string, (result: string) => void>();
  const early = new Map<string, string>();
  bus.on("message", (msg: dbus.Message) => {
    if (msg.type !== dbus.MessageType.SIGNAL || msg.interface !== MANAGER || msg.member !== "JobRemoved") return;
    const [, job, , result] = msg.body as [number, string, string, string];
    const w = waiting.get(job);
    if (w) {
      waiting.delete(job);
      w(result);
    } else early.set(job, result);
  });
  return async (unit) => {
    const reply = await bus.call(new dbus.Message({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member: "RestartUnit", signature: "ss", body: [unit, "replace"] }));
    const job = String(reply!.body[0]);
    const result = early.get(job) ?? (await new Promise<string>((resolve) => waiting.set(job, resolve)));
    early.delete(job);
    assert.equal(result, "done", `RestartUnit ${unit}: job ${result}`);
  };
}

export interface ServiceResults {
  restart: ScenarioResult;
  direct: ScenarioResult;
}

export async function serviceScenarios(size: BenchSize): Promise<ServiceResults> {
  const samples = size.quick ? 10 : 200;
  const container = await SystemdContainer.boot({
    files: { [`/etc/systemd/system/example@.service`]: "[Unit]\nDescription=machina bench instance %i\n# Restarted hundreds of times in a row: no start rate limit.\nStartLimitIntervalSec=0\n\n[Service]\nExecStart=/bin/sleep infinity\n" },
  });
  const sandbox = Sandbox.create({ policy: POLICY });
  try {
    await container.check(["systemctl", "start", UNIT]);
    const bus = container.bus();
    let direct: ScenarioResult;
    try {
      await bus.call(new dbus.Message({ destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "AddMatch", signature: "s", body: [`type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='JobRemoved'`] }));
      await bus.call(new dbus.Message({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member: "Subscribe" }));
      const restart = directRestarter(bus);
      await timeSequential(Math.ceil(samples / 10), () => restart(UNIT));
      direct = latencyResult(await timeSequential(samples, () => restart(UNIT)));
    } finally {
      bus.disconnect();
    }
    return await withDaemon(
      sandbox,
      async () => {
        const m = await connectClient(sandbox);
        try {
          const first = await m.service.restart({ name: UNIT });
          assert.equal(first.state, "active", `${UNIT} is active after machina's restart`);
          await timeSequential(Math.ceil(samples / 10), () => m.service.restart({ name: UNIT }));
          return { restart: latencyResult(await timeSequential(samples, () => m.service.restart({ name: UNIT }))), direct };
        } finally {
          await m.close();
        }
      },
      { args: ["--service-backend", "systemd"], env: { DBUS_SYSTEM_BUS_ADDRESS: container.busAddress } },
    );
  } finally {
    sandbox.cleanup();
    await container.stop();
  }
}
