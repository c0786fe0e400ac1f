/**
 * Starting the Augeas host process (host-main.js). Kept apart from
 * augeas-host.ts, and free of heavy imports, so that machinad's entry point
 * can start the host before it loads the rest of the daemon: the two node
 * start-ups then overlap instead of following each other (cli/main.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { MACHINAD_NODE_FLAGS } from "../../node-flags.js";

/** The host's entry beside this module: set by the bundler (scripts/bundle.mjs) to its bundle's name. */
declare const __MACHINA_HOST_MAIN__: string | undefined;
const HOST_MAIN = fileURLToPath(new URL(typeof __MACHINA_HOST_MAIN__ === "string" ? __MACHINA_HOST_MAIN__ : "./host-main.js", import.meta.url));

/**
 * The host's memory: its V8 heap, and all its data (libaugeas' tree is
 * malloc'd, outside the heap) through RLIMIT_DATA, set by util-linux's
 * prlimit(1) as the host starts. A session's tree and journal are bounded
 * far below (limits.ts); past these the host dies, never the daemon.
 */
export const HOST_HEAP_MB = 512;
const HOST_DATA_MB = 1024;
const PRLIMIT = ["/usr/bin/prlimit", "/bin/prlimit"].find((p) => fs.existsSync(p));

export interface HostProcess {
  child: ChildProcess;
  /** prlimit(1) was missing: only the heap limit applies (the caller logs it). */
  withoutPrlimit: boolean;
}

/**
 * The prestarted process, kept on globalThis: machinad's entry point and the
 * rest of the daemon are separate bundles (scripts/bundle.mjs), each with its
 * own copy of this module.
 */
const PRESTARTED = Symbol.for("machina.prestartedAugeasHost");
const slot = globalThis as { [PRESTARTED]?: HostProcess | undefined };

/** Starts a host process; it waits on fd 3 for its first request (the policy, which names the root). */
export function spawnHostProcess(): HostProcess {
  // The daemon's own node options, and source maps if someone runs the daemon with them.
  const sourceMaps = process.execArgv.filter((a) => a === "--enable-source-maps");
  const node = [process.execPath, ...MACHINAD_NODE_FLAGS, ...sourceMaps, `--max-old-space-size=${HOST_HEAP_MB}`, HOST_MAIN];
  const argv = PRLIMIT ? [PRLIMIT, `--data=${HOST_DATA_MB * 1024 * 1024}`, "--", ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "inherit", "pipe"] });
  return { child, withoutPrlimit: !PRLIMIT };
}

/**
 * machinad's entry point calls this first when it is going to run the
 * daemon. The process is adopted by the first AugeasHost; if the daemon
 * never gets that far (a usage error, a bad secret), the entry point ends it
 * with discardPrestartedHost(): until then, its pipe would keep machinad alive.
 */
export function prestartHostProcess(): void {
  slot[PRESTARTED] ??= spawnHostProcess();
}

/** Ends the prestarted process if no AugeasHost adopted it. */
export function discardPrestartedHost(): void {
  slot[PRESTARTED]?.child.kill("SIGKILL");
  slot[PRESTARTED] = undefined;
}

/** The process prestartHostProcess() started, once; otherwise a new one. */
export function takeHostProcess(): HostProcess {
  const host = slot[PRESTARTED];
  slot[PRESTARTED] = undefined;
  if (host && host.child.exitCode === null && host.child.signalCode === null) return host;
  return spawnHostProcess();
}
