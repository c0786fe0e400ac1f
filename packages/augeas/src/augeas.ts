import { checkBoolean, checkNullableString, checkString } from "./argument-checks.js";
import { AugeasError, type FileError } from "./errors.js";
import { readFileErrors, summarize } from "./file-errors.js";
import { native, type NativeHandle } from "./native.js";
import { toInitArguments, type AugeasOptions } from "./options.js";
import { checkLabel, checkNullablePath, checkPath, pathLimitProblem } from "./path-limits.js";
import type { DefnodeResult, Span } from "./results.js";
import { checkContextValue, checkDefnodeExpression, checkMoveOrCopy, checkRename } from "./tree-guards.js";

// Codes the addon uses when libaugeas failed without an error code; for
// these the per-file problems are the whole story, so they make the message.
const codesWithoutLibaugeasError = new Set(["ESAVE", "ELOAD", "ETEXT", "EFAILED"]);

function withFiles(error: unknown, operation: string, files: FileError[]): unknown {
  if (!(error instanceof AugeasError)) return error;
  const message =
    codesWithoutLibaugeasError.has(error.code) && files.length > 0
      ? `${operation} failed: ${summarize(files)}`
      : error.augeasMessage;
  return new AugeasError({
    code: error.code,
    message,
    ...(error.minorMessage !== undefined ? { minorMessage: error.minorMessage } : {}),
    ...(error.details !== undefined ? { details: error.details } : {}),
    files,
  });
}

/**
 * An open libaugeas handle. Not thread-safe, and libaugeas keeps
 * process-wide regex state: use every instance from one thread only.
 *
 * Path expressions are checked against the limits in path-limits.ts, and
 * mv, cp, rename, defnode and set of /augeas/context against the guards in
 * tree-guards.ts, before libaugeas sees them: those inputs crash or stall
 * libaugeas 1.14. Refusals are AugeasErrors (EGUARD, EMVDESC, ECPDESC).
 */
export class Augeas {
  #handle: NativeHandle | null;
  readonly #spans: boolean;

  constructor(options: AugeasOptions = {}) {
    const init = toInitArguments(options, native.flags);
    this.#handle = new native.AugeasHandle(init.root, init.loadPath, init.flags);
    this.#spans = options.enableSpan === true;
  }

  get closed(): boolean {
    return this.#handle === null;
  }

  #open(): NativeHandle {
    const handle = this.#handle;
    if (handle === null) throw new Error("Augeas handle is closed");
    return handle;
  }

  /** Value of the one node matching `path`: `null` if it has none, `undefined` if no node matches. */
  get(path: string): string | null | undefined {
    checkPath(path, "path");
    return this.#open().get(path);
  }

  /** Label of the one node matching `path` (`null` for the root), `undefined` if none matches. */
  label(path: string): string | null | undefined {
    checkPath(path, "path");
    return this.#open().label(path);
  }

  /** Sets (creating it and its ancestors if needed) the one node matching `path`. */
  set(path: string, value: string | null): void {
    checkPath(path, "path");
    checkNullableString(value, "value");
    const handle = this.#open();
    // Only a value that could not pass as a path needs to be kept off /augeas/context.
    if (value !== null && pathLimitProblem(value) !== undefined) checkContextValue(handle, path, value);
    handle.set(path, value);
  }

  /** Sets `sub` (relative, or the nodes themselves if null) under every node matching `base`; returns how many. */
  setm(base: string, sub: string | null, value: string | null): number {
    checkPath(base, "base");
    checkNullablePath(sub, "sub");
    checkNullableString(value, "value");
    return this.#open().setm(base, sub, value);
  }

  /** Fully qualified paths of all nodes matching `path`. */
  match(path: string): string[] {
    checkPath(path, "path");
    return this.#open().match(path);
  }

  /** Inserts a sibling `label` after (or `before`) the one node matching `path`. */
  insert(path: string, label: string, before = false): void {
    checkPath(path, "path");
    checkLabel(label, "label");
    checkBoolean(before, "before");
    this.#open().insert(path, label, before);
  }

  /** Moves the one node matching `src` to `dst` (replacing it, or creating it). */
  mv(src: string, dst: string): void {
    checkPath(src, "src");
    checkPath(dst, "dst");
    const handle = this.#open();
    checkMoveOrCopy(handle, "mv", src, dst);
    handle.mv(src, dst);
  }

  /** Copies the one node matching `src` to `dst` (replacing it, or creating it). */
  cp(src: string, dst: string): void {
    checkPath(src, "src");
    checkPath(dst, "dst");
    const handle = this.#open();
    checkMoveOrCopy(handle, "cp", src, dst);
    handle.cp(src, dst);
  }

  /** Relabels every node matching `path`; returns how many. */
  rename(path: string, label: string): number {
    checkPath(path, "path");
    checkLabel(label, "label");
    const handle = this.#open();
    checkRename(handle, path);
    return handle.rename(path, label);
  }

  /** Removes every node matching `path` and its descendants; returns how many nodes went. */
  rm(path: string): number {
    checkPath(path, "path");
    return this.#open().rm(path);
  }

  /** Writes changed files; throws AugeasError (code ESAVE if libaugeas gave none) with `files` on failure. */
  save(): void {
    const handle = this.#open();
    try {
      handle.save();
    } catch (error) {
      throw withFiles(error, "save", readFileErrors(handle, "save"));
    }
  }

  /**
   * (Re)loads every transform's files. Throws if libaugeas fails or if any
   * file or transform reports an error afterwards; files that did load stay
   * in the tree either way.
   */
  load(): void {
    const handle = this.#open();
    try {
      handle.load();
    } catch (error) {
      throw withFiles(error, "load", readFileErrors(handle, "load"));
    }
    this.#throwIfErrors(readFileErrors(handle, "load"), "load");
  }

  /** Loads one file with the lens its transform names; throws like `load` for that file. */
  loadFile(file: string): void {
    checkString(file, "file");
    const handle = this.#open();
    const ofFile = (): FileError[] => readFileErrors(handle, "load").filter((e) => e.file === file);
    try {
      handle.loadFile(file);
    } catch (error) {
      throw withFiles(error, "loadFile", ofFile());
    }
    this.#throwIfErrors(ofFile(), "loadFile");
  }

  #throwIfErrors(files: FileError[], operation: string): void {
    if (files.length === 0) return;
    // Transform errors are recorded lens lookups that failed (AUG_ENOLENS).
    const code = files.some((f) => f.kind === "transform_failed") ? "ENOLENS" : "ELOAD";
    throw new AugeasError({ code, message: `${operation} failed: ${summarize(files)}`, files });
  }

  /** Adds a transform: load `file` with `lens` ("Module.lns" or "Module"), or exclude it. */
  transform(lens: string, file: string, exclude = false): void {
    checkString(lens, "lens");
    checkString(file, "file");
    checkBoolean(exclude, "exclude");
    this.#open().transform(lens, file, exclude);
  }

  /** The text `save` would write for the file owning `path` (nothing is written), or null if no file owns it. */
  preview(path: string): string | null {
    checkPath(path, "path");
    const handle = this.#open();
    if (this.#spans) {
      // libaugeas 1.14's aug_preview fails on trees loaded with span info
      // (ENOLENS/ENOMATCH on every file), so say why instead.
      throw new AugeasError({
        code: "EBADARG",
        message: "preview is not available on a handle opened with enableSpan (libaugeas 1.14 limitation)",
      });
    }
    // aug_preview only accepts the file's top node, so resolve it first.
    const file = this.#fileNode(handle, path);
    return file === null ? null : handle.preview(file);
  }

  /** Path of the top node (under /files) of the file owning `path`, or null. */
  source(path: string): string | null {
    checkPath(path, "path");
    return this.#fileNode(this.#open(), path);
  }

  #fileNode(handle: NativeHandle, path: string): string | null {
    const source = handle.source(path);
    if (source === null || !this.#spans) return source;
    // With AUG_ENABLE_SPAN, libaugeas 1.14 returns the on-disk file name
    // (root included) instead of the /files node the header promises.
    const root = handle.get("/augeas/root");
    if (typeof root !== "string" || !source.startsWith(root)) return source;
    const segments = source.slice(root.length).split("/").filter((s) => s !== "");
    return `/files/${segments.map((s) => handle.escapeName(s)).join("/")}`;
  }

  /** Where the node came from in its file; ENOSPAN unless opened with `enableSpan`. */
  span(path: string): Span {
    checkPath(path, "path");
    return this.#open().span(path);
  }

  /** Defines `$name` as `expr` (null removes it); returns its node count, 0 for non-nodesets. */
  defvar(name: string, expr: string | null): number {
    checkString(name, "name");
    checkNullablePath(expr, "expr");
    return this.#open().defvar(name, expr);
  }

  /** Defines `$name` as the nodeset `expr`, creating one node with `value` if it is empty. */
  defnode(name: string, expr: string, value: string | null): DefnodeResult {
    checkString(name, "name");
    checkPath(expr, "expr");
    checkNullableString(value, "value");
    const handle = this.#open();
    checkDefnodeExpression(handle, expr);
    return handle.defnode(name, expr, value);
  }

  /** Parses the value of `node` with `lens` into the tree at `path`. */
  textStore(lens: string, node: string, path: string): void {
    checkString(lens, "lens");
    checkPath(node, "node");
    checkPath(path, "path");
    const handle = this.#open();
    try {
      handle.textStore(lens, node, path);
    } catch (error) {
      throw withFiles(error, "textStore", readFileErrors(handle, "text"));
    }
  }

  /** Writes the tree at `path` back to text with `lens` (based on `nodeIn`'s text) into `nodeOut`. */
  textRetrieve(lens: string, nodeIn: string, path: string, nodeOut: string): void {
    checkString(lens, "lens");
    checkPath(nodeIn, "nodeIn");
    checkPath(path, "path");
    checkPath(nodeOut, "nodeOut");
    const handle = this.#open();
    try {
      handle.textRetrieve(lens, nodeIn, path, nodeOut);
    } catch (error) {
      throw withFiles(error, "textRetrieve", readFileErrors(handle, "text"));
    }
  }

  /** `label` escaped so that, as a path segment, it matches only a node labelled exactly `label`. */
  escapeName(label: string): string {
    checkString(label, "label");
    return this.#open().escapeName(label);
  }

  /** Every file, transform and text problem now recorded under /augeas, without throwing. */
  errors(): FileError[] {
    return readFileErrors(this.#open(), "all");
  }

  /** Frees the handle; further calls throw. Safe to call twice. */
  close(): void {
    this.#handle?.close();
    this.#handle = null;
  }
}
