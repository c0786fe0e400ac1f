/** The timezone through systemd-timedated (`timedatectl`), when systemd runs the machine. */
import { Fault } from "../faults.js";
import type { Logger } from "../logger.js";
import { runProgram, SAFE_PATH } from "../process/run-program.js";
import type { TimezoneBackend } from "./timezone-backend.js";
import { ZONE_NAME } from "./zone-database.js";

const TIMEDATECTL = "/usr/bin/timedatectl";

export class TimedatectlTimezone implements TimezoneBackend {
  readonly kind = "timedatectl";

  constructor(private readonly logger: Logger) {}

  async get(): Promise<string | null> {
    const zone = (await this.run(["show", "--property=Timezone", "--value"])).trim();
    return ZONE_NAME.test(zone) ? zone : null;
  }

  async set(zone: string): Promise<void> {
    await this.run(["set-timezone", "--", zone]);
  }

  private async run(args: string[]): Promise<string> {
    let r;
    try {
      r = await runProgram(TIMEDATECTL, args, { env: { PATH: SAFE_PATH, LC_ALL: "C" }, timeoutMs: 30_000, maxOutputBytes: 64 * 1024 });
    } catch (e) {
      this.logger.error(`cannot run ${TIMEDATECTL}`, e);
      throw new Fault("backend-failed", "cannot run timedatectl", { backend: "timedatectl", retryable: false });
    }
    if (r.exitCode !== 0) {
      const detail = r.stderr.toString("utf8").trim().slice(0, 500);
      this.logger.warn(`timedatectl ${args[0]} failed (${r.exitCode ?? r.signal}): ${detail}`);
      throw new Fault("backend-failed", `timedatectl failed: ${detail || `exit status ${r.exitCode ?? r.signal}`}`, {
        backend: "timedatectl",
        retryable: r.timedOut,
        detail,
      });
    }
    return r.stdout.toString("utf8");
  }
}
