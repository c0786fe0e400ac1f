/**
 * A program the policy runs to check a change before it is made, and which
 * alone decides whether it is: a `[[service]]` entry's configuration test
 * (`test = ["/usr/sbin/nginx", "-t"]`, ../service/config-test.ts) before a
 * reload or restart, an `[[augeas.file]]`'s validator (`validate =
 * ["/usr/sbin/visudo", "-cf", "%s"]`, ../augeas/save-validators.ts) before a
 * save. One way to write, check and run them all:
 *
 * - in the policy: an argument vector whose program is an absolute,
 *   normalised path (no shell, nothing of the client's), and a timeout in
 *   seconds (default 30, at most an hour);
 * - before every run: the program is one only root can change, down the whole
 *   path (../trusted-path.ts) — a check is code run as root;
 * - run as a `[[command]]` is (run-program.ts): an environment of only the
 *   safe PATH, its own timeout, its output capped (more ends it), contained
 *   (whatever it starts dies with it). It passes only by exiting 0 in time.
 */
import fs from "node:fs";
import { DEFAULT_COMMAND_TIMEOUT_S, isProgramPath } from "../command/command-section.js";
import { Fault, PolicyDeniedFault } from "../faults.js";
import type { Logger } from "../logger.js";
import { describe, type PolicyValidator, type TomlTable } from "../policy/policy-validator.js";
import { untrustedProgramBecause } from "../trusted-path.js";
import { runProgram, SAFE_PATH, type ProgramResult } from "./run-program.js";

export interface PolicyCheckProgram {
  /** The program (absolute path) and its arguments, exactly as the policy wrote them. */
  argv: string[];
  /** Seconds. */
  timeout: number;
}

/** Seconds a check may run when the policy does not say. */
export const DEFAULT_CHECK_TIMEOUT_S = DEFAULT_COMMAND_TIMEOUT_S;

/** The longest timeout a policy may give a check: an hour. */
const MAX_CHECK_TIMEOUT_S = 3600;

/** Bytes of a check's output kept (`nginx -t` writes two lines, `visudo -c` one per problem); more ends it. */
export const CHECK_OUTPUT_CAP = 64 * 1024;

/**
 * Reads the check `keys.argv` (and its `keys.timeout`) of table `key`.
 * Answers `{ ok }` and the check when there is one; problems go to the
 * validator (then ok is false). `argvProblem` adds the caller's own rules
 * on the vector (a validator's `%s`).
 */
export function parseCheckProgram(
  t: TomlTable,
  key: string,
  v: PolicyValidator,
  keys: { argv: string; timeout: string },
  argvProblem?: (argv: readonly string[]) => { index: number; message: string } | undefined,
): { ok: boolean; check?: PolicyCheckProgram } {
  const timeoutKey = `${key}.${keys.timeout}`;
  if (t[keys.argv] === undefined) {
    if (t[keys.timeout] === undefined) return { ok: true };
    v.error(timeoutKey, `there is no ${keys.argv} to time (${keys.argv} = [PROGRAM, ARGS...])`);
    return { ok: false };
  }
  const argvKey = `${key}.${keys.argv}`;
  const argv = programVector(t[keys.argv], argvKey, v);
  if (!argv) return { ok: false };
  const problem = argvProblem?.(argv);
  if (problem) {
    v.error(problem.index < 0 ? argvKey : `${argvKey}[${problem.index}]`, problem.message);
    return { ok: false };
  }
  let timeout = DEFAULT_CHECK_TIMEOUT_S;
  const given = t[keys.timeout];
  if (given !== undefined) {
    if (typeof given === "number" && given > 0 && given <= MAX_CHECK_TIMEOUT_S) timeout = given;
    else {
      v.error(timeoutKey, `must be a number of seconds between 0 and ${MAX_CHECK_TIMEOUT_S}, not ${describe(given)}`);
      return { ok: false };
    }
  }
  return { ok: true, check: { argv, timeout } };
}

function programVector(value: unknown, key: string, v: PolicyValidator): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || !value.every((a) => typeof a === "string")) {
    v.error(key, `must be a non-empty array of strings: the program and its arguments (no shell), not ${describe(value)}`);
    return undefined;
  }
  const argv = value as [string, ...string[]];
  if (!isProgramPath(argv[0])) {
    v.error(`${key}[0]`, `${JSON.stringify(argv[0])} must be an absolute, normalised path (no shell: the program itself)`);
    return undefined;
  }
  const nul = argv.findIndex((a) => a.includes("\0"));
  if (nul >= 0) {
    v.error(`${key}[${nul}]`, "contains a NUL byte");
    return undefined;
  }
  return argv;
}

/** A check as `policy explain` shows it: its words quoted, and how it runs. */
export function explainCheckProgram(check: PolicyCheckProgram): string {
  return `${check.argv.map((a) => JSON.stringify(a)).join(" ")} (as root, no shell, timeout ${check.timeout}s)`;
}

/** How a check that ran did not pass. */
export interface CheckFailure {
  /** In words, for messages: "exited with status 1", "did not finish within 30s". */
  why: string;
  /** stdout and stderr as they arrived, at most CHECK_OUTPUT_CAP bytes. */
  output: Buffer;
  /** It wrote more than is kept (and was ended). */
  truncated: boolean;
  exitCode?: number;
  signal?: string;
  timedOut?: true;
}

/** What a refusal says about a check and what it concerns, in the caller's words. */
export interface CheckContext {
  logger: Logger;
  /** Who asked, for log lines: "nginx reload", "save of /etc/sudoers". */
  subject: string;
  /** What the program is, in messages: "configuration test", "validator". */
  role: string;
  /** `backend` of a `backend-failed` fault: "config-test", "validator". */
  backend: string;
  /** What was refused: the `target` of a `policy-denied` fault (the service, the file). */
  target: string;
  /** What was not done, ending a refusal: "nothing was done", "nothing was written". */
  untouched: string;
}

/**
 * Runs `argv` (the policy's vector, after the caller put in what it adds)
 * with a timeout of `timeoutS` seconds. Answers undefined when it passed,
 * how it failed otherwise; throws `backend-failed` when the program is not
 * installed or cannot be started, and `policy-denied` when a user other than
 * root could change it (the log says how; the client is not told the path).
 */
export async function runCheckProgram(argv: readonly string[], timeoutS: number, ctx: CheckContext): Promise<CheckFailure | undefined> {
  const [program, ...args] = argv as [string, ...string[]];
  if (!fs.existsSync(program)) {
    ctx.logger.error(`${ctx.subject}: the ${ctx.role} ${program} does not exist`);
    throw new Fault("backend-failed", `${ctx.subject}: the policy's ${ctx.role} is not installed; ${ctx.untouched}`, { backend: ctx.backend, retryable: false });
  }
  const unsafe = untrustedProgramBecause(program);
  if (unsafe) {
    ctx.logger.error(`${ctx.subject}: refusing to run the ${ctx.role} ${program}: ${unsafe}`);
    throw new PolicyDeniedFault(ctx.target, `refusing to run the policy's ${ctx.role}: its program could be changed by a user other than root (the daemon's log says why)`);
  }
  let r: ProgramResult;
  try {
    r = await runProgram(program, args, { env: { PATH: SAFE_PATH }, timeoutMs: timeoutS * 1000, maxOutputBytes: CHECK_OUTPUT_CAP, contain: { logger: ctx.logger } });
  } catch (e) {
    ctx.logger.error(`${ctx.subject}: cannot start the ${ctx.role} ${program}`, e);
    throw new Fault("backend-failed", `${ctx.subject}: the ${ctx.role} could not be started (${(e as NodeJS.ErrnoException).code ?? "error"}); ${ctx.untouched}`, {
      backend: ctx.backend,
      retryable: false,
    });
  }
  if (r.exitCode === 0 && !r.timedOut && !r.truncated) return undefined;
  const why = r.timedOut
    ? `did not finish within ${timeoutS}s`
    : r.truncated
      ? `wrote more than ${CHECK_OUTPUT_CAP} bytes`
      : r.exitCode !== null
        ? `exited with status ${r.exitCode}`
        : `was killed by ${r.signal}`;
  return {
    why,
    output: r.output,
    truncated: r.truncated,
    ...(r.exitCode !== null ? { exitCode: r.exitCode } : {}),
    ...(r.signal ? { signal: r.signal } : {}),
    ...(r.timedOut ? { timedOut: true as const } : {}),
  };
}
