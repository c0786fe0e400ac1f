import { createRequire } from "node:module";
import { AugeasError } from "./errors.js";
import type { DefnodeResult, SpanRange } from "./results.js";
import type { StringOrBytes } from "./text.js";

/**
 * Text the addon returns: a string, or with `asBuffer` a Buffer of the exact bytes. Its
 * overloads keep the two apart for the type checker.
 */
type Text<B extends boolean | undefined> = B extends true ? Buffer : string;

/** The C++ handle (src/native/augeas.cc); arguments are checked again there. */
export interface NativeHandle {
  get<B extends boolean | undefined = undefined>(path: StringOrBytes, asBuffer?: B): Text<B> | null | undefined;
  label<B extends boolean | undefined = undefined>(path: StringOrBytes, asBuffer?: B): Text<B> | null | undefined;
  set(path: StringOrBytes, value: StringOrBytes | null): void;
  setm(base: StringOrBytes, sub: StringOrBytes | null, value: StringOrBytes | null): number;
  match<B extends boolean | undefined = undefined>(path: StringOrBytes, asBuffer?: B): Text<B>[];
  insert(path: StringOrBytes, label: StringOrBytes, before: boolean): void;
  mv(src: StringOrBytes, dst: StringOrBytes): void;
  cp(src: StringOrBytes, dst: StringOrBytes): void;
  rename(path: StringOrBytes, label: StringOrBytes): number;
  rm(path: StringOrBytes): number;
  save(): void;
  load(): void;
  loadFile(file: StringOrBytes): void;
  transform(lens: StringOrBytes, file: StringOrBytes, exclude: boolean): void;
  preview<B extends boolean | undefined = undefined>(path: StringOrBytes, asBuffer?: B): Text<B> | null;
  source<B extends boolean | undefined = undefined>(path: StringOrBytes, asBuffer?: B): Text<B> | null;
  span<B extends boolean | undefined = undefined>(path: StringOrBytes, asBuffer?: B): NativeSpan<Text<B>>;
  defvar(name: StringOrBytes, expr: StringOrBytes | null): number;
  defnode(name: StringOrBytes, expr: StringOrBytes, value: StringOrBytes | null): DefnodeResult;
  textStore(lens: StringOrBytes, node: StringOrBytes, path: StringOrBytes): void;
  textRetrieve(lens: StringOrBytes, nodeIn: StringOrBytes, path: StringOrBytes, nodeOut: StringOrBytes): void;
  escapeName<B extends boolean | undefined = undefined>(label: StringOrBytes, asBuffer?: B): Text<B>;
  /** aug_print into memory; `path` null prints everything (`/*`). */
  print<B extends boolean | undefined = undefined>(path: StringOrBytes | null, asBuffer?: B): Text<B>;
  /** aug_srun into memory; throws (with `output`) when aug_srun returns -1. */
  srun<B extends boolean | undefined = undefined>(text: StringOrBytes, asBuffer?: B): { result: number; output: Text<B> };
  nsAttr<B extends boolean | undefined = undefined>(name: StringOrBytes, index: number, asBuffer?: B): { value: Text<B> | null; label: Text<B> | null; file: Text<B> | null };
  nsLabel<B extends boolean | undefined = undefined>(name: StringOrBytes, index: number, asBuffer?: B): { label: Text<B> | null; index: number };
  nsValue<B extends boolean | undefined = undefined>(name: StringOrBytes, index: number, asBuffer?: B): Text<B> | null;
  /** -1 when there is no such variable or it is not a node set (libaugeas sets no error then). */
  nsCount(name: StringOrBytes): number;
  nsPath<B extends boolean | undefined = undefined>(name: StringOrBytes, index: number, asBuffer?: B): Text<B>;
  close(): void;
}

/** aug_span's answer as the addon gives it. */
export interface NativeSpan<T> {
  filename: T | null;
  label: SpanRange;
  value: SpanRange;
  span: SpanRange;
}

export interface NativeFlags {
  SAVE_BACKUP: number;
  SAVE_NEWFILE: number;
  TYPE_CHECK: number;
  NO_STDINC: number;
  SAVE_NOOP: number;
  NO_LOAD: number;
  NO_MODL_AUTOLOAD: number;
  ENABLE_SPAN: number;
}

interface NativeBinding {
  AugeasHandle: new (root: string | null, loadPath: string | null, flags: number) => NativeHandle;
  setErrorClass(errorClass: typeof AugeasError): void;
  flags: NativeFlags;
}

// Found by the package's own name (its "exports" list the addon), so that a bundle holding this
// module (machinad's, scripts/bundle.mjs) finds it too, through node_modules.
const require = createRequire(import.meta.url);
export const native = require("augeas-node-bindings/build/Release/augeas.node") as NativeBinding;

// Errors thrown by the addon are constructed as AugeasError directly.
native.setErrorClass(AugeasError);
