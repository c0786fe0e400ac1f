/**
 * Which service backend machinad uses: `--service-backend auto` (the default)
 * picks systemd when it is the running init (`/run/systemd/system` exists, as
 * sd_booted() checks) and init scripts otherwise.
 */
import fs from "node:fs";
import type { Logger } from "../logger.js";
import { InitdBackend } from "./initd-backend.js";
import type { ServiceBackend, ServiceBackendKind } from "./service-backend.js";
import { SystemdBackend } from "./systemd-backend.js";

/** The daemon's own backends; supervisord serves only the entries that name it. */
type OwnBackendKind = Exclude<ServiceBackendKind, "supervisor">;
export type ServiceBackendChoice = OwnBackendKind | "auto";
export const SERVICE_BACKEND_CHOICES: readonly ServiceBackendChoice[] = ["auto", "initd", "systemd"];

export interface ServiceBackendOptions {
  choice: ServiceBackendChoice;
  /** The init script directory (default /etc/init.d). */
  initdDir?: string;
  timeoutMs: number;
  logger: Logger;
  /** The daemon's environment: `DBUS_SYSTEM_BUS_ADDRESS` names the system bus when set. */
  env?: NodeJS.ProcessEnv;
  /** Where to look for a running systemd (tests). */
  systemdRunDir?: string;
}

export function resolveBackendKind(choice: ServiceBackendChoice, systemdRunDir = "/run/systemd/system"): OwnBackendKind {
  if (choice !== "auto") return choice;
  return fs.statSync(systemdRunDir, { throwIfNoEntry: false })?.isDirectory() ? "systemd" : "initd";
}

export function createServiceBackend(options: ServiceBackendOptions): ServiceBackend {
  const kind = resolveBackendKind(options.choice, options.systemdRunDir);
  if (kind === "systemd") {
    const busAddress = options.env?.DBUS_SYSTEM_BUS_ADDRESS;
    return new SystemdBackend({ timeoutMs: options.timeoutMs, logger: options.logger, ...(busAddress ? { busAddress } : {}) });
  }
  return new InitdBackend({ timeoutMs: options.timeoutMs, ...(options.initdDir ? { dir: options.initdDir } : {}) });
}
