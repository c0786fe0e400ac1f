/**
 * /etc/hosts through Augeas' Hosts lens: reading the entries, checking what a
 * user typed, and turning an add / edit / delete into `augeas.apply` changes.
 *
 * The tree is `/files/etc/hosts/N/{ipaddr, canonical, alias…}`, one numbered
 * node per entry. New aliases go right after the last alias, where the lens
 * expects them.
 */
import { isIP } from "node:net";
import { augeasValueText, type AugeasChange, type MachinaClient } from "@machina/client";

export const HOSTS = "/files/etc/hosts";

export interface HostEntry {
  /** The entry's node label (its number in the tree). */
  readonly label: string;
  readonly ipaddr: string;
  readonly canonical: string;
  readonly aliases: readonly string[];
}

/** What the add / edit form holds, as typed. */
export interface HostForm {
  ipaddr: string;
  canonical: string;
  aliases: string;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
export const ENTRY_LABEL = /^[1-9][0-9]{0,5}$/;

export function isHostname(name: string): boolean {
  return HOSTNAME.test(name);
}

export async function readHosts(m: MachinaClient): Promise<HostEntry[]> {
  const { paths } = await m.augeas.match({ path: `${HOSTS}/*` });
  const labels = paths.map((p) => p.slice(HOSTS.length + 1)).filter((label) => ENTRY_LABEL.test(label));
  // Pipelined: the daemon answers in order, the client matches answers by id.
  return Promise.all(labels.map((label) => readEntry(m, label)));
}

export async function readEntry(m: MachinaClient, label: string): Promise<HostEntry> {
  const base = `${HOSTS}/${label}`;
  const [ip, canonical, aliasPaths] = await Promise.all([
    m.augeas.get({ path: `${base}/ipaddr` }),
    m.augeas.get({ path: `${base}/canonical` }),
    m.augeas.match({ path: `${base}/alias` }),
  ]);
  const aliases = await Promise.all(aliasPaths.paths.map((p) => m.augeas.get({ path: p })));
  // Shown as text; a value that is not UTF-8 shows U+FFFD, and is only written back if the form changes it.
  const text = (v: Parameters<typeof augeasValueText>[0]) => augeasValueText(v) ?? "";
  return { label, ipaddr: text(ip.value), canonical: text(canonical.value), aliases: aliases.map((a) => text(a.value)) };
}

/** Splits the aliases field (blanks or commas between names). */
export function parseAliases(text: string): string[] {
  return text.split(/[\s,]+/).filter((a) => a !== "");
}

/** The problems with a typed entry, in words (empty when it is fine). */
export function checkHostForm(form: HostForm): string[] {
  const problems: string[] = [];
  if (isIP(form.ipaddr) === 0) problems.push(`“${form.ipaddr}” is not an IPv4 or IPv6 address`);
  if (!isHostname(form.canonical)) problems.push(`“${form.canonical}” is not a valid host name`);
  for (const alias of parseAliases(form.aliases)) if (!isHostname(alias)) problems.push(`alias “${alias}” is not a valid host name`);
  return problems;
}

/**
 * Appends aliases to an entry that has `existing` of them. Only an unqualified
 * step can create a node (a path with a predicate must already match), so the
 * first alias of an entry is created by `set …/alias`, and each further one is
 * inserted after the last and then set.
 */
function appendAliases(base: string, existing: number, aliases: readonly string[]): AugeasChange[] {
  return aliases.flatMap((alias, i): AugeasChange[] =>
    existing + i === 0
      ? [{ op: "set", path: `${base}/alias`, value: alias }]
      : [
          { op: "insert", path: `${base}/alias[last()]`, label: "alias", before: false },
          { op: "set", path: `${base}/alias[last()]`, value: alias },
        ],
  );
}

/** A new entry, numbered after the highest existing one. */
export function addEntryChanges(existing: readonly HostEntry[], form: HostForm): AugeasChange[] {
  const label = String(existing.reduce((max, e) => Math.max(max, Number(e.label)), 0) + 1);
  const base = `${HOSTS}/${label}`;
  return [
    { op: "set", path: `${base}/ipaddr`, value: form.ipaddr },
    { op: "set", path: `${base}/canonical`, value: form.canonical },
    ...appendAliases(base, 0, parseAliases(form.aliases)),
  ];
}

/** Only what differs: changed values set in place, surplus aliases removed, new ones inserted after the last. */
export function editEntryChanges(entry: HostEntry, form: HostForm): AugeasChange[] {
  const base = `${HOSTS}/${entry.label}`;
  const changes: AugeasChange[] = [];
  if (form.ipaddr !== entry.ipaddr) changes.push({ op: "set", path: `${base}/ipaddr`, value: form.ipaddr });
  if (form.canonical !== entry.canonical) changes.push({ op: "set", path: `${base}/canonical`, value: form.canonical });
  const wanted = parseAliases(form.aliases);
  const common = Math.min(wanted.length, entry.aliases.length);
  for (let i = 0; i < common; i++) {
    if (wanted[i] !== entry.aliases[i]) changes.push({ op: "set", path: `${base}/alias[${i + 1}]`, value: wanted[i]! });
  }
  // Surplus aliases, last first, so the positions of the ones before stay valid.
  for (let i = entry.aliases.length; i > wanted.length; i--) changes.push({ op: "remove", path: `${base}/alias[${i}]` });
  changes.push(...appendAliases(base, entry.aliases.length, wanted.slice(entry.aliases.length)));
  return changes;
}

export function deleteEntryChanges(entry: HostEntry): AugeasChange[] {
  return [{ op: "remove", path: `${HOSTS}/${entry.label}` }];
}
