/**
 * Runs an authorised `[[command]]` entry: as its user (when it names one),
 * with its timeout and output cap, stdin decoded from and output encoded to
 * the encodings the caller chose.
 */
import { decodeBytes, encodeBytes, type ByteEncoding, type ProgressUpdate, type ResultOf } from "@machina/protocol";
import fs from "node:fs";
import { lookupUser } from "@machina/peercred";
import { Fault, PolicyDeniedFault } from "../faults.js";
import type { Logger } from "../logger.js";
import type { CommandRule } from "./command-section.js";
import { effectiveOutputCap } from "./output-cap.js";
import { runProgram } from "../process/run-program.js";
import { untrustedProgramBecause } from "../trusted-path.js";

/** Bytes of JSON the encoded stdout and stderr may take in the response (the rest of it is small). */
const RESPONSE_OUTPUT_BUDGET = 1024 * 1024 - 4096;


export interface CommandRun {
  rule: CommandRule;
  args: readonly string[];
  env: Record<string, string>;
  stdin?: Uint8Array;
  stdout: ByteEncoding;
  stderr: ByteEncoding;
  progress(update: ProgressUpdate): void;
}

export async function runCommand(run: CommandRun, logger: Logger): Promise<ResultOf<"command.run">> {
  const { rule } = run;
  let ids: { uid: number; gid: number } | undefined;
  if (rule.user !== undefined) {
    const user = lookupUser(rule.user);
    if (!user) {
      logger.error(`command ${rule.name}: user ${rule.user} does not exist`);
      throw new Fault("backend-failed", `the command's user ${rule.user} does not exist on this system`, { backend: "command", retryable: false });
    }
    ids = { uid: user.uid, gid: user.gid };
  }
  // Run as root only what only root can change: a program another user could rewrite (or a
  // directory or link on its way they could redirect) would run their code. Checked on every call,
  // as the file can change after the policy is loaded. A missing program is backend-failed below.
  const unsafe = fs.existsSync(rule.path) ? untrustedProgramBecause(rule.path) : undefined;
  if (unsafe) {
    logger.error(`command ${rule.name}: refusing to run ${rule.path}: ${unsafe}`);
    throw new PolicyDeniedFault(rule.name, "refusing to run this command: its program could be changed by a user other than root (the daemon's log says why)");
  }
  let result;
  try {
    result = await runProgram(rule.path, run.args, {
      env: run.env,
      timeoutMs: rule.timeout * 1000,
      maxOutputBytes: effectiveOutputCap(rule),
      ...(run.stdin ? { stdin: run.stdin } : {}),
      ...(ids ?? {}),
      onStart: () => run.progress({ phase: "running", percent: null, message: `started ${rule.path}` }),
      // Nothing a command starts outlives it: not a background child, not one that left with setsid.
      contain: { logger },
    });
  } catch (e) {
    logger.error(`command ${rule.name}: cannot start ${rule.path}`, e);
    throw new Fault("backend-failed", `cannot start ${rule.path} (${(e as NodeJS.ErrnoException).code ?? "error"})`, {
      backend: "command",
      retryable: false,
    });
  }
  const output = fitResponse(result.stdout, result.stderr, run.stdout, run.stderr);
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    truncated: result.truncated || output.cut,
    stdout: output.stdout,
    stderr: output.stderr,
  };
}

/**
 * The encoded output, cut further if its JSON would not fit the 1 MiB line a
 * client accepts: `text` of binary output can grow sixfold (`\u0000` escapes),
 * which the byte cap alone does not bound.
 */
function fitResponse(stdout: Buffer, stderr: Buffer, outEncoding: ByteEncoding, errEncoding: ByteEncoding): { stdout: string; stderr: string; cut: boolean } {
  let out = stdout;
  let err = stderr;
  let cut = false;
  for (;;) {
    const encoded = { stdout: encodeBytes(out, outEncoding), stderr: encodeBytes(err, errEncoding) };
    if (Buffer.byteLength(JSON.stringify(encoded)) <= RESPONSE_OUTPUT_BUDGET) return { ...encoded, cut };
    cut = true;
    if (out.length >= err.length) out = out.subarray(0, Math.floor((out.length * 3) / 4));
    else err = err.subarray(0, Math.floor((err.length * 3) / 4));
  }
}

/** Decodes the caller's stdin; an `invalid-params` Fault when it is not valid in its encoding. */
export function decodeStdin(data: string, encoding: ByteEncoding): Uint8Array {
  try {
    return decodeBytes(data, encoding);
  } catch (e) {
    throw new Fault("invalid-params", `stdin is not valid ${encoding}: ${(e as Error).message}`, { param: "/stdin/data" });
  }
}
