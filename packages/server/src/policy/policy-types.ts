/*
 * The validated policy. Every field is filled in (defaults applied) so that
 * consumers never have to guess what an absent key means: absent sections
 * grant nothing.
 */
import type { NodePattern } from "./node-pattern.js";

export type ServiceAction = "status" | "start" | "stop" | "restart" | "reload";
export const SERVICE_ACTIONS: readonly ServiceAction[] = ["status", "start", "stop", "restart", "reload"];

export interface Policy {
  version: 1;
  /** The file the policy came from (or the name given to parsePolicy). */
  source: string;
  /**
   * Who may connect besides root (SO_PEERCRED), by name or id. Both lists
   * empty means any local user: the table has to be written out to say so
   * (a policy without `[clients]` is refused), and checkPolicy warns.
   */
  clients: { users: (string | number)[]; groups: (string | number)[] };
  files: FileRule[];
  services: ServiceRule[];
  packages: { install: string[]; remove: string[]; update: boolean };
  /** `[timezone]` present: get allowed; `set = true`: set allowed too. */
  timezone: { get: boolean; set: boolean };
  commands: CommandRule[];
}

export interface FileRule {
  /** Absolute, normalised, relative to --root: `/etc/hosts`. */
  path: string;
  /** The file's node in the Augeas tree: `/files/etc/hosts` (labels escaped as libaugeas writes them). */
  node: string;
  /** Decoded labels of `node`: ["files", "etc", "hosts"]. */
  nodeLabels: string[];
  /** `Hosts.lns` form; undefined: the file's default lens, found at start-up. */
  lens?: string;
  read: NodePattern[];
  write: NodePattern[];
}

export interface ServiceRule {
  /** Exactly one of name and pattern is set. */
  name?: string;
  /** Anchored; compiled as ^(?:…)$ so alternation cannot escape the anchors. */
  pattern?: RegExp;
  actions: ServiceAction[];
}

export interface CommandRule {
  name: string;
  /** Absolute path of the program. */
  path: string;
  /** One entry per argument position: the allowed choices, or an anchored regex. */
  args: (string[] | RegExp)[];
  /** Names of environment variables passed through from the daemon's environment. */
  env: string[];
  /** Seconds. */
  timeout: number;
  user?: string;
  stdin?: boolean;
  /** Bytes of stdout+stderr kept. */
  maxOutput?: number;
}
