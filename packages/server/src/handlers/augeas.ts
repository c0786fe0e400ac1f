/**
 * The `augeas.*` handlers: every path goes through the policy engine (strict
 * grammar, then authorisation on the nodes it resolves to) and libaugeas only
 * ever sees the engine's canonical path, never the client's string.
 */
import type { Augeas } from "augeas-node-bindings";
import type { AugeasChange } from "@machina/protocol";
import { Fault, NotFoundFault } from "../faults.js";
import type { AugeasWorkspace } from "../augeas/workspace.js";
import { augeasFault } from "../augeas/augeas-fault.js";
import type { PolicyEngine } from "../policy/authorise.js";
import { PolicyDeniedError } from "../policy/policy-errors.js";
import type { CallContext, Handler } from "../rpc/handler-types.js";

export interface AugeasHandlerDeps {
  workspace(): AugeasWorkspace;
  engine(): PolicyEngine;
}

/** An authorised edit: run it now, and keep it for replay after a rollback. */
interface Edit {
  run(aug: Augeas): number;
  targets: string[];
}

/** Authorises one change against the current tree and answers how to perform it. */
function authorise(engine: PolicyEngine, aug: Augeas, change: AugeasChange): Edit {
  switch (change.op) {
    case "set": {
      const a = engine.authoriseSet(aug, change.path);
      return { run: (t) => (t.set(a.canonical, change.value), 1), targets: a.targets };
    }
    case "clear": {
      const a = engine.authoriseClear(aug, change.path);
      return { run: (t) => (t.set(a.canonical, null), 1), targets: a.targets };
    }
    case "setm": {
      const a = engine.authoriseSetm(aug, change.base, change.sub);
      return { run: (t) => t.setm(a.base, a.sub, change.value), targets: a.targets };
    }
    case "insert": {
      const a = engine.authoriseInsert(aug, change.path, change.label);
      return { run: (t) => (t.insert(a.canonical, change.label, change.before ?? false), 1), targets: a.targets };
    }
    case "move": {
      const a = engine.authoriseMove(aug, change.source, change.destination);
      return { run: (t) => (t.mv(a.src, a.dst), 1), targets: a.targets };
    }
    case "rename": {
      const a = engine.authoriseRename(aug, change.path, change.label);
      return { run: (t) => t.rename(a.canonical, change.label), targets: a.targets };
    }
    case "remove": {
      const a = engine.authoriseRemove(aug, change.path);
      return { run: (t) => t.rm(a.canonical), targets: a.targets };
    }
  }
}

/** Authorises, performs and journals one edit; answers libaugeas' count. */
function perform(deps: AugeasHandlerDeps, change: AugeasChange, ctx: CallContext): number {
  const ws = deps.workspace();
  const engine = deps.engine();
  const edit = authorise(engine, ws.aug, change);
  ctx.targets.push(...edit.targets);
  let count: number;
  try {
    count = edit.run(ws.aug);
  } catch (e) {
    throw augeasFault(e);
  }
  const files = [...new Set(edit.targets.map((t) => engine.fileFor(t)?.path).filter((f): f is string => f !== undefined))];
  ws.record({ replay: (aug) => void edit.run(aug), files });
  return count;
}

type AugeasHandlers = {
  [M in
    | "augeas.get"
    | "augeas.match"
    | "augeas.set"
    | "augeas.setm"
    | "augeas.insert"
    | "augeas.move"
    | "augeas.rename"
    | "augeas.remove"
    | "augeas.save"
    | "augeas.preview"
    | "augeas.discard"
    | "augeas.apply"]: Handler<M>;
};

export function augeasHandlers(deps: AugeasHandlerDeps): AugeasHandlers {
  return {
    "augeas.get": ({ path }, ctx) => {
      const aug = deps.workspace().aug;
      const r = deps.engine().resolveForGet(aug, path);
      ctx.targets = r.nodes.length ? r.nodes : [path];
      if (r.nodes.length === 0) throw new NotFoundFault(`no node matches ${path}`, path);
      if (r.nodes.length > 1) {
        throw new Fault("augeas", `${path} matches ${r.nodes.length} nodes; get needs exactly one`, {
          code: "EMMATCH",
          message: "Too many matches for path expression",
        });
      }
      try {
        return { value: aug.get(r.nodes[0]!) ?? null };
      } catch (e) {
        throw augeasFault(e);
      }
    },

    "augeas.match": ({ path }) => {
      const r = deps.engine().resolveReadable(deps.workspace().aug, path);
      return { paths: r.nodes };
    },

    "augeas.set": ({ path, value }, ctx) => (perform(deps, { op: "set", path, value }, ctx), {}),
    "augeas.setm": ({ base, sub, value }, ctx) => ({ count: perform(deps, { op: "setm", base, sub, value }, ctx) }),
    "augeas.insert": ({ path, label, before }, ctx) => (perform(deps, { op: "insert", path, label, ...(before !== undefined ? { before } : {}) }, ctx), {}),
    "augeas.move": ({ source, destination }, ctx) => (perform(deps, { op: "move", source, destination }, ctx), {}),
    "augeas.rename": ({ path, label }, ctx) => ({ count: perform(deps, { op: "rename", path, label }, ctx) }),
    "augeas.remove": ({ path }, ctx) => ({ count: perform(deps, { op: "remove", path }, ctx) }),

    "augeas.save": (_params, ctx) => {
      const files = deps.workspace().save(deps.engine());
      ctx.targets.push(...files);
      return { files };
    },

    "augeas.preview": () => ({ changes: deps.workspace().preview(deps.engine()) }),

    "augeas.discard": () => {
      deps.workspace().reset();
      return {};
    },

    "augeas.apply": ({ changes, preview }, ctx) => {
      const ws = deps.workspace();
      const mark = ws.mark();
      try {
        changes.forEach((change, index) => {
          try {
            perform(deps, change, ctx);
          } catch (e) {
            throw withChangeIndex(e, index);
          }
        });
        const diffs = ws.preview(deps.engine());
        if (preview) {
          ws.rollback(mark);
          return { changes: diffs, saved: false, files: [] };
        }
        const files = ws.save(deps.engine());
        return { changes: diffs, saved: true, files };
      } catch (e) {
        ws.rollback(mark);
        throw e;
      }
    },
  };
}

/** Tells the client which change of an `apply` failed. */
function withChangeIndex(e: unknown, index: number): unknown {
  if (e instanceof Fault) return new Fault(e.kind, `change ${index + 1}: ${e.message}`, { ...e.fields, change: index });
  if (e instanceof PolicyDeniedError) {
    return new Fault("policy-denied", `change ${index + 1}: ${e.message}`, { reason: e.reason, target: e.target, change: index });
  }
  return e;
}
