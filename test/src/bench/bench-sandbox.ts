/**
 * The tree every scenario works on: the integration tests' sandbox (fixture
 * files copied below a temporary root) with a policy naming only /etc/hosts,
 * so the daemon's tree, the binding's and the C program's hold the same one
 * file, loaded with the same lens.
 */
import { Sandbox } from "../harness/sandbox.js";

export const HOSTS_FILE = "/etc/hosts";
export const HOSTS_LENS = "Hosts.lns";
/** The node every `get` scenario reads. */
export const GET_PATH = "/files/etc/hosts/1/ipaddr";
/** The nodes binding.match matches. */
export const MATCH_PATH = "/files/etc/hosts/*/ipaddr";
/** The node broker.setsave.rtt changes (a one-line change of /etc/hosts). */
export const SET_PATH = "/files/etc/hosts/2/alias";

export const BENCH_POLICY = `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "${HOSTS_FILE}"
lens = "${HOSTS_LENS}"
read = ["**"]
write = ["*", "*/ipaddr", "*/canonical", "*/alias"]
`;

export function benchSandbox(): Sandbox {
  return Sandbox.create({ policy: BENCH_POLICY });
}
