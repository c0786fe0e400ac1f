/**
 * The `timezone` capability module: `[timezone]`, the `timezone.read` and
 * `timezone.write` capabilities, and the methods `system.getTimezone` /
 * `system.setTimezone` (their wire names are part of the stable protocol).
 * `authorise` checks the zone against the tz database as a whole name
 * before anything touches a path.
 */
import { allow, defineModule, methodsOf, type ModuleStartContext } from "../capability/capability-module.js";
import { InvalidParamsFault } from "../faults.js";
import { chooseTimezoneBackend } from "./choose-timezone-backend.js";
import type { TimezoneBackend } from "./timezone-backend.js";
import { explainTimezoneSection, parseTimezoneSection, type TimezoneSection } from "./timezone-section.js";
import { loadZoneNames } from "./zone-database.js";

export class TimezoneRuntime {
  constructor(
    readonly backend: TimezoneBackend,
    /** The tz database's zone names (read from /usr/share/zoneinfo on each set, so a tzdata update is seen). */
    readonly zoneNames: () => ReadonlySet<string> = () => loadZoneNames(),
  ) {}
}

const on = methodsOf<TimezoneSection, TimezoneRuntime>();

const describeAccess = (s: TimezoneSection) => ({ timezone: s.set ? "read and set" : "read" });

export const timezoneModule = defineModule({
  name: "timezone",
  tomlKeys: ["timezone"],
  parse: (doc, v): TimezoneSection => parseTimezoneSection(doc, v),
  explain: (section: TimezoneSection) => explainTimezoneSection(section),
  capabilities: {
    "timezone.read": { granted: (s) => s.get, resources: describeAccess },
    "timezone.write": { granted: (s) => s.set, resources: describeAccess },
  },
  start: (ctx: ModuleStartContext) => new TimezoneRuntime(chooseTimezoneBackend(ctx.root, ctx.logger)),
  methods: [
    on({
      method: "system.getTimezone",
      targets: () => [],
      // Reading the zone needs nothing beyond the capability ([timezone] present).
      authorise: () => allow(null),
      run: async (_grant, { runtime }) => ({ zone: await runtime.backend.get() }),
    }),
    on({
      method: "system.setTimezone",
      targets: ({ zone }) => [zone],
      // `set = true` (the capability) allows any zone of the tz database; anything else is not a zone at all.
      authorise: ({ zone }, { runtime }) => {
        if (!runtime.zoneNames().has(zone)) {
          throw new InvalidParamsFault(`${JSON.stringify(zone)} is not a zone of this system's tz database`, { param: "/zone" });
        }
        return allow(zone);
      },
      run: async ({ value: zone }, { runtime }) => {
        const previous = await runtime.backend.get();
        await runtime.backend.set(zone);
        return { zone, previous };
      },
    }),
  ],
});
