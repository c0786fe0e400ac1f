/**
 * What a service backend is: the init-script runner and the systemd client
 * both answer the protocol's status model and report failures as Faults with
 * the protocol's error kinds.
 */
import type { ServiceLogLine, ServiceStatus } from "@machina/protocol";

/** The actions that change whether a service runs now. */
export type ServiceChange = "start" | "stop" | "restart" | "reload";

export type ServiceBackendKind = "initd" | "systemd" | "supervisor";

/** How the policy entry asks for a change to be made (backends ignore what does not apply to them). */
export interface ChangeOptions {
  /** The signal a supervisord reload sends (`HUP`, `USR2`, …). */
  reloadSignal?: string;
}

/** What `service.log` asks of a log: the last `lines`, or at most `lines` after `cursor`. */
export interface LogRequest {
  lines: number;
  /** A cursor this same kind of log answered before; invalid ones are `invalid-params` (param /cursor). */
  cursor?: string;
  /** Read right after a failure: first make sure what the service has logged so far is readable (journald: --sync). */
  flush?: boolean;
}

/** A stretch of a log, oldest line first, bounded by SERVICE_LOG_MAX_LINES and SERVICE_LOG_MAX_BYTES. */
export interface LogExcerpt {
  /** Where it comes from, for the client: `journal`, a log file's path as the policy names it. */
  source: string;
  lines: ServiceLogLine[];
  /** Where the excerpt ends (opaque to the client); absent when the log has no lines at all. */
  cursor?: string;
  /** Lines after `cursor` exist already. */
  more: boolean;
}

export interface ServiceBackend {
  readonly kind: ServiceBackendKind;
  /**
   * The canonical name for a client's (or the policy's) name, or undefined
   * when it is not a valid name for this backend. Pure: no I/O.
   */
  canonicalName(name: string): string | undefined;
  /** The status of a canonical name; throws a `not-found` Fault when there is no such service. */
  status(name: string): Promise<ServiceStatus>;
  /** Performs the action and answers the status afterwards. */
  change(action: ServiceChange, name: string, options?: ChangeOptions): Promise<ServiceStatus>;
  /**
   * Makes the service start at boot, or not, and answers the status
   * afterwards. A backend that cannot (supervisord: a program's `autostart`
   * lives in its configuration file) leaves it out, and the call is refused
   * as `backend-failed` naming the backend — or implements it to throw its
   * own reason.
   */
  setEnabled?(name: string, enabled: boolean): Promise<ServiceStatus>;
  /**
   * The backend's own log of a service (systemd: the unit's journal;
   * supervisord: the program's stdout log). Absent when the backend keeps
   * none (init scripts): the policy must then name a log file. Used only
   * when the policy's entry names no `log` file.
   */
  log?(name: string, request: LogRequest): Promise<LogExcerpt>;
  /** Canonical names of the services that exist (for expanding policy patterns). */
  existing(): Promise<string[]>;
  /** Releases connections (the D-Bus connection); the backend may be used again afterwards. */
  close(): void;
}
