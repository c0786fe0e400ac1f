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
}

export async function sendChanges(context: CliContext, changes: AugeasChange[], options: SendChangesOptions): Promise<void> {
  let result: ResultOf<"augeas.apply">;
  try {
    result = await context.session((m) => m.augeas.apply(options.preview ? { changes, preview: true } : { changes }));
  } catch (error) {
    const index = error instanceof MachinaError ? error.data["change"] : undefined;
    const where = typeof index === "number" ? options.locations?.[index] : undefined;
    if (error instanceof MachinaError && where !== undefined) throw new ErrorAtLine(error, where);
    throw error;
  }
  if (context.globals.json) writeJson(context.io, result);
  else writeDiffs(context.io, result.changes);
}
