/**
 * An independent statement of what STANDARD_POLICY allows, for the property
 * tests: written by hand from the policy text, sharing no code with the
 * daemon's policy engine, so a bug there cannot hide itself here.
 *
 * And an independent view of the files on disk: a separate libaugeas handle
 * that loads the sandbox's policy files with their lenses, flattened to
 * "label path (positions dropped) → values in document order", so that any
 * change a save made can be attributed to the node keys it touched.
 */
import { Augeas } from "augeas-node-bindings";

const HOSTS_WRITABLE_CHILDREN = new Set(["ipaddr", "canonical", "alias"]);
const SSHD_READABLE = new Set([
  "#comment",
  "Include",
  "Port",
  "PermitRootLogin",
  "PubkeyAuthentication",
  "PasswordAuthentication",
  "KbdInteractiveAuthentication",
  "UsePAM",
  "X11Forwarding",
  "PrintMotd",
  "AcceptEnv",
  "ListenAddress",
  "MaxAuthTries",
]);
const SSHD_WRITABLE = new Set(["Port", "PermitRootLogin", "PasswordAuthentication", "ListenAddress", "X11Forwarding", "MaxAuthTries"]);

const under = (labels: readonly string[], prefix: readonly string[]): string[] | undefined =>
  labels.length >= prefix.length && prefix.every((l, i) => labels[i] === l) ? labels.slice(prefix.length) : undefined;

/** Whether STANDARD_POLICY lets a client read the node with these labels (positions dropped). */
export function oracleReadable(labels: readonly string[]): boolean {
  if (under(labels, ["files", "etc", "hosts"])) return true;
  if (under(labels, ["files", "etc", "hostname"])) return true;
  if (under(labels, ["files", "etc", "default", "locale"])) return true;
  const sshd = under(labels, ["files", "etc", "ssh", "sshd_config"]);
  if (sshd) return (sshd.length === 1 && SSHD_READABLE.has(sshd[0]!)) || (sshd.length === 2 && sshd[0] === "AcceptEnv");
  return false;
}

/** Whether STANDARD_POLICY lets a client change, create or remove the node with these labels. */
export function oracleWritable(labels: readonly string[]): boolean {
  const hosts = under(labels, ["files", "etc", "hosts"]);
  if (hosts) return hosts.length === 1 || (hosts.length === 2 && HOSTS_WRITABLE_CHILDREN.has(hosts[1]!));
  if (under(labels, ["files", "etc", "hostname"])) return true;
  const sshd = under(labels, ["files", "etc", "ssh", "sshd_config"]);
  if (sshd) return sshd.length === 1 && SSHD_WRITABLE.has(sshd[0]!);
  return false;
}

/** Decoded labels of a node path as libaugeas prints it (`/files/etc/hosts/1/alias[2]`, `a\/b`), positions dropped. */
export function labelsOf(nodePath: string): string[] {
  const labels: string[] = [];
  let label = "";
  let escaped = "";
  const flush = () => {
    // A trailing [N] that was not escaped is a position.
    const m = /\[\d+\]$/.exec(escaped);
    labels.push(m ? label.slice(0, label.length - m[0].length) : label);
    label = "";
    escaped = "";
  };
  for (let i = 1; i < nodePath.length; i++) {
    const ch = nodePath[i]!;
    if (ch === "\\" && i + 1 < nodePath.length) {
      label += nodePath[i + 1]!;
      escaped += "\u0000";
      i++;
    } else if (ch === "/") flush();
    else {
      label += ch;
      escaped += ch;
    }
  }
  flush();
  return labels;
}

/** The writable policy files of STANDARD_POLICY with the lenses the daemon uses for them. */
const WRITABLE_FILES: [lens: string, file: string][] = [
  ["Hosts.lns", "/etc/hosts"],
  ["Hostname.lns", "/etc/hostname"],
  ["Sshd.lns", "/etc/ssh/sshd_config"],
];

export type FlatTree = Map<string, (string | null)[]>;

/** Loads the writable policy files under `root` with a fresh handle and flattens them. */
export function flatTree(root: string): FlatTree {
  const aug = new Augeas({ root, noModuleAutoload: true, noLoad: true });
  try {
    for (const [lens, file] of WRITABLE_FILES) aug.transform(lens, file);
    aug.load();
    const out: FlatTree = new Map();
    for (const p of aug.match("/files//*")) {
      const key = labelsOf(p).join("\u0001");
      const list = out.get(key) ?? [];
      list.push(aug.get(p) ?? null);
      out.set(key, list);
    }
    return out;
  } finally {
    aug.close();
  }
}

/** The node keys (as label lists) whose values, presence or count differ between two trees. */
export function changedKeys(a: FlatTree, b: FlatTree): string[][] {
  const out: string[][] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? [];
    const y = b.get(key) ?? [];
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) out.push(key.split("\u0001"));
  }
  return out;
}

/** Every node a path names on the files as they are on disk (an independent libaugeas handle); undefined if libaugeas rejects it. */
export function independentMatch(root: string, path: string): string[] | undefined {
  const aug = new Augeas({ root, noModuleAutoload: true, noLoad: true });
  try {
    for (const [lens, file] of [...WRITABLE_FILES, ["Shellvars.lns", "/etc/default/locale"] as [string, string]]) aug.transform(lens, file);
    aug.load();
    return aug.match(path);
  } catch {
    return undefined;
  } finally {
    aug.close();
  }
}
