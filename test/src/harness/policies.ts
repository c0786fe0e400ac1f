/**
 * Policies the integration tests run the daemon with (TOML text, as an
 * administrator would write it).
 */

/**
 * The standard test policy:
 * - /etc/hosts: every node readable; entries, their ipaddr/canonical/alias writable;
 * - /etc/hostname: everything writable;
 * - /etc/ssh/sshd_config: only a few settings writable; the rest read-only;
 *   `AllowUsers`/`Ciphers`-style settings are not even readable except those listed;
 * - /etc/default/locale: read-only.
 * Anything else — other files, /augeas — is refused.
 */
export const STANDARD_POLICY = `version = 1

[clients]
users = ["root"]
groups = []

[[augeas.file]]
path = "/etc/hosts"
lens = "Hosts.lns"
read = ["**"]
write = ["*", "*/ipaddr", "*/canonical", "*/alias"]

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]

[[augeas.file]]
path = "/etc/ssh/sshd_config"
read = ["#comment", "Include", "Port", "PermitRootLogin", "PubkeyAuthentication", "PasswordAuthentication",
        "KbdInteractiveAuthentication", "UsePAM", "X11Forwarding", "PrintMotd", "AcceptEnv", "AcceptEnv/*",
        "ListenAddress", "MaxAuthTries"]
write = ["Port", "PermitRootLogin", "PasswordAuthentication", "ListenAddress", "X11Forwarding", "MaxAuthTries"]

[[augeas.file]]
path = "/etc/default/locale"
`;

/** A policy that does not parse as a valid policy (unknown version). */
export const INVALID_POLICY = `version = 99

[clients]
users = ["root"]
`;

/**
 * sshd_config with only `Port` readable and writable — every other node,
 * value, label and comment of it hidden — beside a wholly writable
 * /etc/hostname: the policy of the confidentiality tests.
 */
export const PORT_ONLY_POLICY = `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "/etc/ssh/sshd_config"
read = ["Port"]
write = ["Port"]

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]
`;
