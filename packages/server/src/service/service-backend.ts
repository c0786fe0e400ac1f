/**
 * What a service backend is: the init-script runner and the systemd client
 * both answer the protocol's status model and report failures as Faults with
 * the protocol's error kinds.
 */
import type { ServiceAction, ServiceStatus } from "@machina/protocol";

/** The actions that change a service (everything but `status`). */
export type ServiceChange = Exclude<ServiceAction, "status">;

export type ServiceBackendKind = "initd" | "systemd" | "supervisor";

/** How the policy entry asks for a change to be made (backends ignore what does not apply to them). */
export interface ChangeOptions {
  /** The signal a supervisord reload sends (`HUP`, `USR2`, …). */
  reloadSignal?: string;
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
  /** Canonical names of the services that exist (for expanding policy patterns). */
  existing(): Promise<string[]>;
  /** Releases connections (the D-Bus connection); the backend may be used again afterwards. */
  close(): void;
}
