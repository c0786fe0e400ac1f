/**
 * Where the shared secret comes from: a file (checked for safe ownership and
 * mode), standard input, or a systemd credential — never the command line.
 */
import fs from "node:fs";
import path from "node:path";
import { CREDENTIAL_NAME, KeyFormatError, parseKey } from "@machina/protocol";

export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretError";
  }
}

export interface SecretFileOptions {
  /** The owners accepted (default: root, and the daemon's own user when it is not root). */
  allowedOwners?: number[];
  /**
   * The group the file may be readable by without a warning: the socket's
   * group (`--group`), the web panel's, which reads the same file (the
   * documented setup: root:GROUP 0640).
   */
  clientGroup?: number;
  /** Receives a warning about a file readable by more than it should be. */
  warn?: (message: string) => void;
}

/**
 * Reads a key file. It must be a regular file owned by root (or by the user the
 * daemon runs as, for unprivileged demos) and not writable by group or others:
 * whoever can write it can impersonate either end. Whoever can read it can
 * authenticate as the panel, so it must not be readable by others (refused);
 * readable by a group other than the socket's (or root's) it is accepted with
 * a warning.
 */
export function readSecretFile(file: string, options: SecretFileOptions = {}): Uint8Array {
  const allowedOwners = options.allowedOwners ?? ownersAllowed();
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new SecretError(`secret file ${file} is a symbolic link; refusing it`);
    throw new SecretError(`cannot read secret file ${file}: ${code ?? "error"}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new SecretError(`secret file ${file} is not a regular file`);
    if (!allowedOwners.includes(st.uid)) {
      throw new SecretError(`secret file ${file} is owned by uid ${st.uid}; it must be owned by root`);
    }
    const mode = (st.mode & 0o777).toString(8);
    if (st.mode & 0o022) {
      throw new SecretError(`secret file ${file} is writable by group or others (mode ${mode}); chmod 0640 or 0600`);
    }
    if (st.mode & 0o004) {
      throw new SecretError(
        `secret file ${file} is readable by every user (mode ${mode}), who could then authenticate as the panel; ` +
          `chmod 600 ${file} (or chmod 640 and chgrp it to the web panel's group, as --group)`,
      );
    }
    if (st.mode & 0o040 && st.gid !== 0 && st.gid !== options.clientGroup) {
      options.warn?.(
        `secret file ${file} is readable by group ${st.gid} (mode ${mode}), which is not the socket's group` +
          `${options.clientGroup === undefined ? " (no --group given)" : ` (${options.clientGroup})`}: its members can authenticate as the panel`,
      );
    }
    return parseKeyText(fs.readFileSync(fd, "utf8"), file);
  } finally {
    fs.closeSync(fd);
  }
}

function ownersAllowed(): number[] {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? [0] : [0, uid];
}

function parseKeyText(text: string, source: string): Uint8Array {
  try {
    return parseKey(text);
  } catch (e) {
    if (e instanceof KeyFormatError) throw new SecretError(`${source}: ${e.message}`);
    throw e;
  }
}

/** Reads the first line of standard input as the key. */
export async function readSecretStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<Uint8Array> {
  let text = "";
  for await (const chunk of stdin) {
    text += chunk.toString();
    if (text.includes("\n") || text.length > 4096) break;
  }
  const line = text.split("\n")[0] ?? "";
  return parseKeyText(line, "standard input");
}

/** The systemd credential file (`$CREDENTIALS_DIRECTORY/machina-secret`), if systemd passed one. */
export function credentialFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (!dir) return undefined;
  const file = path.join(dir, CREDENTIAL_NAME);
  return fs.existsSync(file) ? file : undefined;
}

/** Reads a systemd credential. systemd owns its directory and file modes, so only the format is checked. */
export function readCredential(file: string): Uint8Array {
  try {
    return parseKeyText(fs.readFileSync(file, "utf8"), file);
  } catch (e) {
    if (e instanceof SecretError) throw e;
    throw new SecretError(`cannot read credential ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
}
