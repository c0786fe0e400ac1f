/**
 * A `[[service]]` entry's configuration test (`test = ["/usr/sbin/nginx",
 * "-t"]`), run before a reload or restart so that a broken configuration
 * never takes a running service down: the change happens only when the test
 * exits 0. It is a policy check program (../process/policy-check-program.ts):
 * checked and run as the validators of configuration files are — a trusted
 * program, no shell, only the safe PATH, its own timeout, output capped,
 * contained.
 */
import { Fault } from "../faults.js";
import type { Logger } from "../logger.js";
import { runCheckProgram } from "../process/policy-check-program.js";
import type { ConfigTest } from "./service-entry-options.js";

/** Runs `test` before `action` on `service`; throws `validation-failed` when it does not pass. */
export async function runConfigTest(test: ConfigTest, service: string, action: string, logger: Logger): Promise<void> {
  const failed = await runCheckProgram(test.argv, test.timeout, {
    logger,
    subject: `${service} ${action}`,
    role: "configuration test",
    backend: "config-test",
    target: service,
    untouched: "nothing was done",
  });
  if (!failed) return;
  logger.info(`${service} ${action} refused: the configuration test ${test.argv.join(" ")} ${failed.why}`);
  const { why: _why, output, ...fields } = failed;
  throw new Fault("validation-failed", `${service} ${action} refused: the configuration test ${failed.why}; the service was not touched`, {
    output: output.toString("utf8"),
    ...fields,
  });
}
