/** The service-control calls the Services page makes, and the status model they answer. */
import type { MachinaClient, ResultOf } from "@machina/client";

/** The buttons the page can show, in display order (`status` needs none: it is the page itself). */
export const SERVICE_ACTIONS = ["start", "stop", "restart", "reload"] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/** Whether a service starts at boot: one toggle, shown only where the daemon can tell (`status.enabled`). */
export const BOOT_ACTIONS = ["enable", "disable"] as const;
export type BootAction = (typeof BOOT_ACTIONS)[number];

/** Everything the page's forms may post as `action`. */
export type PanelAction = ServiceAction | BootAction;

export function isPanelAction(value: string): value is PanelAction {
  return (SERVICE_ACTIONS as readonly string[]).includes(value) || (BOOT_ACTIONS as readonly string[]).includes(value);
}

/** machinad's status model for one service. */
export type ServiceStatus = ResultOf<"service.status">;

/** A service the policy names: its status and the actions the policy allows on it. */
export interface ServiceEntry {
  status: ServiceStatus;
  actions: readonly string[];
}

export async function listServices(m: MachinaClient): Promise<ServiceEntry[]> {
  return (await m.service.list()).services;
}

export function runServiceAction(m: MachinaClient, action: PanelAction, name: string): Promise<ServiceStatus> {
  return m.service[action]({ name });
}

/** One answer of `service.log`: lines (oldest first), where they come from, and the cursor to continue from. */
export type ServiceLog = ResultOf<"service.log">;
export type ServiceLogLine = ServiceLog["lines"][number];

/** How many lines a log drawer shows at once. */
export const LOG_LINES = 50;

/**
 * A cursor as the browser sent it back. The panel treats it as opaque: it
 * only checks the shape the protocol allows (1–512 characters; here printable
 * ASCII without spaces, which is what machinad's cursors are), and only ever
 * hands it back to `service.log` for the service whose drawer it came from.
 * There the daemon checks the policy for that service and the cursor itself
 * (a forged one is `invalid-params`, and can point at nothing but that log).
 */
export function isLogCursor(value: string): boolean {
  return /^[\x21-\x7e]{1,512}$/.test(value);
}

/** The last LOG_LINES lines of a service's log, or those logged after `cursor`. */
export function readServiceLog(m: MachinaClient, name: string, cursor?: string): Promise<ServiceLog> {
  return m.service.log({ name, lines: LOG_LINES, ...(cursor !== undefined ? { cursor } : {}) });
}
