/**
 * The `package` capability module: `[package]`, the `package.*` capabilities
 * and methods. `authorise` checks the name against the policy's lists (and
 * never lets machinad's own package change); apt-backend.ts does the work,
 * adds what only apt can tell (a removal that would take other packages with
 * it), and reports progress.
 */
import { allow, defineModule, methodsOf, refuse, type Decision, type ModuleStartContext } from "../capability/capability-module.js";
import { AptBackend } from "./apt-backend.js";
import { explainPackageSection, parsePackageSection, type PackageSection } from "./package-section.js";

/** apt-get may take this long for one install, removal or update: 30 minutes. */
export const DEFAULT_PACKAGE_TIMEOUT_MS = 30 * 60 * 1000;
/** The Debian package machinad ships in. */
export const DEFAULT_SELF_PACKAGE = "machina";
/** Time for the work around an apt-get run (simulation, status queries), on top of its own limit. */
const MARGIN_MS = 120_000;

export class PackageRuntime {
  constructor(
    readonly apt: AptBackend,
    /** The dispatcher's limit for install, remove and update: apt's own plus the margin. */
    readonly longCallMs: number,
  ) {}
}

const on = methodsOf<PackageSection, PackageRuntime>();

/** Install or remove: a name on the policy's list for it, never machinad's own package; apt gets its long time limit. */
function changeMethod(action: "install" | "remove") {
  return on({
    method: `package.${action}`,
    targets: ({ name }) => [name],
    authorise: ({ name }, { section, runtime }): Decision<string> => {
      if (name === runtime.apt.selfPackage) return refuse(name, `machinad never ${action === "install" ? "installs or upgrades" : "removes"} its own package`);
      if (!section[action].includes(name)) return refuse(name, `the policy's [package] ${action} list does not name this package`);
      return allow(name);
    },
    timeLimitMs: (_name, { runtime }) => runtime.longCallMs,
    run: async ({ value: name }, { runtime, progress }) => {
      const changed = await runtime.apt[action](name, progress);
      return { ...(await runtime.apt.status(name)), changed };
    },
  });
}

export const packageModule = defineModule({
  name: "package",
  tomlKeys: ["package"],
  parse: (doc, v): PackageSection => parsePackageSection(doc, v),
  explain: (section: PackageSection) => explainPackageSection(section),
  capabilities: {
    "package.status": {
      granted: (s) => s.install.length > 0 || s.remove.length > 0,
      resources: (s) => ({ packages: [...new Set([...s.install, ...s.remove])] }),
    },
    "package.install": { granted: (s) => s.install.length > 0, resources: (s) => ({ packages: s.install }) },
    "package.remove": { granted: (s) => s.remove.length > 0, resources: (s) => ({ packages: s.remove }) },
    "package.update": { granted: (s) => s.update, resources: (s) => ({ update: s.update }) },
  },
  start: (ctx: ModuleStartContext) => {
    const timeoutMs = ctx.options.packageTimeoutMs ?? DEFAULT_PACKAGE_TIMEOUT_MS;
    const apt = new AptBackend({ timeoutMs, selfPackage: ctx.options.selfPackage ?? DEFAULT_SELF_PACKAGE, logger: ctx.logger });
    return new PackageRuntime(apt, timeoutMs + MARGIN_MS);
  },
  methods: [
    on({
      method: "package.status",
      targets: ({ name }) => [name],
      authorise: ({ name }, { section }) =>
        section.install.includes(name) || section.remove.includes(name)
          ? allow(name)
          : refuse(name, "the policy's [package] install and remove lists do not name this package"),
      run: ({ value: name }, { runtime }) => runtime.apt.status(name),
    }),
    changeMethod("install"),
    changeMethod("remove"),
    on({
      method: "package.update",
      targets: () => [],
      // The capability (`update = true`) is the whole rule: there is no name to check.
      authorise: () => allow(null),
      timeLimitMs: (_grant, { runtime }) => runtime.longCallMs,
      run: async (_grant, { runtime, progress }) => ({ warnings: await runtime.apt.update(progress) }),
    }),
  ],
});
