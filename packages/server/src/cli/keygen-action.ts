// `machinad keygen`: a fresh key on stdout, in the secret file's format.
import { formatKey, generateKey } from "@machina/protocol";

export function keygen(): void {
  process.stdout.write(formatKey(generateKey()));
}
