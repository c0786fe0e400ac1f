/**
 * Default locations and the environment variables that override them. Both
 * `machinad` and `machina` read these, so they live here.
 */

/** Where `machinad` listens and `machina` connects, unless told otherwise. */
export const DEFAULT_SOCKET = "/run/machina/machina.sock";
/** The policy `machinad` loads by default. */
export const DEFAULT_POLICY = "/etc/machina/policy.toml";
/** The shared secret both ends read by default (one line: base64 of 32 bytes). */
export const DEFAULT_SECRET_FILE = "/etc/machina/secret";

/** Overrides the socket path for both CLIs. */
export const ENV_SOCKET = "MACHINA_SOCKET";
/** Overrides the secret file for both CLIs. */
export const ENV_SECRET_FILE = "MACHINA_SECRET_FILE";
/** Overrides the policy file for `machinad`. */
export const ENV_POLICY = "MACHINA_POLICY";
/** Name of the systemd credential holding the secret (`$CREDENTIALS_DIRECTORY/machina-secret`). */
export const CREDENTIAL_NAME = "machina-secret";
