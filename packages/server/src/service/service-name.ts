/**
 * Service names, validated before any filesystem or process call. A client's
 * name is never a path: it is either a systemd unit name (systemd's own
 * unit-name rules, restricted to `.service` units) or an init script's name (a
 * strict pattern with no `/`, no leading `.` or `-`). Both backends answer the
 * canonical name the policy is matched against, so `nginx` and `nginx.service`
 * are one service under systemd and cannot be used to slip past a rule.
 */

/** systemd's UNIT_NAME_MAX is 256 including the terminating NUL. */
const UNIT_NAME_MAX = 255;

/**
 * systemd's VALID_CHARS (`[A-Za-z0-9:_.\\-]`) for the prefix, the same plus `@`
 * for a template instance, which must not be empty (a template itself cannot be
 * started). A leading `-` or `.` is refused on top of systemd's rules: no unit a
 * panel manages looks like an option or a hidden file.
 */
const SERVICE_UNIT = /^(?![-.])[A-Za-z0-9:_.\\-]+(?:@[A-Za-z0-9:_.\\@-]+)?\.service$/;

/** Unit types other than services: a name ending in one is not a service, not a name to suffix. */
const OTHER_UNIT_SUFFIX = /\.(?:socket|target|device|mount|automount|swap|timer|path|slice|scope)$/;

/**
 * Debian init script names: letters, digits, `_ . + -`, starting with a letter,
 * digit or `_` (so never `.`, `..` or an option), at most 128 characters.
 */
const INIT_SCRIPT = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$/;

/**
 * The canonical unit name for `name` (`nginx` → `nginx.service`), or undefined
 * when it is not a valid service unit name. Like `systemctl`, a name without a
 * unit suffix gets `.service`.
 */
export function systemdUnitName(name: string): string | undefined {
  if (OTHER_UNIT_SUFFIX.test(name)) return undefined;
  const unit = name.endsWith(".service") ? name : `${name}.service`;
  if (unit.length > UNIT_NAME_MAX || !SERVICE_UNIT.test(unit)) return undefined;
  return unit;
}

/** `name` when it is a valid init script name, else undefined. */
export function initScriptName(name: string): string | undefined {
  return INIT_SCRIPT.test(name) ? name : undefined;
}
