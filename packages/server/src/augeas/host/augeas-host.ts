/**
 * machinad's side of the Augeas host process (host-main.ts): starts it,
 * sends it the policy and each `augeas.*` call, and enforces the call's time
 * limit by killing it — libaugeas cannot be interrupted, and a process,
 * unlike a worker thread stuck in native code, can be ended at once. A call
 * cut short (time limit, a crash, SIGTERM) loses the session's pending edits
 * with the process, so that session is closed after its reply; a new host is
 * started for the next request.
 */
import type { ChildProcess } from "node:child_process";
import type net from "node:net";
import type { CallIdentity, Caller } from "../../capability/capability-module.js";
import { Fault, TimeoutFault } from "../../faults.js";
import type { Logger } from "../../logger.js";
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from "../../limits.js";
import type { AugeasSection } from "../augeas-section.js";
import { validatorAllowanceMs } from "../save-validators.js";
import type { WorkspaceFile } from "../workspace.js";
import type { HistoryOptions } from "../local-runtime.js";
import { TREE_READS, type CallOutcome, type HostFault, type HostLogLine, type HostReply, type HostRequest } from "./host-protocol.js";
import { HOST_HEAP_MB, takeHostProcess } from "./host-process.js";
import { DEFAULT_HISTORY_DIR, DEFAULT_HISTORY_MAX_BYTES } from "../history-store.js";
import { newTagKey } from "../file-tag.js";

let warnedNoPrlimit = false;

/** The methods that may write files: a client hanging up does not cut them short. */
const WRITES_FILES: ReadonlySet<string> = new Set(["augeas.save", "augeas.apply", "augeas.rollback"]);

/** The time limit of loading the policy's files (at start-up, SIGHUP and each session's start and end). */
const LOAD_TIME_LIMIT_MS = 300_000;

/** How long a call in progress may still finish once the daemon is asked to stop. */
const STOP_GRACE_MS = 750;

type Request = HostRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

interface Waiting {
  resolve(reply: HostReply): void;
  reject(error: Error): void;
  /** What it is, for the log. */
  what: string;
  /** A client's call (not the daemon's own loading of the files). */
  isCall: boolean;
  limitMs: number;
  /** Armed when the host starts on it: when every request before it is answered. */
  timer?: NodeJS.Timeout;
}

interface Host {
  process: ChildProcess;
  channel: net.Socket;
  waiting: Map<number, Waiting>;
}

export class AugeasHost {
  private host: Host | undefined;
  private nextId = 1;
  private section: AugeasSection | undefined;
  private files: WorkspaceFile[] = [];
  private loaded: Promise<void> = Promise.resolve();
  /** Set by close(): no host is started after it (a session may still end on its way out). */
  private closed = false;
  /** The files are to be reloaded before the next call (a session started). */
  private resetDue = false;
  /** A call other than a read ran since the last reset (TREE_READS). */
  private touched = false;
  /** The key of file tags, drawn once per daemon start and given to every host (file-tag.ts). */
  private readonly tagKey = newTagKey().toString("base64");

  constructor(
    private readonly root: string,
    private readonly logger: Logger,
    private readonly timeLimitMs: number,
    /** The session's resource limits (limits.ts), enforced in the host. */
    private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
    /** Where saves of files with `history` on keep previous versions. */
    private readonly history: HistoryOptions = { dir: DEFAULT_HISTORY_DIR, maxBytes: DEFAULT_HISTORY_MAX_BYTES },
  ) {
    // Boot the process now: node's start-up overlaps the daemon's own.
    this.live();
  }

  /** Start-up and SIGHUP: the host opens a workspace for the new section. */
  usePolicy(section: AugeasSection): void {
    this.section = section;
    this.loaded = this.loadPolicy(this.live());
  }

  /** Resolves once the files are loaded for the current policy and session (or failed to load, which is logged). */
  ready(): Promise<void> {
    return this.loaded;
  }

  /** The policy files with their lenses and load problems, as the host last reported them. */
  describeFiles(): readonly WorkspaceFile[] {
    return this.files;
  }

  /**
   * The files are reloaded before the session's first call, in the same
   * write as the call: a session that never calls augeas.* (a panel that only
   * restarts a service, a client that only connects) never wakes the host,
   * and one that does wakes it once.
   */
  sessionStarted(): void {
    this.resetDue = true;
  }

  sessionEnded(): void {
    // A call still running belongs to a session that is gone: end it with its process.
    if (this.host && [...this.host.waiting.values()].some((w) => w.isCall)) this.restart("the session ended while a call was running");
    // Pending edits are dropped now, not at the next session's first call; after reads alone there are none.
    else if (this.touched) this.reset();
    this.resetDue = true;
  }

  /** The daemon is stopping: a call in progress gets STOP_GRACE_MS to finish, then the host is killed. */
  stopping(): void {
    const host = this.host;
    if (!host || host.waiting.size === 0) return;
    setTimeout(() => {
      if (this.host === host && host.waiting.size > 0) this.restart("machinad is stopping", false);
    }, STOP_GRACE_MS).unref();
  }

  close(): void {
    this.closed = true;
    const host = this.host;
    this.host = undefined;
    if (host) this.kill(host, new Fault("busy", "machinad is stopping", {}));
  }

  /**
   * Runs one `augeas.*` call in the host. A call that outlives the time limit
   * or the host is answered `timeout` (or `internal`) and closes the session,
   * whose pending edits died with the host.
   */
  async call(method: string, params: unknown, caller: Caller, call: CallIdentity): Promise<CallOutcome> {
    const host = this.live();
    // A client that hangs up leaves nobody to read the answer: a read or an
    // edit of the (then discarded) tree is cut short at once. A call that may
    // write files is left to finish, so a save is never cut between two files.
    const hungUp = () => {
      if (this.host === host && !WRITES_FILES.has(method)) this.restart(`the client hung up during ${method}`);
    };
    caller.hungUp.addEventListener("abort", hungUp);
    if (this.resetDue) this.reset();
    if (!TREE_READS.has(method)) this.touched = true;
    try {
      const peer = { pid: caller.peer.pid, uid: caller.peer.uid, gid: caller.peer.gid };
      const reply = await this.request(host, { op: "call", method, params, call: { id: call.id, time: call.time, peer } });
      if ("outcome" in reply) return reply.outcome;
      throw new Error(`the Augeas host could not handle ${method}`);
    } catch (e) {
      caller.closeAfterThisReply();
      throw e;
    } finally {
      caller.hungUp.removeEventListener("abort", hungUp);
    }
  }

  private reset(): void {
    if (this.closed) return;
    this.resetDue = false;
    this.touched = false;
    const host = this.live();
    this.loaded = this.request(host, { op: "reset" }).then(
      (reply) => void ("files" in reply && (this.files = reply.files)),
      (e: unknown) => this.logger.warn(`the Augeas host could not reload the files: ${(e as Error).message}`),
    );
  }

  private async loadPolicy(host: Host): Promise<void> {
    if (!this.section) return;
    try {
      const reply = await this.request(host, { op: "policy", root: this.root, section: this.section, limits: this.limits, history: this.history, tagKey: this.tagKey });
      if ("files" in reply) this.files = reply.files;
    } catch (e) {
      this.logger.error(`the Augeas host could not load the policy's files: ${(e as Error).message}`);
    }
  }

  /** The running host, started (and given the current policy) if there is none. */
  private live(): Host {
    if (this.host) return this.host;
    if (this.closed) throw new Fault("busy", "machinad is stopping", {});
    const { child, withoutPrlimit } = takeHostProcess();
    if (withoutPrlimit && !warnedNoPrlimit) {
      warnedNoPrlimit = true;
      this.logger.warn(`prlimit(1) not found: the Augeas host's memory is bounded only by its ${HOST_HEAP_MB} MiB heap limit`);
    }
    const channel = child.stdio[3] as net.Socket;
    const host: Host = { process: child, channel, waiting: new Map() };
    this.host = host;
    let buffered = "";
    channel.setEncoding("utf8");
    channel.on("data", (chunk: string) => {
      buffered += chunk;
      let start = 0;
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n", start)) {
        this.received(host, JSON.parse(buffered.slice(start, end)) as HostReply | HostLogLine);
        start = end + 1;
      }
      buffered = buffered.slice(start);
    });
    channel.on("error", () => undefined);
    child.on("error", (e) => this.logger.error("cannot start the Augeas host", e));
    child.on("exit", (code, signal) => {
      if (this.host === host) {
        this.host = undefined;
        this.logger.error(`the Augeas host stopped (${signal ?? `exit code ${code}`}); a new one starts with the next request`);
      }
      this.kill(host, new Error(`the Augeas host stopped (${signal ?? `exit code ${code}`}) during the call`));
    });
    // A new host starts from the policy; requests sent after this one wait for it.
    if (this.section) this.loaded = this.loadPolicy(host);
    return host;
  }

  private received(host: Host, message: HostReply | HostLogLine): void {
    if ("log" in message) {
      this.logger[message.log.level](`augeas host: ${message.log.message}`);
      return;
    }
    const waiting = host.waiting.get(message.id);
    if (!waiting) return;
    host.waiting.delete(message.id);
    clearTimeout(waiting.timer);
    waiting.resolve(message);
    this.armNext(host);
  }

  /**
   * Sends a request. Its time limit runs from when the host starts on it (the
   * host answers in order): a call's is --call-timeout, and one that saves
   * may also take every validator's timeout; loading the files (the daemon's
   * own work, its size the administrator's choice) gets LOAD_TIME_LIMIT_MS.
   */
  private request(host: Host, request: Request): Promise<HostReply> {
    const id = this.nextId++;
    const what = request.op === "call" ? request.method : `${request.op} request`;
    const validators = request.op === "call" && WRITES_FILES.has(request.method) && this.section ? validatorAllowanceMs(this.section) : 0;
    const limitMs = request.op === "call" ? this.timeLimitMs + validators : Math.max(this.timeLimitMs, LOAD_TIME_LIMIT_MS);
    return new Promise<HostReply>((resolve, reject) => {
      host.waiting.set(id, { resolve, reject, what, limitMs, isCall: request.op === "call" });
      host.channel.write(JSON.stringify({ ...request, id }) + "\n");
      this.armNext(host);
    });
  }

  /** Starts the time limit of the request the host is working on (the oldest unanswered one). */
  private armNext(host: Host): void {
    const first = host.waiting.values().next();
    if (first.done || first.value.timer) return;
    const waiting = first.value;
    waiting.timer = setTimeout(() => {
      if (this.host === host) this.restart(`${waiting.what} ran past ${waiting.limitMs} ms`);
      waiting.reject(new TimeoutFault(waiting.limitMs));
    }, waiting.limitMs);
    waiting.timer.unref();
  }

  /** Kills the host (its pending edits with it) and starts a new one, which reloads the files from disk. */
  private restart(why: string, startAnother = true): void {
    const host = this.host;
    if (!host) return;
    this.logger.warn(`killing the Augeas host: ${why}; the session's pending edits are lost`);
    this.host = undefined;
    this.kill(host, new TimeoutFault(this.timeLimitMs, `the call was ended: ${why}`));
    if (startAnother && !this.closed) this.live();
  }

  /** Ends a host's process and rejects what waits on it. */
  private kill(host: Host, error: Error): void {
    host.process.kill("SIGKILL");
    host.channel.destroy();
    for (const [id, waiting] of host.waiting) {
      clearTimeout(waiting.timer);
      host.waiting.delete(id);
      waiting.reject(error);
    }
  }
}

/** A host fault as the daemon throws it: a Fault keeps its kind; `internal` was logged by the host. */
export function faultFromHost(fault: HostFault): Error {
  if (!("message" in fault)) return new Error("the Augeas host failed; its log line above has the details");
  return new Fault(fault.kind, fault.message, fault.fields);
}
