/**
 * The global options every command shares, parsed into one typed object, and
 * the session helper commands use to talk to the daemon.
 */
import { DEFAULT_SECRET_FILE, DEFAULT_SOCKET, ENV_SECRET_FILE, ENV_SOCKET } from "@machina/protocol";
import { connect, DEFAULT_TRUSTED_SOCKET_OWNER, type MachinaClient } from "../client.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./usage-error.js";

/** The global options, resolved (flags, then environment, then defaults). */
export interface GlobalOptions {
  socket: string;
  secretFile: string;
  json: boolean;
  /** Per-call timeout in ms; undefined for the library's default. */
  timeoutMs: number | undefined;
  /** Uid that must own the socket's directory; null when the check is off. */
  socketOwner: number | null;
}

/** What commander hands over for the global options. */
export interface RawGlobalOptions {
  socket?: string;
  secretFile?: string;
  json?: boolean;
  timeout?: string;
  socketOwner?: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function parseNonNegativeInteger(text: string, what: string): number {
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`${what} must be a non-negative integer, not '${text}'`);
  return Number(text);
}

export function parseGlobalOptions(raw: RawGlobalOptions, env: CliIo["env"]): GlobalOptions {
  return {
    socket: nonEmpty(raw.socket) ?? nonEmpty(env[ENV_SOCKET]) ?? DEFAULT_SOCKET,
    secretFile: nonEmpty(raw.secretFile) ?? nonEmpty(env[ENV_SECRET_FILE]) ?? DEFAULT_SECRET_FILE,
    json: raw.json === true,
    timeoutMs: raw.timeout === undefined ? undefined : parseNonNegativeInteger(raw.timeout, "--timeout"),
    socketOwner:
      raw.socketOwner === undefined
        ? DEFAULT_TRUSTED_SOCKET_OWNER
        : raw.socketOwner === "any"
          ? null
          : parseNonNegativeInteger(raw.socketOwner, "--socket-owner"),
  };
}

/** What a command's action receives besides its own options. */
export interface CliContext {
  readonly globals: GlobalOptions;
  readonly io: CliIo;
  /** Connects, runs `body` in one session, and closes the session. */
  session<T>(body: (m: MachinaClient) => Promise<T>): Promise<T>;
}

/** How long a CLI command waits for the daemon's one session to be free before exiting 3 (busy). */
export const CLI_WAIT_IF_BUSY_MS = 2000;

export function createContext(globals: GlobalOptions, io: CliIo): CliContext {
  return {
    globals,
    io,
    async session(body) {
      const m = await connect({
        socket: globals.socket,
        secretFile: globals.secretFile,
        trustedSocketOwner: globals.socketOwner,
        // A script's previous machina call may still be closing its session.
        waitIfBusyMs: CLI_WAIT_IF_BUSY_MS,
        ...(globals.timeoutMs === undefined ? {} : { callTimeoutMs: globals.timeoutMs }),
      });
      try {
        return await body(m);
      } finally {
        await m.close();
      }
    },
  };
}
