/** Sends a change list as one `augeas.apply` call and prints what it did. */
import type { AugeasChange, ResultOf } from "@machina/protocol";
import { MachinaError } from "../errors.js";
import type { CliContext } from "./context.js";
import { ErrorAtLine } from "./exit-codes.js";
import { writeDiffs, writeJson } from "./output.js";

export interface SendChangesOptions {
  preview: boolean;
  /** `FILE:LINE` of each change, to say which line a refused change came from. */
  locations?: readonly string[];
  /** The script line of each change, to say which guard did not hold. */
  lines?: readonly number[];
  /** The tags the files must still have (`--expect`). */
  expect?: Record<string, string>;
}

export async function sendChanges(context: CliContext, changes: AugeasChange[], options: SendChangesOptions): Promise<void> {
  let result: ResultOf<"augeas.apply">;
  try {
    result = await context.session((m) =>
      m.augeas.apply({ changes, ...(options.preview ? { preview: true } : {}), ...(options.expect ? { expect: options.expect } : {}) }),
    );
  } catch (error) {
    const index = error instanceof MachinaError ? error.data["change"] : undefined;
    const where = typeof index === "number" ? options.locations?.[index] : undefined;
    if (error instanceof MachinaError && where !== undefined) throw new ErrorAtLine(error, where);
    throw error;
  }
  if (context.globals.json) return writeJson(context.io, result);
  if (!result.applied && result.guard) {
    // Nothing to do is not a failure: the exit status stays 0.
    const index = result.guard.change;
    const which = options.lines?.[index] !== undefined ? `on line ${options.lines[index]}` : `${index + 1}`;
    context.io.stderr.write(`not applied: guard ${which} failed: ${result.guard.reason}\n`);
    return;
  }
  writeDiffs(context.io, result.changes, { tags: options.preview });
}
