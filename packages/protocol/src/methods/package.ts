/**
 * Packages (`package.*`): query, install and remove the Debian packages the
 * policy's `[package]` table names, and refresh apt's package lists.
 *
 * Names must be Debian package names (lower-case letters, digits, `+ . -`,
 * starting with a letter or digit) — so options (`-o…`), versions
 * (`hello=1.0`), releases (`hello/unstable`) and globs can never reach apt —
 * and must be listed in the policy: `install` for `package.install`, `remove`
 * for `package.remove`, either for `package.status`. The daemon never removes
 * or upgrades its own package (machinad's `--self-package`, default
 * `machina`), whatever the policy says, and refuses an install or removal
 * whose simulation (`apt-get -s`) would remove, or upgrade, anything else than
 * what was asked (for example the packages that depend on the one removed).
 *
 * apt runs with an argument vector (no shell), `--` before the name, a cleared
 * environment (`DEBIAN_FRONTEND=noninteractive`, `LC_ALL=C`, a fixed `PATH`),
 * dpkg's lock timeout at 0 and a generous time limit (machinad's
 * `--package-timeout`). While it works, the call streams `progress`
 * notifications (see the Progress section of the README) parsed from apt's
 * `APT::Status-Fd`.
 *
 * Errors, besides `invalid-params` for a malformed name and `policy-denied`:
 * `backend-failed` (`backend: "apt"`, `detail`: apt's error lines) when apt
 * fails — with `retryable: true` when the dpkg or apt lists lock is held by
 * another process (another apt, an unattended upgrade): try again later; and
 * `timeout` when apt did not finish within the limit (it is stopped).
 */
import { Type } from "@sinclair/typebox";
import { PACKAGE_NAME_PATTERN } from "../names.js";
import { defineMethod } from "../method-spec.js";

/** A Debian package name, the same rule the policy's `[package]` lists follow. */
export const PackageName = Type.String({
  description:
    "A Debian package name: lower-case letters, digits, `+`, `.` and `-`, starting with a letter or digit, e.g. `hello`. " +
    "No versions (`=`), releases (`/`), architectures (`:`) or options.",
  pattern: PACKAGE_NAME_PATTERN,
  minLength: 1,
  maxLength: 128,
});

/** A package's state, from dpkg-query and apt-cache. */
export const PackageStatus = Type.Object({
  name: Type.String({ description: "The package name." }),
  state: Type.String({
    description:
      "dpkg's status of the package: `installed`, `not-installed` (also when dpkg has never heard of it), " +
      "`config-files` (removed, configuration left), `half-installed`, `unpacked`, `half-configured`, " +
      "`triggers-awaited` or `triggers-pending`.",
  }),
  installed: Type.Union([Type.String(), Type.Null()], { description: "The installed version, or null when not installed." }),
  candidate: Type.Union([Type.String(), Type.Null()], {
    description: "The version apt would install (`apt-cache policy`), or null when no source offers one (try `package.update`).",
  }),
});

const NameParams = Type.Object({ name: PackageName }, { additionalProperties: false });

const ChangeResult = Type.Object({
  ...PackageStatus.properties,
  changed: Type.Boolean({ description: "False when there was nothing to do (already installed, or not installed)." }),
});

export const packageStatus = defineMethod({
  name: "package.status",
  summary: "The installed and candidate versions and dpkg state of one package.",
  description:
    "Answers what dpkg-query and apt-cache say about NAME. NAME must be listed in the policy's `[package]` " +
    "`install` or `remove` list (else `policy-denied`). A package apt does not know is `not-installed` with " +
    "a null candidate. `backend-failed` when dpkg-query or apt-cache fail.",
  params: NameParams,
  result: PackageStatus,
  capability: "package.status",
});

export const packageInstall = defineMethod({
  name: "package.install",
  summary: "Install one package (and what it depends on) with apt-get; streams progress.",
  description:
    "Runs `apt-get install -y --no-install-recommends --no-remove -- NAME` after a simulation shows that it " +
    "neither removes nor upgrades machinad's own package. NAME must be in the policy's `[package] install` " +
    "list. Already installed: nothing is run and `changed` is false (an install never upgrades). Sends " +
    "`progress` notifications (`download`, `dpkg`) while apt works. Answers the package's status afterwards. " +
    "A held dpkg lock is `backend-failed` with `retryable: true`; a candidate missing from apt's lists is " +
    "`backend-failed` (call `package.update` first).",
  params: NameParams,
  result: ChangeResult,
  capability: "package.install",
  mutates: true,
});

export const packageRemove = defineMethod({
  name: "package.remove",
  summary: "Remove one package with apt-get (configuration files are kept); streams progress.",
  description:
    "Runs `apt-get remove -y -- NAME` after a simulation shows that it would remove NAME and nothing else " +
    "(packages that depend on it would go too: refused with `policy-denied`, naming them). NAME must be in " +
    "the policy's `[package] remove` list and must not be machinad's own package. Not installed: nothing is " +
    "run and `changed` is false. Sends `progress` notifications (`dpkg`). Answers the package's status afterwards.",
  params: NameParams,
  result: ChangeResult,
  capability: "package.remove",
  mutates: true,
});

export const packageUpdate = defineMethod({
  name: "package.update",
  summary: "Refresh apt's package lists (apt-get update); streams progress.",
  description:
    "Runs `apt-get update`. Needs `update = true` in the policy's `[package]`. Sends `progress` notifications " +
    "(`download`). Answers apt's warnings (a source that could not be fetched is a warning, not a failure). " +
    "A held lists lock is `backend-failed` with `retryable: true`.",
  params: Type.Object({}, { additionalProperties: false }),
  result: Type.Object({
    warnings: Type.Array(Type.String(), { description: "apt's `W:` lines, e.g. a repository that could not be reached." }),
  }),
  capability: "package.update",
  mutates: true,
});
