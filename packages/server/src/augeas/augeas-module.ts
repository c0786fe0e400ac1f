/**
 * The `augeas` capability module: `[[augeas.file]]`, the `augeas.read` and
 * `augeas.write` capabilities, and the `augeas.*` methods. Every path goes
 * through the policy engine (strict grammar, then authorisation on the nodes
 * it resolves to) in `authorise`; `run` only ever gives libaugeas the engine's
 * canonical paths, never the client's string.
 */
import type { Augeas } from "augeas-node-bindings";
import type { AugeasChange, ParamsOf } from "@machina/protocol";
import { allow, defineModule, methodsOf, type Caller, type ModuleRuntime, type ModuleStartContext } from "../capability/capability-module.js";
import { Fault, NotFoundFault } from "../faults.js";
import type { Logger } from "../logger.js";
import { augeasFault } from "./augeas-fault.js";
import { explainAugeasSection, parseAugeasSection, type AugeasSection } from "./augeas-section.js";
import { PolicyEngine } from "./authorise.js";
import { checkAugeasOnThisMachine } from "./machine-check.js";
import { scanDefaultLenses } from "./lens-scan.js";
import { AugeasWorkspace } from "./workspace.js";
import { checkApplyChanges, editCost, type EditCost } from "./edit-budget.js";
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from "../limits.js";

/** The one Augeas workspace and the engine of the current policy. */
export class AugeasRuntime implements ModuleRuntime<AugeasSection> {
  private current: { workspace: AugeasWorkspace; engine: PolicyEngine } | undefined;

  constructor(
    private readonly root: string,
    private readonly logger: Logger,
    /** The session's resource limits (limits.ts): plain data, enforced by the workspace and the engine. */
    readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  get workspace(): AugeasWorkspace {
    return this.live().workspace;
  }

  get engine(): PolicyEngine {
    return this.live().engine;
  }

  usePolicy(section: AugeasSection): void {
    this.current?.workspace.close();
    const unnamed = section.files.filter((f) => !f.lens).map((f) => f.path);
    const workspace = new AugeasWorkspace(this.root, section, scanDefaultLenses(unnamed).lenses, this.logger, this.limits);
    this.current = { workspace, engine: new PolicyEngine(section, this.limits) };
    for (const f of workspace.describeFiles()) {
      if (f.problem) this.logger.warn(`${f.rule.path}: ${f.problem}`);
      else this.logger.debug(`${f.rule.path}: loaded with ${f.lens}`);
    }
  }

  // A session starts from the files as they are on disk, and leaves nothing pending behind.
  sessionStarted(_caller: Caller): void {
    this.workspace.reset();
  }

  sessionEnded(): void {
    this.workspace.reset();
  }

  close(): void {
    this.current?.workspace.close();
    this.current = undefined;
  }

  private live(): { workspace: AugeasWorkspace; engine: PolicyEngine } {
    if (!this.current) throw new Error("the Augeas workspace is used before a policy was loaded");
    return this.current;
  }
}

/** An authorised edit: run it now, and keep it for replay after a rollback. */
export interface Edit {
  run(aug: Augeas): number;
  targets: string[];
  /** The policy files (their paths) the edit touches. */
  files: string[];
  /** What it adds to the pending edits and the tree (edit-budget.ts). */
  cost: EditCost;
}

/** Authorises one change against the current tree (throws PolicyDeniedFault) and answers how to perform it. */
function authoriseChange(engine: PolicyEngine, aug: Augeas, change: AugeasChange): Edit {
  const edit = (run: (t: Augeas) => number, targets: string[]): Edit => ({
    run,
    targets,
    files: [...new Set(targets.map((t) => engine.fileFor(t)?.path).filter((f): f is string => f !== undefined))],
    cost: editCost(change, targets, (t) => engine.fileFor(t)?.path),
  });
  switch (change.op) {
    case "set": {
      const a = engine.authoriseSet(aug, change.path);
      return edit((t) => (t.set(a.canonical, change.value), 1), a.targets);
    }
    case "clear": {
      const a = engine.authoriseClear(aug, change.path);
      return edit((t) => (t.set(a.canonical, null), 1), a.targets);
    }
    case "setm": {
      const a = engine.authoriseSetm(aug, change.base, change.sub);
      return edit((t) => t.setm(a.base, a.sub, change.value), a.targets);
    }
    case "insert": {
      const a = engine.authoriseInsert(aug, change.path, change.label);
      return edit((t) => (t.insert(a.canonical, change.label, change.before ?? false), 1), a.targets);
    }
    case "move": {
      const a = engine.authoriseMove(aug, change.source, change.destination);
      return edit((t) => (t.mv(a.src, a.dst), 1), a.targets);
    }
    case "rename": {
      const a = engine.authoriseRename(aug, change.path, change.label);
      return edit((t) => t.rename(a.canonical, change.label), a.targets);
    }
    case "remove": {
      const a = engine.authoriseRemove(aug, change.path);
      return edit((t) => t.rm(a.canonical), a.targets);
    }
  }
}

/** Performs and journals an authorised edit within the session's limits; answers libaugeas' count. */
function perform(ws: AugeasWorkspace, edit: Edit): number {
  ws.admit(edit.cost);
  let count: number;
  try {
    count = edit.run(ws.aug);
  } catch (e) {
    throw augeasFault(e);
  }
  ws.record({ replay: (aug) => void edit.run(aug), files: edit.files, cost: edit.cost });
  return count;
}

/** The paths and names a change names, for the audit line (never its value). */
function changeTargets(change: AugeasChange): string[] {
  return change.op === "move" ? [change.source, change.destination] : change.op === "setm" ? [change.base] : [change.path];
}

const on = methodsOf<AugeasSection, AugeasRuntime>();

/** Save and preview: every modified node must lie in a writable policy file; the grant names the files. */
function authorisePending(_params: unknown, { runtime }: { runtime: AugeasRuntime }) {
  const files = runtime.workspace.pendingFiles(runtime.engine);
  return allow(files, files);
}

type EditMethod = "augeas.set" | "augeas.setm" | "augeas.insert" | "augeas.move" | "augeas.rename" | "augeas.remove";

/** The single-edit methods: authorise resolves the change, run performs it. */
function editMethod<M extends EditMethod>(method: M, toChange: (params: ParamsOf<M>) => AugeasChange) {
  return {
    method,
    targets: (params: ParamsOf<M>) => changeTargets(toChange(params)),
    authorise: (params: ParamsOf<M>, { runtime }: { runtime: AugeasRuntime }) => {
      const edit = authoriseChange(runtime.engine, runtime.workspace.aug, toChange(params));
      return allow(edit, edit.targets);
    },
  };
}

export const augeasModule = defineModule({
  name: "augeas",
  tomlKeys: ["augeas"],
  parse: (doc, v, options): AugeasSection => parseAugeasSection(doc, v, options),
  explain: (section: AugeasSection) => explainAugeasSection(section, scanDefaultLenses(section.files.filter((f) => !f.lens).map((f) => f.path)).lenses),
  checkOnThisMachine: checkAugeasOnThisMachine,
  capabilities: {
    "augeas.read": {
      granted: (s) => s.files.length > 0,
      resources: (s, rt) => {
        const loaded = new Map((rt?.workspace.describeFiles() ?? []).map((f) => [f.rule.path, f]));
        return {
          files: s.files.map((f) => ({
            path: f.path,
            node: f.node,
            lens: loaded.get(f.path)?.lens || null,
            read: f.read.map((p) => p.source),
            ...(loaded.get(f.path)?.problem ? { problem: loaded.get(f.path)!.problem } : {}),
          })),
        };
      },
    },
    "augeas.write": {
      granted: (s) => s.files.some((f) => f.write.length > 0),
      resources: (s) => ({
        files: s.files.filter((f) => f.write.length > 0).map((f) => ({ path: f.path, node: f.node, write: f.write.map((p) => p.source) })),
      }),
    },
  },
  start: (ctx: ModuleStartContext) => new AugeasRuntime(ctx.root, ctx.logger, ctx.options.sessionLimits),
  methods: [
    on({
      method: "augeas.get",
      targets: ({ path }) => [path],
      authorise: ({ path }, { runtime }) => {
        const r = runtime.engine.resolveForGet(runtime.workspace.aug, path);
        return allow({ path, nodes: r.nodes }, r.nodes);
      },
      run: ({ value: { path, nodes } }, { runtime }) => {
        if (nodes.length === 0) throw new NotFoundFault(`no node matches ${path}`, path);
        if (nodes.length > 1) {
          throw new Fault("augeas", `${path} matches ${nodes.length} nodes; get needs exactly one`, {
            code: "EMMATCH",
            message: "Too many matches for path expression",
          });
        }
        try {
          return { value: runtime.workspace.aug.get(nodes[0]!) ?? null };
        } catch (e) {
          throw augeasFault(e);
        }
      },
    }),
    on({
      method: "augeas.match",
      targets: ({ path }) => [path],
      authorise: ({ path }, { runtime }) => allow(runtime.engine.resolveReadable(runtime.workspace.aug, path).nodes),
      run: ({ value: paths }) => ({ paths }),
    }),
    on({
      ...editMethod("augeas.set", ({ path, value }) => ({ op: "set", path, value })),
      run: ({ value: edit }, { runtime }) => (perform(runtime.workspace, edit), {}),
    }),
    on({
      ...editMethod("augeas.setm", ({ base, sub, value }) => ({ op: "setm", base, sub, value })),
      run: ({ value: edit }, { runtime }) => ({ count: perform(runtime.workspace, edit) }),
    }),
    on({
      ...editMethod("augeas.insert", ({ path, label, before }) =>
        before === undefined ? { op: "insert", path, label } : { op: "insert", path, label, before },
      ),
      run: ({ value: edit }, { runtime }) => (perform(runtime.workspace, edit), {}),
    }),
    on({
      ...editMethod("augeas.move", ({ source, destination }) => ({ op: "move", source, destination })),
      run: ({ value: edit }, { runtime }) => (perform(runtime.workspace, edit), {}),
    }),
    on({
      ...editMethod("augeas.rename", ({ path, label }) => ({ op: "rename", path, label })),
      run: ({ value: edit }, { runtime }) => ({ count: perform(runtime.workspace, edit) }),
    }),
    on({
      ...editMethod("augeas.remove", ({ path }) => ({ op: "remove", path })),
      run: ({ value: edit }, { runtime }) => ({ count: perform(runtime.workspace, edit) }),
    }),
    on({
      method: "augeas.save",
      targets: () => [],
      authorise: authorisePending,
      run: ({ value: files }, { runtime }) => ({ files: runtime.workspace.save(files) }),
    }),
    on({
      method: "augeas.preview",
      targets: () => [],
      authorise: authorisePending,
      run: ({ value: files }, { runtime }) => ({ changes: runtime.workspace.preview(files, (node) => runtime.engine.isReadable(node)) }),
    }),
    on({
      method: "augeas.discard",
      targets: () => [],
      // Dropping one's own pending edits needs nothing beyond the capability.
      authorise: () => allow(null),
      run: (_grant, { runtime }) => (runtime.workspace.reset(), {}),
    }),
    on({
      method: "augeas.apply",
      targets: ({ changes }) => changes.slice(0, 100).flatMap(changeTargets),
      /**
       * Each change is authorised against the tree as the changes before it
       * left it, so authorisation stages them one by one; a refusal or failure
       * rolls the staged ones back, and the grant holds the staged batch.
       */
      authorise: ({ changes, preview }, { runtime }) => {
        checkApplyChanges(changes.length, runtime.limits);
        const ws = runtime.workspace;
        const mark = ws.mark();
        const targets: string[] = [];
        try {
          changes.forEach((change, index) => {
            try {
              const edit = authoriseChange(runtime.engine, ws.aug, change);
              targets.push(...edit.targets);
              perform(ws, edit);
            } catch (e) {
              throw e instanceof Fault ? e.forChange(index) : e;
            }
          });
          const files = ws.pendingFiles(runtime.engine);
          return allow({ mark, files, previewOnly: preview === true }, targets);
        } catch (e) {
          ws.rollback(mark);
          throw e;
        }
      },
      run: ({ value: { mark, files, previewOnly } }, { runtime }) => {
        const ws = runtime.workspace;
        try {
          const diffs = ws.preview(files, (node) => runtime.engine.isReadable(node));
          if (previewOnly) {
            ws.rollback(mark);
            return { changes: diffs, saved: false, files: [] };
          }
          return { changes: diffs, saved: true, files: ws.save(files) };
        } catch (e) {
          ws.rollback(mark);
          throw e;
        }
      },
    }),
  ],
});
