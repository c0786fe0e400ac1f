/**
 * The `augeas` capability module: `[[augeas.file]]`, the `augeas.read` and
 * `augeas.write` capabilities, and the `augeas.*` methods. The methods run
 * in the Augeas host process (host/), where the policy engine authorises
 * each path on the nodes it resolves to and libaugeas is only ever given the
 * engine's canonical paths (augeas-methods.ts); the entries here forward a
 * call and turn the host's decision into the dispatcher's: refused, or
 * granted with the resolved targets and then a result or a fault.
 */
import type { ResultOf } from "@machina/protocol";
import { allow, defineModule, refuse, type MethodEntry, type ModuleStartContext } from "../capability/capability-module.js";
import { explainAugeasSection, parseAugeasSection, type AugeasSection } from "./augeas-section.js";
import { checkAugeasOnThisMachine } from "./machine-check.js";
import { scanDefaultLenses } from "./lens-scan.js";
import { localEntry, type AugeasMethod } from "./augeas-methods.js";
import { AugeasHost, faultFromHost } from "./host/augeas-host.js";
import type { CallOutcome } from "./host/host-protocol.js";
import { DEFAULT_HISTORY_DIR, DEFAULT_HISTORY_MAX_BYTES } from "./history-store.js";

type Granted = Extract<CallOutcome, { granted: true }>;

/** The daemon's entry for `method`: audit targets computed here, the rest in the host. */
function forward<M extends AugeasMethod>(method: M): MethodEntry<M, AugeasSection, AugeasHost, Granted> {
  const entry = localEntry(method)!;
  return {
    method,
    targets: (params) => entry.targets(params as never),
    authorise: async (params, { runtime, caller, call }) => {
      const outcome = await runtime.call(method, params, caller, call);
      if (outcome.granted) return allow(outcome, outcome.targets);
      if ("refusal" in outcome) return refuse(outcome.refusal.target, outcome.refusal.reason, outcome.refusal.file);
      throw faultFromHost(outcome.fault);
    },
    run: ({ value }) => {
      if ("fault" in value) throw faultFromHost(value.fault);
      return value.result as ResultOf<M>;
    },
  };
}

export const augeasModule = defineModule({
  name: "augeas",
  tomlKeys: ["augeas"],
  // The host answers in order: a session's augeas calls may travel to it together.
  pipelined: true,
  parse: (doc, v, options): AugeasSection => parseAugeasSection(doc, v, options),
  explain: (section: AugeasSection) => explainAugeasSection(section, scanDefaultLenses(section.files.filter((f) => !f.lens).map((f) => f.path)).lenses),
  checkOnThisMachine: checkAugeasOnThisMachine,
  capabilities: {
    "augeas.read": {
      granted: (s) => s.files.length > 0,
      resources: (s, rt) => {
        const loaded = new Map((rt?.describeFiles() ?? []).map((f) => [f.rule.path, f]));
        return {
          files: s.files.map((f) => ({
            path: f.path,
            node: f.node,
            lens: loaded.get(f.path)?.lens || null,
            read: f.read.map((p) => p.source),
            ...(f.history > 0 ? { history: f.history } : {}),
            // Which values are secret (set, never read back or shown) — the patterns, never a value.
            ...(f.secret.length > 0 ? { secret: f.secret.map((p) => p.source) } : {}),
            ...(loaded.get(f.path)?.problem ? { problem: loaded.get(f.path)!.problem } : {}),
          })),
        };
      },
    },
    "augeas.write": {
      granted: (s) => s.files.some((f) => f.write.length > 0),
      resources: (s) => ({
        files: s.files
          .filter((f) => f.write.length > 0)
          .map((f) => ({
            path: f.path,
            node: f.node,
            write: f.write.map((p) => p.source),
            ...(f.secret.length > 0 ? { secret: f.secret.map((p) => p.source) } : {}),
            // A validator checks each new version (the program is the administrator's business); a missing file may be created, and how.
            ...(f.validate ? { validate: true } : {}),
            ...(f.create ? { create: { mode: f.create.mode.toString(8).padStart(4, "0"), owner: f.create.owner, group: f.create.group } } : {}),
          })),
      }),
    },
    "augeas.rollback": {
      granted: (s) => s.files.some((f) => f.rollback),
      resources: (s) => ({
        files: s.files.filter((f) => f.rollback).map((f) => ({ path: f.path, history: f.history })),
      }),
    },
  },
  start: (ctx: ModuleStartContext) =>
    new AugeasHost(ctx.root, ctx.logger, ctx.callTimeoutMs, ctx.options.sessionLimits, {
      dir: ctx.options.historyDir ?? DEFAULT_HISTORY_DIR,
      maxBytes: ctx.options.historyMaxBytes ?? DEFAULT_HISTORY_MAX_BYTES,
    }),
  methods: [
    forward("augeas.get"),
    forward("augeas.match"),
    forward("augeas.set"),
    forward("augeas.setm"),
    forward("augeas.insert"),
    forward("augeas.move"),
    forward("augeas.rename"),
    forward("augeas.remove"),
    forward("augeas.save"),
    forward("augeas.preview"),
    forward("augeas.discard"),
    forward("augeas.apply"),
    forward("augeas.history"),
    forward("augeas.rollback"),
  ],
});
