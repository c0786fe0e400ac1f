// Test support (not a test file): a temporary Augeas root holding small
// /etc/hosts and /etc/hostname fixtures, loaded the way the daemon loads
// policy files (no module autoload, one transform per file).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Augeas } from "augeas-node-bindings";

export const HOSTS = "127.0.0.1 localhost\n192.168.1.1 foo.example foo bar\n# comment here\n";
export const HOSTNAME = "myhost\n";

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
