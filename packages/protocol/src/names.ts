/**
 * The name rules shared by the wire schemas and the daemon's policy loader,
 * written once: a name the policy may list is exactly a name a client may send.
 * Each is an anchored regular-expression source (JSON Schema `pattern` text).
 */

/** A Debian package name: `hello`, `libfoo2`, `g++`; no versions, releases, architectures or options. */
export const PACKAGE_NAME_PATTERN = "^[a-z0-9][a-z0-9+.-]{0,127}$";

/** The `name` of a `[[command]]` entry: letters, digits, `_`, `.` and `-`, starting with a letter or digit. */
export const COMMAND_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$";

/** An environment variable name. */
export const ENV_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]{0,127}$";

/** A tz database zone name: `Europe/Berlin`, `UTC`. */
export const ZONE_NAME_PATTERN = "^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$";

/**
 * A service name as the policy may list it (exact `name = …`): a systemd unit
 * name or an init script name. The daemon then applies the stricter rules of
 * its backend to what a client sends.
 */
export const SERVICE_NAME_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_@.:+-]{0,254}$";

/** A user or group name (for `[clients]` and a command's `user`). */
export const USER_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?$";
