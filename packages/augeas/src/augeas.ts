import { checkBoolean, checkIndex, checkNullableString, checkString } from "./argument-checks.js";
import { AugeasError, guardError, type FileError } from "./errors.js";
import { readFileErrorRecords, readFileErrors, summarize, unescapePathBytes } from "./file-errors.js";
import { fileNodeOf, previewFile, resolveSource } from "./file-source.js";
import { native, type NativeHandle } from "./native.js";
import { toInitArguments, type AugeasOptions } from "./options.js";
import { checkLabel, checkNullablePath, checkPath, pathLimitProblem } from "./path-limits.js";
import type { DefnodeResult, NodeAttributes, NodeLabel, Span, SrunResult } from "./results.js";
import { lineLimitProblem, parseLine, scriptLines, type ParsedCommand } from "./srun-script.js";
import { asBuffer, encodeAs, wantsBuffer, type BufferEncodingOptions, type EncodingOptions, type StringOrBytes } from "./text.js";
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

/** Text in the encoding a call's options asked for (either, when the options are not literal). */
type TextOf<O extends EncodingOptions | undefined> = O extends BufferEncodingOptions ? Buffer : O extends { encoding?: "utf8" } | undefined ? string : string | Buffer;

/**
 * An open libaugeas handle. Not thread-safe, and libaugeas keeps
 * process-wide regex state: use every instance from one thread only.
 *
 * Path expressions are checked against the limits in path-limits.ts, and
 * mv, cp, rename, defnode and set of /augeas/context against the guards in
 * tree-guards.ts, before libaugeas sees them: those inputs crash or stall
 * libaugeas 1.14. Refusals are AugeasErrors (EGUARD, EMVDESC, ECPDESC).
 *
 * Every text argument is a string (sent as UTF-8) or a Uint8Array (sent as
 * its bytes); every call that returns text takes `{ encoding: "buffer" }` to
 * return the exact bytes as Buffers instead of strings (text.ts).
 */
export class Augeas {
  #handle: NativeHandle | null;

  constructor(options: AugeasOptions = {}) {
    const init = toInitArguments(options, native.flags);
    this.#handle = new native.AugeasHandle(init.root, init.loadPath, init.flags);
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
  get(path: StringOrBytes): string | null | undefined;
  get<O extends EncodingOptions>(path: StringOrBytes, options: O): TextOf<O> | null | undefined;
  get(path: StringOrBytes, options?: EncodingOptions): string | Buffer | null | undefined {
    checkPath(path, "path");
    return this.#open().get(path, wantsBuffer(options));
  }

  /** Label of the one node matching `path` (`null` for the root), `undefined` if none matches. */
  label(path: StringOrBytes): string | null | undefined;
  label<O extends EncodingOptions>(path: StringOrBytes, options: O): TextOf<O> | null | undefined;
  label(path: StringOrBytes, options?: EncodingOptions): string | Buffer | null | undefined {
    checkPath(path, "path");
    return this.#open().label(path, wantsBuffer(options));
  }

  /** Sets (creating it and its ancestors if needed) the one node matching `path`. */
  set(path: StringOrBytes, value: StringOrBytes | null): void {
    checkPath(path, "path");
    checkNullableString(value, "value");
    const handle = this.#open();
    // Only a value that could not pass as a path needs to be kept off /augeas/context.
    if (value !== null && pathLimitProblem(value) !== undefined) checkContextValue(handle, path, value);
    handle.set(path, value);
  }

  /** Sets `sub` (relative, or the nodes themselves if null) under every node matching `base`; returns how many. */
  setm(base: StringOrBytes, sub: StringOrBytes | null, value: StringOrBytes | null): number {
    checkPath(base, "base");
    checkNullablePath(sub, "sub");
    checkNullableString(value, "value");
    return this.#open().setm(base, sub, value);
  }

  /**
   * Fully qualified paths of all nodes matching `path`. A path holding a label that is not UTF-8
   * addresses its node only as bytes: ask for `{ encoding: "buffer" }` to pass it back.
   */
  match(path: StringOrBytes): string[];
  match<O extends EncodingOptions>(path: StringOrBytes, options: O): TextOf<O>[];
  match(path: StringOrBytes, options?: EncodingOptions): Array<string | Buffer> {
    checkPath(path, "path");
    return this.#open().match(path, wantsBuffer(options));
  }

  /** Inserts a sibling `label` after (or `before`) the one node matching `path`. */
  insert(path: StringOrBytes, label: StringOrBytes, before = false): void {
    checkPath(path, "path");
    checkLabel(label, "label");
    checkBoolean(before, "before");
    this.#open().insert(path, label, before);
  }

  /** Moves the one node matching `src` to `dst` (replacing it, or creating it). */
  mv(src: StringOrBytes, dst: StringOrBytes): void {
    checkPath(src, "src");
    checkPath(dst, "dst");
    const handle = this.#open();
    checkMoveOrCopy(handle, "mv", src, dst);
    handle.mv(src, dst);
  }

  /** Copies the one node matching `src` to `dst` (replacing it, or creating it). */
  cp(src: StringOrBytes, dst: StringOrBytes): void {
    checkPath(src, "src");
    checkPath(dst, "dst");
    const handle = this.#open();
    checkMoveOrCopy(handle, "cp", src, dst);
    handle.cp(src, dst);
  }

  /** Relabels every node matching `path`; returns how many. */
  rename(path: StringOrBytes, label: StringOrBytes): number {
    checkPath(path, "path");
    checkLabel(label, "label");
    const handle = this.#open();
    checkRename(handle, path);
    return handle.rename(path, label);
  }

  /** Removes every node matching `path` and its descendants; returns how many nodes went. */
  rm(path: StringOrBytes): number {
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

  /**
   * Loads one file with the lens its transform names; throws like `load` for that file, and
   * ENOLENS when no transform covers it or its transform's lens cannot be found.
   */
  loadFile(file: StringOrBytes): void {
    checkString(file, "file");
    const handle = this.#open();
    const bytes = asBuffer(file);
    const ofFile = (): FileError[] =>
      readFileErrorRecords(handle, "load")
        .filter((r) => r.fileBytes !== null && r.fileBytes.equals(bytes))
        .map((r) => r.error);
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
  transform(lens: StringOrBytes, file: StringOrBytes, exclude = false): void {
    checkString(lens, "lens");
    checkString(file, "file");
    checkBoolean(exclude, "exclude");
    this.#open().transform(lens, file, exclude);
  }

  /**
   * The text `save` would write for the file owning `path` (any node in the file), or null if no
   * file owns it; writes nothing. Works whether or not the file was loaded with spans.
   */
  preview(path: StringOrBytes): string | null;
  preview<O extends EncodingOptions>(path: StringOrBytes, options: O): TextOf<O> | null;
  preview(path: StringOrBytes, options?: EncodingOptions): string | Buffer | null {
    checkPath(path, "path");
    const buffer = wantsBuffer(options);
    const handle = this.#open();
    const file = fileNodeOf(handle, path);
    if (file === null) return null;
    try {
      return previewFile(handle, file, buffer);
    } catch (error) {
      // The lens put failed (libaugeas sets no code; aug_text_retrieve's is ETEXT): EFAILED either
      // way, with the file's problem from /augeas/text.
      if (!(error instanceof AugeasError) || (error.code !== "EFAILED" && error.code !== "ETEXT")) throw error;
      const node = unescapePathBytes(file.node);
      const files = readFileErrorRecords(handle, "text").filter((r) => r.fileBytes?.equals(node) === true).map((r) => r.error);
      throw withFiles(new AugeasError({ code: "EFAILED", message: error.augeasMessage }), "preview", files);
    }
  }

  /** Path of the top node (under /files) of the file owning `path`, or null; also for files loaded with spans. */
  source(path: StringOrBytes): string | null;
  source<O extends EncodingOptions>(path: StringOrBytes, options: O): TextOf<O> | null;
  source(path: StringOrBytes, options?: EncodingOptions): string | Buffer | null {
    checkPath(path, "path");
    const buffer = wantsBuffer(options);
    const file = fileNodeOf(this.#open(), path);
    return file === null ? null : encodeAs(file.node, buffer);
  }

  /** Where the node came from in its file; ENOSPAN unless its file was loaded with spans. */
  span(path: StringOrBytes): Span;
  span<O extends EncodingOptions>(path: StringOrBytes, options: O): Span<TextOf<O>>;
  span(path: StringOrBytes, options?: EncodingOptions): Span<string | Buffer> {
    checkPath(path, "path");
    return this.#open().span(path, wantsBuffer(options));
  }

  /** Defines `$name` as `expr` (null removes it); returns its node count, 0 for non-nodesets. */
  defvar(name: StringOrBytes, expr: StringOrBytes | null): number {
    checkString(name, "name");
    checkNullablePath(expr, "expr");
    return this.#open().defvar(name, expr);
  }

  /** Defines `$name` as the nodeset `expr`, creating one node with `value` if it is empty. */
  defnode(name: StringOrBytes, expr: StringOrBytes, value: StringOrBytes | null): DefnodeResult {
    checkString(name, "name");
    checkPath(expr, "expr");
    checkNullableString(value, "value");
    const handle = this.#open();
    checkDefnodeExpression(handle, expr);
    return handle.defnode(name, expr, value);
  }

  /** Parses the value of `node` with `lens` into the tree at `path`. */
  textStore(lens: StringOrBytes, node: StringOrBytes, path: StringOrBytes): void {
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
  textRetrieve(lens: StringOrBytes, nodeIn: StringOrBytes, path: StringOrBytes, nodeOut: StringOrBytes): void {
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
  escapeName(label: StringOrBytes): string;
  escapeName<O extends EncodingOptions>(label: StringOrBytes, options: O): TextOf<O>;
  escapeName(label: StringOrBytes, options?: EncodingOptions): string | Buffer {
    checkString(label, "label");
    return this.#open().escapeName(label, wantsBuffer(options));
  }

  /**
   * The nodes matching `path` (default: everything, `/*`) and their descendants, one line each
   * as augtool prints them: `PATH` or `PATH = "VALUE"` (values C-escaped: a byte that is not
   * ASCII prints as `\351`; labels in PATH are not escaped).
   */
  print(path?: StringOrBytes | null): string;
  print<O extends EncodingOptions>(path: StringOrBytes | null | undefined, options: O): TextOf<O>;
  print(path?: StringOrBytes | null, options?: EncodingOptions): string | Buffer {
    const target = path ?? null;
    checkNullablePath(target, "path");
    return this.#open().print(target, wantsBuffer(options));
  }

  /**
   * Runs augtool commands (one a line; `help` lists them) and returns what they printed. Each
   * line gets the guards the matching method has (limits, mv/cp/rename/defnode); `dump-xml` and
   * `help COMMAND`, which libaugeas 1.14 prints to the process's stdout, are refused (EGUARD).
   * A failing command throws AugeasError (usually ECMDRUN) with `output` holding what the earlier
   * lines printed; the lines after it do not run. `quit` stops the run without an error.
   */
  srun(text: StringOrBytes): SrunResult;
  srun<O extends EncodingOptions>(text: StringOrBytes, options: O): SrunResult<TextOf<O>>;
  srun(text: StringOrBytes, options?: EncodingOptions): SrunResult<string | Buffer> {
    checkString(text, "text");
    const buffer = wantsBuffer(options);
    const handle = this.#open();
    const outputs: Buffer[] = [];
    let count = 0;
    for (const line of scriptLines(asBuffer(text))) {
      try {
        this.#guardScriptLine(handle, line.bytes);
        const { result, output } = handle.srun(line.bytes, true);
        outputs.push(output);
        count++;
        if (result === -2) return { count, quit: true, output: encodeAs(Buffer.concat(outputs), buffer) };
      } catch (error) {
        if (!(error instanceof AugeasError)) throw error;
        if (error.output instanceof Buffer) outputs.push(error.output);
        throw new AugeasError({
          code: error.code,
          message: error.augeasMessage,
          ...(error.minorMessage !== undefined ? { minorMessage: error.minorMessage } : {}),
          ...(error.details !== undefined ? { details: error.details } : {}),
          output: encodeAs(Buffer.concat(outputs), buffer),
        });
      }
    }
    return { count, quit: false, output: encodeAs(Buffer.concat(outputs), buffer) };
  }

  #guardScriptLine(handle: NativeHandle, line: Buffer): void {
    const problem = lineLimitProblem(line);
    const shown = (): string => line.toString("utf8");
    if (problem !== undefined) throw guardError(`srun: the line ${JSON.stringify(shown().slice(0, 80))} ${problem} (libaugeas 1.14 can crash or stall on such paths)`);
    const command: ParsedCommand | undefined = parseLine(line);
    // A line that does not parse runs nothing: libaugeas reports why.
    if (command === undefined) return;
    const [a, b] = command.args;
    switch (command.name) {
      case "mv":
      case "move":
      case "cp":
      case "copy":
        if (a !== undefined && b !== undefined) checkMoveOrCopy(handle, command.name === "mv" || command.name === "move" ? "mv" : "cp", a, b);
        break;
      case "rename":
        if (a !== undefined) checkRename(handle, a);
        break;
      case "defnode":
        if (b !== undefined) checkDefnodeExpression(handle, b);
        break;
      case "dump-xml":
        throw guardError("srun: dump-xml is refused: libaugeas 1.14 prints its XML to the process's stdout, not to srun's output");
      case "help":
        if (a !== undefined) throw guardError("srun: help COMMAND is refused: libaugeas 1.14 prints part of it to the process's stdout; plain help is fine");
        break;
      case "span":
        // Without exactly one /augeas/span node, span prints its complaint to stdout.
        if (handle.match("/augeas/span", true).length !== 1) throw guardError("srun: span is refused while /augeas/span is missing: libaugeas 1.14 prints its complaint to the process's stdout");
        break;
    }
  }

  /** Number of nodes in variable `$name`; EFAILED if there is no such variable or it holds no node set. */
  nsCount(name: StringOrBytes): number {
    checkString(name, "name");
    const count = this.#open().nsCount(name);
    if (count < 0) {
      throw new AugeasError({ code: "EFAILED", message: `nsCount: there is no variable $${asBuffer(name).toString("utf8")} holding a node set` });
    }
    return count;
  }

  /** Value of the node at 0-based `index` in `$name` (null if it has none); ENOMATCH past the end. */
  nsValue(name: StringOrBytes, index: number): string | null;
  nsValue<O extends EncodingOptions>(name: StringOrBytes, index: number, options: O): TextOf<O> | null;
  nsValue(name: StringOrBytes, index: number, options?: EncodingOptions): string | Buffer | null {
    checkString(name, "name");
    checkIndex(index, "index");
    return this.#open().nsValue(name, index, wantsBuffer(options));
  }

  /** Label of the node at `index` in `$name`, and its 1-based position among same-labelled siblings (0 if alone). */
  nsLabel(name: StringOrBytes, index: number): NodeLabel;
  nsLabel<O extends EncodingOptions>(name: StringOrBytes, index: number, options: O): NodeLabel<TextOf<O>>;
  nsLabel(name: StringOrBytes, index: number, options?: EncodingOptions): NodeLabel<string | Buffer> {
    checkString(name, "name");
    checkIndex(index, "index");
    return this.#open().nsLabel(name, index, wantsBuffer(options));
  }

  /** Value, label and owning file (as `source`) of the node at `index` in `$name`. */
  nsAttr(name: StringOrBytes, index: number): NodeAttributes;
  nsAttr<O extends EncodingOptions>(name: StringOrBytes, index: number, options: O): NodeAttributes<TextOf<O>>;
  nsAttr(name: StringOrBytes, index: number, options?: EncodingOptions): NodeAttributes<string | Buffer> {
    checkString(name, "name");
    checkIndex(index, "index");
    const buffer = wantsBuffer(options);
    const handle = this.#open();
    const attrs = handle.nsAttr(name, index, true);
    const file = attrs.file === null ? null : resolveSource(handle, attrs.file, () => handle.nsPath(name, index, true)).node;
    const out = (b: Buffer | null): string | Buffer | null => (b === null ? null : encodeAs(b, buffer));
    return { value: out(attrs.value), label: out(attrs.label), file: out(file) };
  }

  /** Fully qualified path of the node at `index` in `$name`. */
  nsPath(name: StringOrBytes, index: number): string;
  nsPath<O extends EncodingOptions>(name: StringOrBytes, index: number, options: O): TextOf<O>;
  nsPath(name: StringOrBytes, index: number, options?: EncodingOptions): string | Buffer {
    checkString(name, "name");
    checkIndex(index, "index");
    return this.#open().nsPath(name, index, wantsBuffer(options));
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
