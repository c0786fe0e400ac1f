/**
 * Turns a libaugeas failure into the `augeas` error a client receives: the
 * code, messages and per-file problems, with file paths as the policy names
 * them (never the daemon's --root).
 */
import { AugeasError } from "augeas-node-bindings";
import type { AugeasFileProblem } from "@machina/protocol";
import { Fault } from "../faults.js";

export function augeasFault(e: unknown, file?: string): unknown {
  if (!(e instanceof AugeasError)) return e;
  const files: AugeasFileProblem[] = e.files
    .filter((f) => f.file !== null)
    .map((f) => ({
      file: f.file!,
      error: f.kind,
      ...(f.message !== undefined ? { message: f.message } : {}),
      ...(f.line !== undefined ? { line: f.line } : {}),
      ...(f.char !== undefined ? { char: f.char } : {}),
    }));
  const first = files[0];
  const where = file ?? first?.file;
  const reason = first ? `${first.error}${first.message ? `: ${first.message}` : ""}` : e.message;
  return new Fault("augeas", where ? `${where}: ${reason}` : reason, {
    code: e.code,
    message: e.augeasMessage,
    ...(e.minorMessage ? { minorMessage: e.minorMessage } : {}),
    ...(e.details ? { details: e.details } : {}),
    ...(where ? { file: where } : {}),
    ...(files.length ? { files } : {}),
  });
}
