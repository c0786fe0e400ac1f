// Test support (not a test file): a temporary Augeas root holding small
// /etc/hosts and /etc/hostname fixtures, loaded the way the daemon loads
// policy files (no module autoload, one transform per file).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Augeas } from "augeas-node-bindings";

export const HOSTS = "127.0.0.1 localhost\n192.168.1.1 foo.example foo bar\n# comment here\n";
export const HOSTNAME = "myhost\n";

/** A policy letting a client write everything of both files (tests of limits and races, not of the policy). */
export const WRITE_BOTH_POLICY = `version = 1
[clients]
users = ["root"]
[[augeas.file]]
path = "/etc/hosts"
lens = "Hosts"
write = ["**"]
[[augeas.file]]
path = "/etc/hostname"
lens = "Hostname"
write = ["**"]
`;

export interface TreeSandbox {
  root: string;
  aug: Augeas;
  close(): void;
}

export function openSandbox(files: Record<string, string> = { "/etc/hosts": HOSTS, "/etc/hostname": HOSTNAME }): TreeSandbox {
  const root = mkdtempSync(join(tmpdir(), "machina-policy-"));
  mkdirSync(join(root, "etc"), { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(root, file), text);
  const aug = new Augeas({ root, noModuleAutoload: true, noLoad: true });
  aug.transform("Hosts.lns", "/etc/hosts");
  aug.transform("Hostname.lns", "/etc/hostname");
  aug.load();
  return {
    root,
    aug,
    close() {
      aug.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
