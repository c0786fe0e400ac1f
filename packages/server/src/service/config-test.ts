/**
 * A `[[service]]` entry's configuration test (`test = ["/usr/sbin/nginx",
 * "-t"]`), run before a reload or restart so that a broken configuration
 * never takes a running service down: the change happens only when the test
 * exits 0.
 *
 * It runs as a `[[command]]` does (../process/run-program.ts): the policy's
 * argument vector and nothing of the client's, no shell, an environment of
 * only the safe PATH, its own timeout, its output capped (more ends it), and
 * contained — whatever it starts dies with it. Before it runs, its program
 * must be one only root can change, down the whole path
 * (../trusted-path.ts): a test is code run as root on every restart.
 */
import fs from "node:fs";
import { Fault, PolicyDeniedFault } from "../faults.js";
import type { Logger } from "../logger.js";
import { runProgram, SAFE_PATH, type ProgramResult } from "../process/run-program.js";
import { untrustedProgramBecause } from "../trusted-path.js";
import type { ConfigTest } from "./service-entry-options.js";

/** Bytes of a test's output kept and sent with a failure (`nginx -t` writes two lines). */
export const CONFIG_TEST_OUTPUT_CAP = 64 * 1024;

/** Runs `test` before `action` on `service`; throws `validation-failed` when it does not pass. */
export async function runConfigTest(test: ConfigTest, service: string, action: string, logger: Logger): Promise<void> {
  const [program, ...args] = test.argv as [string, ...string[]];
  if (!fs.existsSync(program)) {
    logger.error(`${service} ${action}: the configuration test ${program} does not exist`);
    throw new Fault("backend-failed", `${service} ${action}: the policy's configuration test for this service is not installed; nothing was done`, { backend: "config-test", retryable: false });
  }
  const unsafe = untrustedProgramBecause(program);
  if (unsafe) {
    logger.error(`${service} ${action}: refusing to run the configuration test ${program}: ${unsafe}`);
    throw new PolicyDeniedFault(service, "refusing to run the policy's configuration test for this service: its program could be changed by a user other than root (the daemon's log says why)");
  }
  let r: ProgramResult;
  try {
    r = await runProgram(program, args, { env: { PATH: SAFE_PATH }, timeoutMs: test.timeout * 1000, maxOutputBytes: CONFIG_TEST_OUTPUT_CAP, contain: { logger } });
  } catch (e) {
    logger.error(`${service} ${action}: cannot start the configuration test ${program}`, e);
    throw new Fault("backend-failed", `${service} ${action}: the configuration test could not be started (${(e as NodeJS.ErrnoException).code ?? "error"}); nothing was done`, {
      backend: "config-test",
      retryable: false,
    });
  }
  if (r.exitCode === 0 && !r.timedOut && !r.truncated) return;
  const why = r.timedOut
    ? `did not finish within ${test.timeout}s`
    : r.truncated
      ? `wrote more than ${CONFIG_TEST_OUTPUT_CAP} bytes`
      : r.exitCode !== null
        ? `exited with status ${r.exitCode}`
        : `was killed by ${r.signal}`;
  logger.info(`${service} ${action} refused: the configuration test ${test.argv.join(" ")} ${why}`);
  throw new Fault("validation-failed", `${service} ${action} refused: the configuration test ${why}; the service was not touched`, {
    output: r.output.toString("utf8"),
    truncated: r.truncated,
    ...(r.exitCode !== null ? { exitCode: r.exitCode } : {}),
    ...(r.signal ? { signal: r.signal } : {}),
    ...(r.timedOut ? { timedOut: true } : {}),
  });
}
