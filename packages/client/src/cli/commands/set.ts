import { readFile } from "node:fs/promises";
import { Base64Error, decodeBase64Bytes, type AugeasBytes } from "@machina/protocol";
import { augeasValueFromBytes } from "../../augeas-values.js";
import { defineCommand, optionalString, requiredString } from "../command.js";
import { sendChanges } from "../changes.js";
import { readAllBytes } from "../io.js";
import { UsageError } from "../usage-error.js";

interface SetOptions {
  path: string;
  /** The value's source: text as typed, base64 text, or a file (- for stdin) holding its bytes. */
  value: { text: string } | { base64: string } | { file: string };
}

export const setCommand = defineCommand<SetOptions>({
  name: "set",
  declare: (c) =>
    c
      .summary("set a node's value and save")
      .description(
        "Set the node PATH to VALUE (creating it, and missing parents, if needed) and save, in one session " +
          "(augeas.apply). Prints the unified diff of what changed. VALUE is text (as UTF-8); to set exact bytes " +
          "(a value that is not UTF-8, e.g. one read with `machina get -n`), give them with --base64 or --bytes-from.",
      )
      .argument("<PATH>", "an Augeas path matching at most one node")
      .argument("[VALUE]", "the new value, as text (omit it with --bytes-from)")
      .option("--base64", "VALUE is the base64 (standard, padded) of the value's bytes")
      .option("--bytes-from <FILE>", "take the value's bytes from FILE, exactly (- for stdin; a trailing newline is part of the value)"),
  parse: ([path, value], options) => {
    const text = optionalString(value);
    const file = optionalString(options["bytesFrom"]);
    const base64 = options["base64"] === true;
    if (file !== undefined && (text !== undefined || base64)) throw new UsageError("give the value either as VALUE or with --bytes-from, not both");
    if (file !== undefined) return { path: requiredString(path, "PATH"), value: { file } };
    if (text === undefined) throw new UsageError("missing required argument 'VALUE' (or --bytes-from FILE)");
    return { path: requiredString(path, "PATH"), value: base64 ? { base64: text } : { text } };
  },
  run: async ({ path, value }, context) => {
    let sent: string | AugeasBytes;
    if ("text" in value) sent = value.text;
    else if ("base64" in value) {
      try {
        sent = augeasValueFromBytes(decodeBase64Bytes(value.base64));
      } catch (error) {
        if (error instanceof Base64Error) throw new UsageError(`VALUE with --base64: ${error.message}`);
        throw error;
      }
    } else {
      const fromStdin = value.file === "-";
      let bytes: Buffer;
      try {
        bytes = fromStdin ? await readAllBytes(context.io.stdin) : await readFile(value.file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new UsageError(`cannot read ${fromStdin ? "<stdin>" : value.file}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`);
      }
      sent = augeasValueFromBytes(bytes);
    }
    await sendChanges(context, [{ op: "set", path, value: sent }], { preview: false });
  },
});
