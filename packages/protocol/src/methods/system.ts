/**
 * System settings (`system.*`): the timezone.
 *
 * Zone names are checked against the system's tz database (the `Z` and `L`
 * entries of `/usr/share/zoneinfo/tzdata.zi`, or `zone1970.tab`/`zone.tab`
 * when it is missing) as whole strings — never joined onto a path first — so
 * `../../etc/passwd` is just a name that is not in the list.
 *
 * With systemd running (and `--root /`), `timedatectl` does the work;
 * otherwise the daemon updates `/etc/timezone` and the `/etc/localtime`
 * symlink under `--root`, each by writing a new file and renaming it into
 * place (atomic: a reader sees the old zone or the new one, never a mix).
 */
import { Type } from "@sinclair/typebox";
import { ZONE_NAME_PATTERN } from "../names.js";
import { defineMethod } from "../method-spec.js";

/** A zone name as the tz database spells it. */
export const ZoneName = Type.String({
  description: "A tz database zone name, e.g. `Europe/Berlin`, `America/Argentina/Buenos_Aires` or `UTC`.",
  pattern: ZONE_NAME_PATTERN,
  minLength: 1,
  maxLength: 128,
});

export const systemGetTimezone = defineMethod({
  name: "system.getTimezone",
  summary: "The system's timezone.",
  description:
    "Answers the configured zone: timedatectl's `Timezone` when systemd runs, otherwise `/etc/timezone` under " +
    "`--root`, or the zone `/etc/localtime` links to. Null when none is configured (the C library then uses " +
    "UTC). Needs a `[timezone]` table in the policy.",
  params: Type.Object({}, { additionalProperties: false }),
  result: Type.Object({ zone: Type.Union([Type.String(), Type.Null()], { description: "The zone name, or null." }) }),
  capability: "timezone.read",
});

export const systemSetTimezone = defineMethod({
  name: "system.setTimezone",
  summary: "Set the system's timezone to one of the tz database's zones.",
  description:
    "Sets the zone (see the namespace notes for how). Needs `set = true` in the policy's `[timezone]` (else " +
    "`policy-denied`). A ZONE that is not a zone of this system's tz database is `invalid-params` (`param`: " +
    "`/zone`) and changes nothing. `backend-failed` when timedatectl fails or `/etc` under the root is not a " +
    "plain directory inside it. Answers the zone now set and the one before.",
  params: Type.Object({ zone: ZoneName }, { additionalProperties: false }),
  result: Type.Object({
    zone: Type.String({ description: "The zone now configured." }),
    previous: Type.Union([Type.String(), Type.Null()], { description: "The zone configured before, or null." }),
  }),
  capability: "timezone.write",
  mutates: true,
});
