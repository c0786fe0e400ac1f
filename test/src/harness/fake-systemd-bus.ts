/**
 * systemd for the systemd tests: the real one when this machine runs it
 * (`/run/systemd/system` exists and the system bus is up) — the test units are
 * installed as runtime unit files and machinad talks to the system bus — and
 * otherwise a private `dbus-daemon` (Debian package `dbus-daemon`) with the
 * fake systemd (fake-systemd.ts) on it, machinad being pointed at that bus
 * with DBUS_SYSTEM_BUS_ADDRESS. The tests themselves do not know which.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FakeSystemd } from "./fake-systemd.js";
import { TEST_UNITS, unitFileText } from "./systemd-test-units.js";
import { waitFor } from "./wait.js";

export interface SystemdUnderTest {
  readonly kind: "real" | "fake";
  /** Extra environment for machinad (the private bus's address, for the fake). */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const RUNTIME_UNITS = "/run/systemd/system";

function realSystemdRunning(): boolean {
  return fs.statSync(RUNTIME_UNITS, { throwIfNoEntry: false })?.isDirectory() === true && fs.existsSync("/run/dbus/system_bus_socket");
}

export async function startSystemdUnderTest(): Promise<SystemdUnderTest> {
  return realSystemdRunning() ? startReal() : startFake();
}

async function startReal(): Promise<SystemdUnderTest> {
  const files = TEST_UNITS.map((u) => path.join(RUNTIME_UNITS, u.name));
  TEST_UNITS.forEach((u, i) => fs.writeFileSync(files[i]!, unitFileText(u), { mode: 0o644 }));
  execFileSync("systemctl", ["daemon-reload"]);
  return {
    kind: "real",
    env: {},
    async stop() {
      try {
        execFileSync("systemctl", ["stop", "example@*.service", ...TEST_UNITS.filter((u) => !u.name.includes("@.")).map((u) => u.name)], { stdio: "ignore" });
      } catch {
        // Nothing left to stop.
      }
      for (const f of files) fs.rmSync(f, { force: true });
      execFileSync("systemctl", ["daemon-reload"]);
      execFileSync("systemctl", ["reset-failed"], { stdio: "ignore" });
    },
  };
}

function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>machina-test</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;
}

async function startFake(): Promise<SystemdUnderTest> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-dbus-"));
  const socket = path.join(dir, "bus");
  const config = path.join(dir, "bus.conf");
  fs.writeFileSync(config, busConfig(socket));
  let stderr = "";
  const daemon: ChildProcess = spawn("dbus-daemon", [`--config-file=${config}`, "--nofork", "--nopidfile"], { stdio: ["ignore", "ignore", "pipe"] });
  daemon.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  let exited = false;
  // Never outlive the test process, whatever happens to it.
  const reap = () => daemon.kill("SIGKILL");
  process.on("exit", reap);
  daemon.once("exit", () => {
    exited = true;
    process.off("exit", reap);
  });
  const address = `unix:path=${socket}`;
  let fake: FakeSystemd | undefined;
  try {
    await waitFor(() => {
      if (exited) throw new Error(`dbus-daemon exited: ${stderr}`);
      return fs.existsSync(socket);
    }, "the private dbus-daemon to listen");
    fake = await FakeSystemd.start(address, TEST_UNITS);
  } catch (e) {
    daemon.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    kind: "fake",
    env: { DBUS_SYSTEM_BUS_ADDRESS: address },
    async stop() {
      fake?.stop();
      if (!exited) {
        const gone = new Promise((r) => daemon.once("exit", r));
        daemon.kill("SIGTERM");
        await gone;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
