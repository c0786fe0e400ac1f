import { createRequire } from "node:module";
import { AugeasError } from "./errors.js";
import type { Span, DefnodeResult } from "./results.js";

/** The C++ handle (src/native/augeas.cc); arguments are checked again there. */
export interface NativeHandle {
  get(path: string): string | null | undefined;
  label(path: string): string | null | undefined;
  set(path: string, value: string | null): void;
  setm(base: string, sub: string | null, value: string | null): number;
  match(path: string): string[];
  insert(path: string, label: string, before: boolean): void;
  mv(src: string, dst: string): void;
  cp(src: string, dst: string): void;
  rename(path: string, label: string): number;
  rm(path: string): number;
  save(): void;
  load(): void;
  loadFile(file: string): void;
  transform(lens: string, file: string, exclude: boolean): void;
  preview(path: string): string | null;
  source(path: string): string | null;
  span(path: string): Span;
  defvar(name: string, expr: string | null): number;
  defnode(name: string, expr: string, value: string | null): DefnodeResult;
  textStore(lens: string, node: string, path: string): void;
  textRetrieve(lens: string, nodeIn: string, path: string, nodeOut: string): void;
  escapeName(label: string): string;
  close(): void;
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
