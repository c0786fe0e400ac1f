// Checks that keep calls libaugeas 1.14 mishandles (segfault, double free, abort, endless loop)
// from reaching it. Each resolves what the call would touch through libaugeas' own read-only
// calls first (label, match), so path expressions are judged by what they select, not by how
// they are written. README.md ("Guards") lists what each one refuses and why.
import { AugeasError, guardError } from "./errors.js";
import type { NativeHandle } from "./native.js";
import { pathLimitProblem } from "./path-limits.js";
import { isBelow, type StringOrBytes } from "./text.js";

/** What an expression that must select one node (mv/cp's source and destination) selects. */
type OneNode =
  | { kind: "none" }
  | { kind: "several" }
  /** The root, or a node a lens left without a label: match never lists these. */
  | { kind: "unlabelled" }
  /** Its fully qualified path, as exact bytes: labels that are not UTF-8 must not blur together. */
  | { kind: "node"; path: Buffer };

function selectOne(handle: NativeHandle, expr: StringOrBytes): OneNode {
  let label: Buffer | null | undefined;
  try {
    // aug_label counts every node the expression selects, unlabelled ones included.
    label = handle.label(expr, true);
  } catch (error) {
    if (error instanceof AugeasError && error.code === "EMMATCH") return { kind: "several" };
    throw error;
  }
  if (label === undefined) return { kind: "none" };
  if (label === null) return { kind: "unlabelled" };
  const paths = handle.match(expr, true);
  const [path] = paths;
  return paths.length === 1 && path !== undefined ? { kind: "node", path } : { kind: "unlabelled" };
}

/**
 * How `dst` sits relative to `src`, both fully qualified paths as aug_match writes them (a `/`
 * inside a label is escaped, so a prefix ending at a `/` is an ancestor); undefined if apart.
 */
function overlap(src: Buffer, dst: Buffer): string | undefined {
  if (src.equals(dst)) return "is the source node itself";
  if (isBelow(dst, src)) return "is inside the source";
  if (isBelow(src, dst)) return "contains the source";
  return undefined;
}

/**
 * mv/cp: refuses (EMVDESC / ECPDESC, libaugeas' codes for moving or copying a node into its own
 * descendant) a source or destination that is the root or unlabelled, and a destination that is
 * the source, inside it, or one of its ancestors. libaugeas 1.14 checks only the "inside" case;
 * onto an ancestor it frees the source while still using it.
 */
export function checkMoveOrCopy(handle: NativeHandle, op: "mv" | "cp", src: StringOrBytes, dst: StringOrBytes): void {
  const refuse = (why: string): AugeasError =>
    new AugeasError({
      code: op === "mv" ? "EMVDESC" : "ECPDESC",
      message: `${op} ${text(src)} -> ${text(dst)} refused: ${why} (libaugeas 1.14 corrupts its tree on this)`,
    });
  const source = selectOne(handle, src);
  // No source, or several: libaugeas reports ENOMATCH / EMMATCH before it looks at dst.
  if (source.kind === "none" || source.kind === "several") return;
  if (source.kind === "unlabelled") throw refuse("the source is the root node or a node without a label");
  const target = selectOne(handle, dst);
  // A missing destination is created as a new leaf, which can only be inside the source, and
  // libaugeas refuses that case itself; several destinations are its EMMATCH.
  if (target.kind === "none" || target.kind === "several") return;
  if (target.kind === "unlabelled") throw refuse("the destination is the root node or a node without a label");
  const why = overlap(source.path, target.path);
  if (why !== undefined) throw refuse(`the destination ${text(target.path)} ${why} ${text(source.path)}`);
  checkNoVariableBelow(handle, op, target.path);
}

/**
 * mv/cp onto an existing node free that node's old descendants without taking them out of the
 * variables (defvar, defnode) that hold them; libaugeas 1.14 then reads the freed nodes: mv at
 * once (it walks every variable), cp and the aug_ns_* calls at the next use of the variable
 * (SIGSEGV). Refuses (EGUARD) while a variable recorded under /augeas/variables holds a node
 * below `target`. A variable whose /augeas/variables entry was removed is not seen.
 */
function checkNoVariableBelow(handle: NativeHandle, op: "mv" | "cp", target: Buffer): void {
  for (const entry of handle.match("/augeas/variables/*", true)) {
    const name = handle.label(entry, true);
    if (!(name instanceof Buffer)) continue;
    const count = handle.nsCount(name);
    for (let i = 0; i < count; i++) {
      if (isBelow(handle.nsPath(name, i, true), target)) {
        throw guardError(
          `${op} refused: variable $${text(name)} holds nodes below the destination ${text(target)}, which ${op} would free while the variable still points at them (libaugeas 1.14 then reads freed memory); redefine or remove the variable first`,
        );
      }
    }
  }
}

/** Text for a message (bytes that are not UTF-8 show as U+FFFD). */
function text(value: StringOrBytes): string {
  return typeof value === "string" ? value : Buffer.from(value).toString("utf8");
}

/** A scratch variable the rename guard defines and removes again; do not use this name. */
export const SCRATCH_VARIABLE = "__augeas_node_bindings_guard";

/**
 * rename: refuses (EGUARD) an expression that selects the root or any unlabelled node; libaugeas
 * would give the root a label. aug_match leaves those nodes out (and answers "/" with the root's
 * children), while aug_defvar counts every node, so a difference between the two counts is one.
 */
export function checkRename(handle: NativeHandle, path: StringOrBytes): void {
  const listed = path === "/" || (typeof path !== "string" && path.length === 1 && path[0] === 0x2f) ? -1 : handle.match(path, true).length;
  let selected: number;
  try {
    selected = handle.defvar(SCRATCH_VARIABLE, path);
  } finally {
    handle.defvar(SCRATCH_VARIABLE, null);
  }
  if (selected !== listed) {
    throw guardError(`rename ${text(path)} refused: it selects the root node or a node without a label`);
  }
}

/**
 * defnode: refuses (EGUARD) an expression that is not a node set (a number, string, boolean or
 * regexp): libaugeas 1.14 asserts on it (pathx_first: v->tag == T_NODESET) and aborts the
 * process. aug_match runs libaugeas' own type check for a node set; an empty one is fine (defnode
 * creates the node). Its other errors are the ones defnode would report.
 */
export function checkDefnodeExpression(handle: NativeHandle, expr: StringOrBytes): void {
  try {
    handle.match(expr, true);
  } catch (error) {
    if (error instanceof AugeasError && error.code === "EPATHX" && error.minorMessage === "type error") {
      throw guardError(`defnode: ${text(expr)} is not an expression that selects nodes (libaugeas 1.14 aborts on it)`);
    }
    throw error;
  }
}

const CONTEXT = "/augeas/context";

/**
 * set: libaugeas parses the value of /augeas/context as a path expression at the start of every
 * later call, so a value beyond the path limits there would crash the next call, whatever it is.
 * Called only for such values: refuses (EGUARD) them when `path` is /augeas/context, or would
 * create it (nothing matches `path` and /augeas/context does not exist).
 */
export function checkContextValue(handle: NativeHandle, path: StringOrBytes, value: StringOrBytes): void {
  // A path that is not UTF-8 never reads as the ASCII /augeas/context, so text compares right.
  const targets = handle.match(path);
  const refused = targets.includes(CONTEXT) || (targets.length === 0 && handle.match(CONTEXT).length === 0);
  if (refused) throw guardError(`set ${text(path)}: a value for ${CONTEXT} must be a path within the limits; this one ${pathLimitProblem(value) ?? "is not"}`);
}
