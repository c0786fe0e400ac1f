/**
 * The listening socket: socket activation (LISTEN_FDS) or a socket file we
 * create inside a root-owned directory, with the ownership and mode the options
 * ask for. Start-up refuses to steal a live daemon's socket or to replace
 * something that is not a socket.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { resolveGroupId, resolveUserId } from "@machina/peercred";
import { LISTEN_BACKLOG } from "../limits.js";

export class ListenerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ListenerError";
  }
}

export interface ListenOptions {
  socketPath: string;
  user?: string;
  group?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Listener {
  server: net.Server;
  /** The socket file to remove on exit, or undefined under socket activation. */
  ownedPath?: string;
  activated: boolean;
  describe: string;
}

const SD_LISTEN_FDS_START = 3;

/** True when systemd passed us a listening socket for this very process. */
export function socketActivated(env: NodeJS.ProcessEnv): boolean {
  return env.LISTEN_PID === String(process.pid) && Number(env.LISTEN_FDS ?? "0") >= 1;
}

export async function listen(options: ListenOptions): Promise<Listener> {
  const env = options.env ?? process.env;
  // Accepted paused: a refused peer is never read from (a Session resumes its socket).
  const server = net.createServer({ pauseOnConnect: true });
  if (socketActivated(env)) {
    // Keep children from inheriting the activation protocol.
    delete env.LISTEN_PID;
    delete env.LISTEN_FDS;
    delete env.LISTEN_FDNAMES;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ fd: SD_LISTEN_FDS_START, backlog: LISTEN_BACKLOG }, () => resolve());
    });
    return { server, activated: true, describe: `socket-activated fd ${SD_LISTEN_FDS_START}` };
  }

  const socketPath = path.resolve(options.socketPath);
  prepareDirectory(path.dirname(socketPath));
  await removeStaleSocket(socketPath);
  const uid = options.user === undefined ? undefined : userId(options.user);
  const gid = options.group === undefined ? undefined : groupId(options.group);
  const mode = gid === undefined ? 0o600 : 0o660;
  // The socket is created with the umask's mode; make it private until chmod/chown are done.
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) => reject(new ListenerError(`cannot listen on ${socketPath}: ${e.code ?? e.message}`)));
      server.listen({ path: socketPath, backlog: LISTEN_BACKLOG }, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  try {
    if (uid !== undefined || gid !== undefined) fs.chownSync(socketPath, uid ?? -1, gid ?? -1);
    fs.chmodSync(socketPath, mode);
  } catch (e) {
    server.close();
    fs.rmSync(socketPath, { force: true });
    throw new ListenerError(`cannot set ownership of ${socketPath}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  return { server, ownedPath: socketPath, activated: false, describe: socketPath };
}

function prepareDirectory(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (process.getuid?.() === 0) fs.chownSync(dir, 0, 0);
    fs.chmodSync(dir, 0o755);
    return;
  }
  if (!st.isDirectory()) throw new ListenerError(`${dir} exists and is not a directory`);
  if (st.mode & 0o002 && !(st.mode & 0o1000)) {
    throw new ListenerError(`${dir} is world-writable; the socket must live in a directory only root can write (e.g. /run/machina)`);
  }
}

async function removeStaleSocket(socketPath: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new ListenerError(`${socketPath} exists and is not a socket; refusing to replace it`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (live) throw new ListenerError(`another daemon is already listening on ${socketPath}`);
  fs.unlinkSync(socketPath);
}

function userId(name: string): number {
  const id = resolveUserId(name);
  if (id === undefined) throw new ListenerError(`unknown user ${JSON.stringify(name)}`);
  return id;
}

function groupId(name: string): number {
  const id = resolveGroupId(name);
  if (id === undefined) throw new ListenerError(`unknown group ${JSON.stringify(name)}`);
  return id;
}
