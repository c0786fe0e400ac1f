/**
 * Loading the shared secret. Error messages name the file and what is wrong
 * with it, never its contents.
 */
import { readFileSync } from "node:fs";
import { KEY_BYTES, KeyFormatError, parseKey } from "@machina/protocol";
import { ConnectionError } from "./errors.js";

/** Where the secret comes from: inline (base64 text or raw bytes), or a file. */
export type SecretSource = { secret: string | Uint8Array } | { secretFile: string };

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory";
    default:
      return code ?? "unreadable";
  }
}

/**
 * The 32-byte key. Throws {@link ConnectionError} when the file is missing,
 * unreadable or malformed, or the inline secret is malformed.
 */
export async function loadKey(source: SecretSource): Promise<Uint8Array> {
  if ("secret" in source) {
    const secret = source.secret;
    if (typeof secret === "string") {
      try {
        return parseKey(secret);
      } catch (error) {
        if (error instanceof KeyFormatError) throw new ConnectionError(`the secret given is malformed: ${error.message}`);
        throw error;
      }
    }
    if (secret.length !== KEY_BYTES) {
      throw new ConnectionError(`the secret given is malformed: it must be exactly ${KEY_BYTES} bytes`);
    }
    return Uint8Array.from(secret);
  }
  const file = source.secretFile;
  let text: string;
  try {
    // Synchronous on purpose: a one-line local file read this way costs ~20 µs; the promise
    // API's open, fstat, read and close each cross the thread pool, ~0.4 ms per connection.
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConnectionError(`cannot read the secret file ${file}: ${reasonOf(error)}`);
  }
  try {
    return parseKey(text);
  } catch (error) {
    if (error instanceof KeyFormatError) throw new ConnectionError(`the secret file ${file} is malformed: ${error.message}`);
    throw error;
  } finally {
    text = "";
  }
}
