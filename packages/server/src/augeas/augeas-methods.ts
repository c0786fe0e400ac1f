/**
 * The `augeas.*` methods as the Augeas host process runs them (host/): each
 * entry's `authorise` resolves the client's path through the policy engine
 * (strict grammar, then authorisation on the nodes it resolves to) and `run`
 * only ever gives libaugeas the engine's canonical paths, never the client's
 * string. The daemon's module (augeas-module.ts) forwards calls here.
 */
import type { Augeas } from "augeas-node-bindings";
import type { AugeasChange, AugeasEdit, MethodName, ParamsOf, ResultOf } from "@machina/protocol";
import { allow, refuse, type Decision, type Grant } from "../capability/capability-module.js";
import { Fault, InvalidParamsFault, NotFoundFault, PolicyDeniedFault } from "../faults.js";
import { augeasFault } from "./augeas-fault.js";
import type { PolicyEngine } from "./authorise.js";
import type { AugeasLocalRuntime } from "./local-runtime.js";
import { augeasArg, BYTES } from "./tree-text.js";
import { augeasValueArg } from "./augeas-value.js";
import { clientNodePath, clientPathText } from "./client-path.js";
import { valueFromBytes } from "@machina/protocol";
import type { AugeasWorkspace, Expectations } from "./workspace.js";
import { checkApplyChanges, editCost, type EditCost } from "./edit-budget.js";
import type { FileRule } from "./augeas-section.js";
import type { StoredEntry, StoredFile } from "./history-store.js";
import { guardFailure, guardPath } from "./apply-guards.js";

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
  /** False for edits that only set values; anything else may shift nodes' positions (see JournalEntry). */
  reshapes: boolean;
}

/** The ops that change values only, never which nodes exist or where (any other op counts as reshaping). */
const VALUE_ONLY_OPS: ReadonlySet<string> = new Set(["set", "clear", "setm"]);

/**
 * Authorises one change against the current tree (throws PolicyDeniedFault) and answers how to perform it.
 * The engine's paths are tree text (tree-text.ts): libaugeas gets them through augeasArg, so a label
 * that is not UTF-8 is addressed by its exact bytes. `at` is the change's JSON pointer in the params.
 */
function authoriseChange(engine: PolicyEngine, aug: Augeas, change: AugeasEdit, at = ""): Edit {
  const filesOf = (nodes: readonly string[]) => [...new Set(nodes.map((t) => engine.fileFor(t)?.path).filter((f): f is string => f !== undefined))];
  const edit = (run: (t: Augeas) => number, targets: string[]): Edit => ({
    run,
    targets,
    files: filesOf(targets),
    cost: editCost(change, targets, (t) => engine.fileFor(t)?.path),
    reshapes: !VALUE_ONLY_OPS.has(change.op),
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
    case "touch": {
      // Authorised as the set that creates the node; run, it creates only what is missing.
      const a = engine.authoriseSet(aug, change.path);
      return edit((t) => (t.match(augeasArg(a.canonical)).length > 0 ? 0 : (t.set(augeasArg(a.canonical), null), 1)), a.targets);
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
  ws.record({ replay: (aug) => void edit.run(aug), files: edit.files, targets: edit.targets, reshapes: edit.reshapes, cost: edit.cost });
  return count;
}

/** The paths and names a change names, for the audit line (never its value). */
function changeTargets(change: AugeasChange): string[] {
  if (change.op === "guard") return [guardPath(change)];
  return change.op === "move" ? [change.source, change.destination] : change.op === "setm" ? [change.base] : [change.path];
}

/** `expect` may name only policy files (workspace.checkExpected compares the tags). */
function checkExpectedFiles(expect: Expectations | undefined, engine: PolicyEngine): void {
  for (const file of Object.keys(expect ?? {})) {
    if (!engine.files.some((f) => f.path === file)) throw new PolicyDeniedFault(file, "expect names a file that is not an [[augeas.file]] of the policy");
  }
}

/** Save and preview: every modified node must lie in a writable policy file; the grant names the files. */
function authorisePending(_params: unknown, rt: AugeasLocalRuntime): Decision<string[]> {
  const files = rt.workspace.pendingFiles(rt.engine);
  return allow(files, files);
}

type EditMethod = "augeas.set" | "augeas.setm" | "augeas.insert" | "augeas.move" | "augeas.rename" | "augeas.remove";

/** The single-edit methods: authorise resolves the change, run performs it. */
function editMethod<M extends EditMethod>(method: M, toChange: (params: ParamsOf<M>) => AugeasEdit) {
  return {
    method,
    targets: (params: ParamsOf<M>) => changeTargets(toChange(params)),
    authorise: (params: ParamsOf<M>, rt: AugeasLocalRuntime): Decision<Edit> => {
      const edit = authoriseChange(rt.engine, rt.workspace.aug, toChange(params));
      return allow(edit, edit.targets.map(clientPathText));
    },
  };
}

/**
 * A file whose history this client may see: the policy lets it read some of
 * the file and keeps the file's history. (History shows who saved when,
 * never content: the file's read patterns need not cover all of it.)
 */
function historyVisible(rule: FileRule | undefined): rule is FileRule {
  return rule !== undefined && rule.read.length > 0 && rule.history > 0;
}

/** The files of `entry` this client may see (only `file`, when named). */
function visibleFiles(entry: StoredEntry, rt: AugeasLocalRuntime, file: string | undefined): StoredFile[] {
  return entry.files.filter((f) => (file === undefined || f.file === file) && historyVisible(rt.engine.files.find((r) => r.path === f.file)));
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
    authorise: ({ expect }, rt) => {
      checkExpectedFiles(expect, rt.engine);
      const files = rt.workspace.pendingFiles(rt.engine);
      return allow({ files, expect }, files);
    },
    run: ({ value: { files, expect } }, rt) => rt.workspace.save(files, expect),
  }),
  local({
    method: "augeas.preview",
    targets: () => [],
    authorise: authorisePending,
    run: ({ value: files }, rt) => ({ changes: rt.workspace.preview(files, rt.engine) }),
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
     * rolls the staged ones back, and the grant holds the staged batch. A
     * guard is evaluated where it stands; one that does not hold rolls the
     * staged changes back too, and the grant says which (the changes after
     * it are never looked at).
     */
    authorise: ({ changes, preview, expect }, rt) => {
      checkApplyChanges(changes.length, rt.limits);
      checkExpectedFiles(expect, rt.engine);
      const ws = rt.workspace;
      const mark = ws.mark();
      const targets: string[] = [];
      const grant = (files: string[], failed?: { change: number; reason: string }) =>
        allow({ mark, files, previewOnly: preview === true, expect, failed }, targets);
      try {
        for (const [index, change] of changes.entries()) {
          try {
            if (change.op === "guard") {
              targets.push(guardPath(change));
              const reason = guardFailure(rt.engine, ws.aug, change);
              if (reason === undefined) continue;
              // Nothing of this call stays pending (no reload when nothing was staged).
              if (ws.mark() !== mark) ws.rollback(mark);
              return grant([], { change: index, reason });
            }
            const edit = authoriseChange(rt.engine, ws.aug, change, `/changes/${index}`);
            targets.push(...edit.targets.map(clientPathText));
            perform(ws, edit);
          } catch (e) {
            throw e instanceof Fault ? e.forChange(index) : e;
          }
        }
        return grant(ws.pendingFiles(rt.engine));
      } catch (e) {
        ws.rollback(mark);
        throw e;
      }
    },
    run: async ({ value: { mark, files, previewOnly, expect, failed } }, rt) => {
      const ws = rt.workspace;
      const nothing = { changes: [], saved: false, files: [], changed: false, tags: {} };
      if (failed) {
        // A version the client did not expect is a conflict even when a guard failed.
        ws.checkExpected(expect);
        return { applied: false, guard: failed, ...nothing };
      }
      try {
        ws.checkExpected(expect);
        const diffs = ws.preview(files, rt.engine);
        if (previewOnly) {
          ws.rollback(mark);
          return { applied: true, ...nothing, changes: diffs };
        }
        return { applied: true, changes: diffs, saved: true, ...(await ws.save(files, expect)) };
      } catch (e) {
        ws.rollback(mark);
        throw e;
      }
    },
  }),
  local({
    method: "augeas.history",
    targets: ({ file }) => (file === undefined ? [] : [file]),
    authorise: ({ file }, rt) => {
      if (file !== undefined && !historyVisible(rt.engine.files.find((r) => r.path === file))) {
        return refuse(file, "the policy keeps no history of this file that this client may read (history = N and read patterns)", file);
      }
      return allow(file);
    },
    run: ({ value: file }, rt) => {
      const history = rt.history;
      if (!history) return { entries: [] };
      const hashes = new Map<string, string | null | undefined>();
      const onDisk = (f: string) => {
        if (!hashes.has(f)) hashes.set(f, history.onDisk(f));
        return hashes.get(f);
      };
      const entries = [];
      for (const entry of history.entries()) {
        const files = visibleFiles(entry, rt, file);
        if (files.length === 0) continue;
        entries.push({
          id: entry.id,
          time: entry.time,
          peer: { pid: entry.peer.pid, uid: entry.peer.uid, gid: entry.peer.gid },
          method: entry.method,
          files: files.map((f) => ({ file: f.file, current: onDisk(f.file) === f.newSha256 })),
        });
      }
      return { entries };
    },
  }),
  local({
    method: "augeas.rollback",
    targets: ({ id, file }) => (file === undefined ? [id] : [id, file]),
    authorise: ({ id, file }, rt) => {
      // A rollback rewrites whole files and reloads the tree: pending edits would be lost or mixed in.
      if (rt.workspace.dirty) throw new InvalidParamsFault("the session has pending edits: save or discard them first, then roll back");
      const entry = rt.history?.entry(id);
      const files = entry ? visibleFiles(entry, rt, file) : [];
      // An entry whose files this client may not see is no different from one that does not exist.
      if (!entry || files.length === 0) throw new NotFoundFault(`no history entry ${id}${file === undefined ? "" : ` of ${file}`}`, id);
      for (const f of files) {
        const rule = rt.engine.files.find((r) => r.path === f.file)!;
        if (!rule.rollback) return refuse(f.file, "the policy does not let this file be rolled back (rollback = true)", f.file);
      }
      return allow({ id, files }, files.map((f) => f.file));
    },
    run: async ({ value: { id, files } }, rt) => {
      const history = rt.history!;
      const versions = files.map((f) => ({ file: f.file, bytes: history.previousBytes(id, f.file), expect: f.newSha256 }));
      return { files: await rt.workspace.restore(versions), changed: true };
    },
  }),
] as const satisfies readonly AnyLocalEntry[];

/** The entry of `method`, or undefined for a name that is not an `augeas.*` method. */
export function localEntry(method: string): AnyLocalEntry | undefined {
  return BY_METHOD.get(method);
}

const BY_METHOD = new Map<string, AnyLocalEntry>(AUGEAS_METHODS.map((e) => [e.method, e as AnyLocalEntry]));
