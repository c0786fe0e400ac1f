import type { NativeFlags } from "./native.js";

/**
 * - `overwrite` (default): replace the file.
 * - `backup`: keep the original as FILE.augsave.
 * - `newfile`: write FILE.augnew and leave FILE untouched.
 * - `noop`: write nothing, only record under /augeas/events/saved.
 */
export type SaveMode = "overwrite" | "backup" | "newfile" | "noop";

export interface AugeasOptions {
  /** Filesystem root; default AUGEAS_ROOT from the environment, else "/". */
  root?: string;
  /** Extra lens directories, searched before the built-in ones. */
  loadPath?: string[];
  /** AUG_NO_MODL_AUTOLOAD: register no transforms; add them with `transform`. */
  noModuleAutoload?: boolean;
  /** AUG_NO_LOAD: do not load files while opening. */
  noLoad?: boolean;
  saveMode?: SaveMode;
  /** AUG_ENABLE_SPAN: record where nodes came from, for `span`. */
  enableSpan?: boolean;
  /** AUG_TYPE_CHECK: typecheck lenses (slow). */
  typeCheck?: boolean;
  /** AUG_NO_STDINC: do not search the built-in lens directory. */
  noStdinc?: boolean;
}

const booleanFlags = {
  noModuleAutoload: "NO_MODL_AUTOLOAD",
  noLoad: "NO_LOAD",
  enableSpan: "ENABLE_SPAN",
  typeCheck: "TYPE_CHECK",
  noStdinc: "NO_STDINC",
} as const satisfies Record<string, keyof NativeFlags>;

const saveModeFlags = {
  overwrite: null,
  backup: "SAVE_BACKUP",
  newfile: "SAVE_NEWFILE",
  noop: "SAVE_NOOP",
} as const satisfies Record<SaveMode, keyof NativeFlags | null>;

const knownOptions = new Set<string>(["root", "loadPath", "saveMode", ...Object.keys(booleanFlags)]);

export interface InitArguments {
  root: string | null;
  loadPath: string | null;
  flags: number;
}

function checkPathString(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") throw new TypeError(`${name} must be a non-empty string`);
  if (value.includes("\0")) throw new TypeError(`${name} must not contain NUL characters`);
  return value;
}

/** Validates options (unknown keys are refused: a typo must not silently drop a flag). */
export function toInitArguments(options: AugeasOptions, flags: NativeFlags): InitArguments {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key)) throw new TypeError(`unknown Augeas option: ${key}`);
  }
  let bits = 0;
  for (const [option, flag] of Object.entries(booleanFlags)) {
    const value: unknown = options[option as keyof typeof booleanFlags];
    if (value === undefined) continue;
    if (typeof value !== "boolean") throw new TypeError(`option ${option} must be a boolean`);
    if (value) bits |= flags[flag];
  }
  const saveMode: unknown = options.saveMode;
  if (saveMode !== undefined) {
    if (typeof saveMode !== "string" || !Object.hasOwn(saveModeFlags, saveMode)) {
      throw new TypeError(`option saveMode must be one of ${Object.keys(saveModeFlags).join(", ")}`);
    }
    const flag = saveModeFlags[saveMode as SaveMode];
    if (flag !== null) bits |= flags[flag];
  }
  const root = options.root === undefined ? null : checkPathString(options.root, "option root");
  let loadPath: string | null = null;
  if (options.loadPath !== undefined) {
    if (!Array.isArray(options.loadPath)) throw new TypeError("option loadPath must be an array of strings");
    // libaugeas takes a colon-separated list, so a colon cannot be expressed.
    for (const dir of options.loadPath) {
      if (checkPathString(dir, "option loadPath entry").includes(":")) {
        throw new TypeError("option loadPath entries must not contain ':'");
      }
    }
    loadPath = options.loadPath.length === 0 ? null : options.loadPath.join(":");
  }
  return { root, loadPath, flags: bits };
}
