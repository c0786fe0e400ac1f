/**
 * The Augeas host process: machinad starts it (augeas-host.ts) and it holds
 * the one libaugeas handle, so a slow or runaway call costs this process —
 * which the daemon can kill at the call's time limit or at SIGTERM — and
 * never the daemon's event loop. It reads requests from fd 3, answers them
 * in order, and exits when the daemon's end of the socket closes.
 *
 * usage (by machinad only, with fd 3 its socket): node host-main.js
 */
import fs from "node:fs";
import net from "node:net";
import type { Logger, LogLevel } from "../../logger.js";
import { AugeasLocalRuntime } from "../local-runtime.js";
import { runCall } from "./host-calls.js";
import type { HostLogLine, HostReply, HostRequest } from "./host-protocol.js";
import { loggedStack } from "../../stack-trace.js";

try {
  if (!fs.fstatSync(3).isSocket()) throw new Error("fd 3 is not a socket");
} catch {
  process.stderr.write("usage: host-main.js (started by machinad, with its socket on fd 3; not by hand)\n");
  process.exit(2);
}
const channel = new net.Socket({ fd: 3, readable: true, writable: true });
const send = (message: HostReply | HostLogLine) => channel.write(JSON.stringify(message) + "\n");
const log = (level: LogLevel) => (message: string, extra?: unknown) => {
  const detail = extra instanceof Error ? `\n${loggedStack(extra)}` : extra !== undefined ? ` ${JSON.stringify(extra)}` : "";
  send({ log: { level, message: message + detail } });
};
const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
// Made by the first request, the policy, which names the root (so the
// process can be started before the daemon has read its options).
let runtime: AugeasLocalRuntime | undefined;
const opened = (): AugeasLocalRuntime => {
  if (!runtime) throw new Error("a request came before the policy");
  return runtime;
};

function handle(request: HostRequest): HostReply | Promise<HostReply> {
  const failed = (e: unknown): HostReply => {
    logger.error(`the Augeas host could not handle a ${request.op} request`, e);
    return { id: request.id, failed: request.op };
  };
  try {
    switch (request.op) {
      case "policy":
        runtime ??= new AugeasLocalRuntime(request.root, logger);
        return { id: request.id, files: runtime.usePolicy(request.section, request.limits, request.history, Buffer.from(request.tagKey, "base64")) };
      case "reset":
        return { id: request.id, files: opened().reset() };
      case "call": {
        const outcome = runCall(opened(), request.method, request.params, logger, request.call);
        if (outcome instanceof Promise) return outcome.then((o): HostReply => ({ id: request.id, outcome: o }), failed);
        return { id: request.id, outcome };
      }
    }
  } catch (e) {
    return failed(e);
  }
}

// machinad is this process's parent. If it dies (SIGKILL, a crash), requests it had already
// sent may still be buffered here: none of them may run — no save after the daemon is gone.
// Its death makes this process an orphan (a new parent pid) before the socket's end is read.
const daemonPid = process.ppid;
const orphaned = (): boolean => process.ppid !== daemonPid;

let buffered = "";
/** Set while a call waits for a program (a save's validators): later requests wait in `buffered`. */
let waitingFor: Promise<void> | undefined;
channel.setEncoding("utf8");
channel.on("data", (chunk: string) => {
  buffered += chunk;
  if (!waitingFor) serve();
});

/** Answers every complete request in `buffered`, in order, until one must wait. */
function serve(): void {
  let start = 0;
  // Answers to calls that came together leave together (pipelined calls),
  // but none waits long behind a slow one: the daemon starts a request's
  // time limit when the answer before it arrives. The answer to a reset or a
  // policy, whose own limit is the long one of loading files, leaves at once:
  // held back behind a slow call sent with it (a session's first call comes
  // in the same write as the session's reset), it would leave that call
  // running under the loading limit instead of --call-timeout.
  channel.cork();
  let corkedAt = performance.now();
  try {
    for (let end = buffered.indexOf("\n", start); end >= 0; end = buffered.indexOf("\n", start)) {
      const line = buffered.slice(start, end);
      start = end + 1;
      if (orphaned()) process.exit(0);
      const request = JSON.parse(line) as HostRequest;
      const reply = handle(request);
      if (reply instanceof Promise) {
        waitingFor = reply.then((r) => {
          // The daemon died while the call waited: nobody is left to answer.
          if (orphaned()) process.exit(0);
          send(r);
          waitingFor = undefined;
          serve();
        });
        return;
      }
      send(reply);
      if (request.op !== "call" || performance.now() - corkedAt > 1) {
        channel.uncork();
        channel.cork();
        corkedAt = performance.now();
      }
    }
  } finally {
    channel.uncork();
    buffered = buffered.slice(start);
  }
}
// The daemon is gone (or closed its end): nothing is left to serve.
channel.on("end", () => process.exit(0));
channel.on("error", () => process.exit(0));
