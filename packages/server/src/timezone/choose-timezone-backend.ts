/**
 * timedatectl when systemd is the init system (sd_booted(3): /run/systemd/system
 * exists) and the daemon manages the real root; the files under --root
 * otherwise — so a sandbox root never changes the host's timezone.
 */
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../logger.js";
import { FileTimezone } from "./file-timezone.js";
import { TimedatectlTimezone } from "./timedatectl-timezone.js";
import type { TimezoneBackend } from "./timezone-backend.js";

export function chooseTimezoneBackend(root: string, logger: Logger): TimezoneBackend {
  const systemd = fs.existsSync("/run/systemd/system");
  if (systemd && path.resolve(root) === "/") return new TimedatectlTimezone(logger);
  return new FileTimezone(root);
}
