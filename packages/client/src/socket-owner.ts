/**
 * Checks that the socket is one only the trusted user (root, by default) could
 * have put there, before connecting to it.
 *
 * The handshake already proves the daemon knows the secret; this check refuses
 * earlier and with a clearer message when the path was hijacked, and keeps the
 * client from handing even its nonce to a stranger. The directory is what
 * matters: nobody but its owner can create or replace entries in a directory
 * that is not writable by group or others. The socket file and its directory
 * must belong to the trusted user or to this process's own user: `machinad
 * --user` gives the socket to the client's user (mode 0600), and a daemon run
 * by the same user (`npm start` as an ordinary user) can only have been put
 * there by that user, who gains nothing by impersonating a daemon to itself.
 */
import { lstatSync } from "node:fs";
import type { Stats } from "node:fs";
import path from "node:path";
import { ConnectionError } from "./errors.js";

function describeLstatError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "does not exist";
  if (code === "EACCES" || code === "EPERM") return "cannot be inspected (permission denied)";
  if (code === "ENOTDIR") return "does not exist (a parent is not a directory)";
  return `cannot be inspected (${code ?? String(error)})`;
}

function lstatOrThrow(file: string, what: string, hint = ""): Stats {
  try {
    // Synchronous on purpose (as the secret's read): a local lstat costs microseconds, a
    // trip through the thread pool much more, twice per connection.
    return lstatSync(file);
  } catch (error) {
    throw new ConnectionError(`${what} ${file} ${describeLstatError(error)}${hint}`);
  }
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * Throws {@link ConnectionError} unless `socketPath` is a socket owned by
 * `trustedUid` (or by this process's uid) inside a directory owned by one of
 * them that group and others cannot write to.
 */
export async function checkSocketOwner(socketPath: string, trustedUid: number): Promise<void> {
  const socket = lstatOrThrow(socketPath, "the socket", " (is machinad running?)");
  if (!socket.isSocket()) throw new ConnectionError(`${socketPath} is not a socket`);
  const ownUid = process.geteuid?.();
  if (socket.uid !== trustedUid && socket.uid !== ownUid) {
    throw new ConnectionError(
      `refusing the socket ${socketPath}: it is owned by uid ${socket.uid}, not by the trusted uid ${trustedUid}`,
    );
  }
  const dir = path.dirname(path.resolve(socketPath));
  const d = lstatOrThrow(dir, "the socket's directory");
  if (!d.isDirectory()) throw new ConnectionError(`refusing the socket ${socketPath}: ${dir} is not a directory (a symlink?)`);
  if (d.uid !== trustedUid && d.uid !== ownUid) {
    throw new ConnectionError(
      `refusing the socket ${socketPath}: its directory ${dir} is owned by uid ${d.uid}, not by the trusted uid ${trustedUid}`,
    );
  }
  if ((d.mode & 0o022) !== 0) {
    throw new ConnectionError(
      `refusing the socket ${socketPath}: its directory ${dir} is writable by group or others (mode ${octal(d.mode)})`,
    );
  }
}
