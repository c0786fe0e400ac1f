/**
 * What this panel can offer, from the daemon's own discovery document
 * (`rpc.discover`): the methods the policy allows and, from their `x-policy`
 * entries, the files it names. Pages and navigation follow it, so a policy
 * without service control shows no Services page — but the daemon stays the
 * judge of each call, and its refusals are shown as they come.
 */
import { METHOD_NAMES } from "@machina/client";
import type { DaemonLink } from "./daemon-link.js";

export interface FeatureSet {
  /** The daemon's name and version, from the handshake. */
  readonly server: string;
  /** Methods the policy allows (and this client knows). */
  readonly methods: ReadonlySet<string>;
  /** Files the policy loads (paths below the daemon's root), and those it lets us write. */
  readonly readable: ReadonlySet<string>;
  readonly writable: ReadonlySet<string>;
}

/** How long a discovery document is reused before asking again. */
const TTL_MS = 5000;

function filePaths(xPolicy: unknown): string[] {
  const files = (xPolicy as { files?: unknown } | undefined)?.files;
  if (!Array.isArray(files)) return [];
  return files.flatMap((f) => (typeof (f as { path?: unknown }).path === "string" ? [(f as { path: string }).path] : []));
}

export class Features {
  #cached: { at: number; value: FeatureSet } | undefined;

  constructor(private readonly link: DaemonLink) {}

  /** The current feature set; rejects with the daemon's error when it cannot be reached. */
  async get(): Promise<FeatureSet> {
    if (this.#cached && Date.now() - this.#cached.at < TTL_MS) return this.#cached.value;
    const value = await this.link.use(async (m) => {
      const doc = await m.discover();
      const known = new Set<string>(METHOD_NAMES);
      const byName = new Map(doc.methods.map((entry) => [entry.name, entry as { name: string; "x-policy"?: unknown }]));
      return {
        server: m.server.name,
        methods: new Set(doc.methods.map((entry) => entry.name).filter((name) => known.has(name))),
        readable: new Set(filePaths(byName.get("augeas.get")?.["x-policy"])),
        writable: new Set(filePaths(byName.get("augeas.apply")?.["x-policy"])),
      };
    });
    this.#cached = { at: Date.now(), value };
    return value;
  }

  /** Forget the cached document (after a refusal that may mean the policy changed). */
  invalidate(): void {
    this.#cached = undefined;
  }
}

/** Pages the navigation offers for a feature set. */
export function availablePages(f: FeatureSet): { services: boolean; hosts: boolean; hostname: boolean; packages: boolean } {
  return {
    services: f.methods.has("service.list"),
    hosts: f.readable.has("/etc/hosts"),
    hostname: f.readable.has("/etc/hostname"),
    packages: f.methods.has("package.install"),
  };
}
