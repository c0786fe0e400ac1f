/**
 * The `system.*` handlers (the timezone). The capability check has already
 * required `[timezone]` (get) or `set = true` (set); the zone is looked up in
 * the tz database as a whole name before anything touches a path.
 */
import { InvalidParamsFault } from "../faults.js";
import type { Handler } from "../rpc/handler-types.js";
import type { TimezoneBackend } from "../timezone/timezone-backend.js";
import { loadZoneNames } from "../timezone/zone-database.js";

export interface SystemHandlerDeps {
  timezone: TimezoneBackend;
  /** The tz database's zone names (default: read from /usr/share/zoneinfo on each set). */
  zoneNames?(): ReadonlySet<string>;
}

type SystemHandlers = { [M in "system.getTimezone" | "system.setTimezone"]: Handler<M> };

export function systemHandlers(deps: SystemHandlerDeps): SystemHandlers {
  const zoneNames = deps.zoneNames ?? (() => loadZoneNames());
  return {
    "system.getTimezone": async () => ({ zone: await deps.timezone.get() }),
    "system.setTimezone": async ({ zone }) => {
      if (!zoneNames().has(zone)) {
        throw new InvalidParamsFault(`${JSON.stringify(zone)} is not a zone of this system's tz database`, { param: "/zone" });
      }
      const previous = await deps.timezone.get();
      await deps.timezone.set(zone);
      return { zone, previous };
    },
  };
}
