/**
 * The `augeas.*` methods as the Augeas host process runs them (host/): each
 * entry's `authorise` resolves the client's path through the policy engine
 * (strict grammar, then authorisation on the nodes it resolves to) and `run`
 * only ever gives libaugeas the engine's canonical paths, never the client's
 * string. The daemon's module (augeas-module.ts) forwards calls here.
 */
import type { Augeas } from "augeas-node-bindings";
import type { AugeasChange, MethodName, ParamsOf, ResultOf } from "@machina/protocol";
import { allow, type Decision, type Grant } from "../capability/capability-module.js";
import { Fault, NotFoundFault } from "../faults.js";
import { augeasFault } from "./augeas-fault.js";
import type { PolicyEngine } from "./authorise.js";
import type { AugeasLocalRuntime } from "./local-runtime.js";
import { augeasArg, BYTES } from "./tree-text.js";
import { augeasValueArg } from "./augeas-value.js";
import { clientNodePath, clientPathText } from "./client-path.js";
import { valueFromBytes } from "@machina/protocol";
import type { AugeasWorkspace } from "./workspace.js";
import { checkApplyChanges, editCost, type EditCost } from "./edit-budget.js";

export type AugeasMethod = Extract<MethodName, `augeas.${string}`>;

/** One `augeas.*` method inside the host: like a module's MethodEntry, with the local runtime as its context. */
export interface LocalEntry<M extends AugeasMethod, G> {
  readonly method: M;
  /** What the call names, for the audit line even when refused (paths, never values); the daemon calls it. */
  targets(params: ParamsOf<M>): string[];
  authorise(params: ParamsOf<M>, rt: AugeasLocalRuntime): Decision<G>;
  /** Synchronous unless it must wait for a program (a save's validators): the host answers a promise when it settles. */
  run(grant: Grant<G>, rt: AugeasLocalRuntime): ResultOf<M> | Promise<ResultOf<M>>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyLocalEntry = { [M in AugeasMethod]: LocalEntry<M, any> }[AugeasMethod];

const local = <M extends AugeasMethod, G>(entry: LocalEntry<M, G>): LocalEntry<M, G> => entry;

/** An authorised edit: run it now, and keep it for replay after a rollback. */
interface Edit {
  run(aug: Augeas): number;
  targets: string[];
  /** The policy files (their paths) the edit touches. */
  files: string[];
  /** What it adds to the pending edits and the tree (edit-budget.ts). */
  cost: EditCost;
}

/**
 * Authorises one change against the current tree (throws PolicyDeniedFault) and answers how to perform it.
 * The engine's paths are tree text (tree-text.ts): libaugeas gets them through augeasArg, so a label
 * that is not UTF-8 is addressed by its exact bytes. `at` is the change's JSON pointer in the params.
 */
function authoriseChange(engine: PolicyEngine, aug: Augeas, change: AugeasChange, at = ""): Edit {
  const edit = (run: (t: Augeas) => number, targets: string[]): Edit => ({
    run,
    targets,
    files: [...new Set(targets.map((t) => engine.fileFor(t)?.path).filter((f): f is string => f !== undefined))],
    cost: editCost(change, targets, (t) => engine.fileFor(t)?.path),
  });
  switch (change.op) {
    case "set": {
      const value = augeasValueArg(change.value, `${at}/value`);
      const a = engine.authoriseSet(aug, change.path);
      return edit((t) => (t.set(augeasArg(a.canonical), value), 1), a.targets);
    }
    case "clear": {
      const a = engine.authoriseClear(aug, change.path);
      return edit((t) => (t.set(augeasArg(a.canonical), null), 1), a.targets);
    }
    case "setm": {
      const value = augeasValueArg(change.value, `${at}/value`);
      const a = engine.authoriseSetm(aug, change.base, change.sub);
      return edit((t) => t.setm(augeasArg(a.base), a.sub === null ? null : augeasArg(a.sub), value), a.targets);
    }
    case "insert": {
      const a = engine.authoriseInsert(aug, change.path, change.label);
      return edit((t) => (t.insert(augeasArg(a.canonical), change.label, change.before ?? false), 1), a.targets);
    }
    case "move": {
      const a = engine.authoriseMove(aug, change.source, change.destination);
      return edit((t) => (t.mv(augeasArg(a.src), augeasArg(a.dst)), 1), a.targets);
    }
    case "rename": {
      const a = engine.authoriseRename(aug, change.path, change.label);
      return edit((t) => t.rename(augeasArg(a.canonical), change.label), a.targets);
    }
    case "remove": {
      const a = engine.authoriseRemove(aug, change.path);
      return edit((t) => t.rm(augeasArg(a.canonical)), a.targets);
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

/** Save and preview: every modified node must lie in a writable policy file; the grant names the files. */
function authorisePending(_params: unknown, rt: AugeasLocalRuntime): Decision<string[]> {
  const files = rt.workspace.pendingFiles(rt.engine);
  return allow(files, files);
}

type EditMethod = "augeas.set" | "augeas.setm" | "augeas.insert" | "augeas.move" | "augeas.rename" | "augeas.remove";

/** The single-edit methods: authorise resolves the change, run performs it. */
function editMethod<M extends EditMethod>(method: M, toChange: (params: ParamsOf<M>) => AugeasChange) {
  return {
    method,
    targets: (params: ParamsOf<M>) => changeTargets(toChange(params)),
    authorise: (params: ParamsOf<M>, rt: AugeasLocalRuntime): Decision<Edit> => {
      const edit = authoriseChange(rt.engine, rt.workspace.aug, toChange(params));
      return allow(edit, edit.targets.map(clientPathText));
    },
  };
}

export const AUGEAS_METHODS = [
  local({
    method: "augeas.get",
    targets: ({ path }) => [path],
    authorise: ({ path }, rt) => {
      const r = rt.engine.resolveForGet(rt.workspace.aug, path);
      return allow({ path, nodes: r.nodes }, r.nodes.map(clientPathText));
    },
    run: ({ value: { path, nodes } }, rt) => {
      if (nodes.length === 0) throw new NotFoundFault(`no node matches ${path}`, path);
      if (nodes.length > 1) {
        throw new Fault("augeas", `${path} matches ${nodes.length} nodes; get needs exactly one`, {
          code: "EMMATCH",
          message: "Too many matches for path expression",
        });
      }
      try {
        // The value's exact bytes: a string when they are UTF-8, { base64 } otherwise.
        return { value: valueFromBytes(rt.workspace.aug.get(augeasArg(nodes[0]!), BYTES) ?? null) };
      } catch (e) {
        throw augeasFault(e);
      }
    },
  }),
  local({
    method: "augeas.match",
    targets: ({ path }) => [path],
    authorise: ({ path }, rt) => allow(rt.engine.resolveReadable(rt.workspace.aug, path)),
    // Paths in the client's spelling (labels beyond ASCII as %HH), each accepted back; a node no client path can spell is counted, not shown.
    run: ({ value: r }) => {
      const paths: string[] = [];
      let unaddressable = r.unaddressable ?? 0;
      for (const node of r.nodes) {
        const shown = clientNodePath(node);
        if (shown === undefined) unaddressable++;
        else paths.push(shown);
      }
      return unaddressable > 0 ? { paths, unaddressable } : { paths };
    },
  }),
  local({
    ...editMethod("augeas.set", ({ path, value }) => ({ op: "set", path, value })),
    run: ({ value: edit }, rt) => (perform(rt.workspace, edit), {}),
  }),
  local({
    ...editMethod("augeas.setm", ({ base, sub, value }) => ({ op: "setm", base, sub, value })),
    run: ({ value: edit }, rt) => ({ count: perform(rt.workspace, edit) }),
  }),
  local({
    ...editMethod("augeas.insert", ({ path, label, before }) =>
      before === undefined ? { op: "insert", path, label } : { op: "insert", path, label, before },
    ),
    run: ({ value: edit }, rt) => (perform(rt.workspace, edit), {}),
  }),
  local({
    ...editMethod("augeas.move", ({ source, destination }) => ({ op: "move", source, destination })),
    run: ({ value: edit }, rt) => (perform(rt.workspace, edit), {}),
  }),
  local({
    ...editMethod("augeas.rename", ({ path, label }) => ({ op: "rename", path, label })),
    run: ({ value: edit }, rt) => ({ count: perform(rt.workspace, edit) }),
  }),
  local({
    ...editMethod("augeas.remove", ({ path }) => ({ op: "remove", path })),
    run: ({ value: edit }, rt) => ({ count: perform(rt.workspace, edit) }),
  }),
  local({
    method: "augeas.save",
    targets: () => [],
    authorise: authorisePending,
    run: async ({ value: files }, rt) => ({ files: await rt.workspace.save(files) }),
  }),
  local({
    method: "augeas.preview",
    targets: () => [],
    authorise: authorisePending,
    run: ({ value: files }, rt) => ({ changes: rt.workspace.preview(files, (node) => rt.engine.isReadable(node)) }),
  }),
  local({
    method: "augeas.discard",
    targets: () => [],
    // Dropping one's own pending edits needs nothing beyond the capability.
    authorise: () => allow(null),
    run: (_grant, rt) => (rt.workspace.reset(), {}),
  }),
  local({
    method: "augeas.apply",
    targets: ({ changes }) => changes.slice(0, 100).flatMap(changeTargets),
    /**
     * Each change is authorised against the tree as the changes before it
     * left it, so authorisation stages them one by one; a refusal or failure
     * rolls the staged ones back, and the grant holds the staged batch.
     */
    authorise: ({ changes, preview }, rt) => {
      checkApplyChanges(changes.length, rt.limits);
      const ws = rt.workspace;
      const mark = ws.mark();
      const targets: string[] = [];
      try {
        changes.forEach((change, index) => {
          try {
            const edit = authoriseChange(rt.engine, ws.aug, change, `/changes/${index}`);
            targets.push(...edit.targets.map(clientPathText));
            perform(ws, edit);
          } catch (e) {
            throw e instanceof Fault ? e.forChange(index) : e;
          }
        });
        const files = ws.pendingFiles(rt.engine);
        return allow({ mark, files, previewOnly: preview === true }, targets);
      } catch (e) {
        ws.rollback(mark);
        throw e;
      }
    },
    run: async ({ value: { mark, files, previewOnly } }, rt) => {
      const ws = rt.workspace;
      try {
        const diffs = ws.preview(files, (node) => rt.engine.isReadable(node));
        if (previewOnly) {
          ws.rollback(mark);
          return { changes: diffs, saved: false, files: [] };
        }
        return { changes: diffs, saved: true, files: await ws.save(files) };
      } catch (e) {
        ws.rollback(mark);
        throw e;
      }
    },
  }),
] as const satisfies readonly AnyLocalEntry[];

/** The entry of `method`, or undefined for a name that is not an `augeas.*` method. */
export function localEntry(method: string): AnyLocalEntry | undefined {
  return BY_METHOD.get(method);
}

const BY_METHOD = new Map<string, AnyLocalEntry>(AUGEAS_METHODS.map((e) => [e.method, e as AnyLocalEntry]));
