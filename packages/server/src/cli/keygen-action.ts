// `machinad keygen`: a fresh key on stdout, in the secret file's format.
// Redirected to a file (`machinad keygen > secret`), the file is made 0600
// first, whatever the umask: the key is never readable by others, even for a
// moment. (The init script then gives it to the panel's group, 0640.)
import fs from "node:fs";
import { formatKey, generateKey } from "@machina/protocol";

export function keygen(): void {
  const out = fs.fstatSync(1);
  if (out.isFile() && out.mode & 0o077) fs.fchmodSync(1, 0o600);
  process.stdout.write(formatKey(generateKey()));
}
