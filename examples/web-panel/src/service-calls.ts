/** The service-control calls the Services page makes, and the status model they answer. */
import type { MachinaClient, ResultOf } from "@machina/client";

/** The buttons the page can show, in display order (`status` needs none: it is the page itself). */
export const SERVICE_ACTIONS = ["start", "stop", "restart", "reload"] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

export function isServiceAction(value: string): value is ServiceAction {
  return (SERVICE_ACTIONS as readonly string[]).includes(value);
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

export function runServiceAction(m: MachinaClient, action: ServiceAction, name: string): Promise<ServiceStatus> {
  return m.service[action]({ name });
}
