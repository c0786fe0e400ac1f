/**
 * One problem libaugeas recorded under `/augeas//error`, usually for a file.
 *
 * - For files (`/augeas/files/FILE/error`), `file` is the file path
 *   (e.g. `/etc/hosts`) and `kind` the error node's value: `parse_failed`,
 *   `put_failed`, `read_failed`, `mk_augtemp`, `open_augnew`, `mxfm_load`, ...
 * - For transforms whose lens cannot be used (`/augeas/load/NAME/error`),
 *   `file` is the transform's `incl` pattern (one entry per pattern, `null`
 *   if it has none), `kind` is `"transform_failed"` and `message` is
 *   libaugeas' text (e.g. `Can not find lens Nope.lns`).
 * - For `textStore`/`textRetrieve` (`/augeas/text/PATH/error`), `file` is the
 *   tree PATH the text was stored from or to.
 */
export interface FileError {
  file: string | null;
  /** The `/augeas/...` error node this entry was read from. */
  node: string;
  kind: string;
  message?: string;
  /** 1-based line / character of a parse error, where libaugeas gives them. */
  line?: number;
  char?: number;
  /** 0-based position in the text of a parse error, where given. */
  pos?: number;
  /** Lens (file:line.col) that failed, where given. */
  lens?: string;
  /** Tree path that failed to match during a put, where given. */
  path?: string;
}

/** What the native layer passes when it throws; see `AugeasError`. */
export interface AugeasErrorInit {
  code: string;
  message: string;
  minorMessage?: string;
  details?: string;
  files?: readonly FileError[];
  /** srun: what the commands printed before the one that failed. */
  output?: string | Buffer;
}

/**
 * A libaugeas failure. `code` is libaugeas' own code name without `AUG_`
 * (`EPATHX`, `ENOMATCH`, `EMMATCH`, `ENOLENS`, `ELABEL`, `ENOSPAN`, ...), or,
 * when libaugeas failed without setting one, `ESAVE` (save), `ELOAD` (load,
 * loadFile), `ETEXT` (textStore, textRetrieve) or `EFAILED` (anything else).
 * `EGUARD` is a call the binding refused without calling libaugeas, because
 * libaugeas 1.14 would crash or stall on it (README.md, "Guards"); so are
 * `EMVDESC`/`ECPDESC` when `mv`/`cp` would put a node onto itself, its
 * ancestor or its descendant.
 */
export class AugeasError extends Error {
  readonly code: string;
  /** aug_error_message: the generic text for `code`. */
  readonly augeasMessage: string;
  /** aug_error_minor_message, e.g. what is wrong with a path expression. */
  readonly minorMessage: string | undefined;
  /** aug_error_details, e.g. where in the path expression it went wrong. */
  readonly details: string | undefined;
  /** Per-file problems read from `/augeas//error` (save, load, text calls). */
  readonly files: readonly FileError[];
  /** srun only: what the commands printed before the one that failed (a Buffer if asked for). */
  readonly output: string | Buffer | undefined;

  constructor(init: AugeasErrorInit) {
    const parts = [init.message, init.minorMessage, init.details].filter((p) => p !== undefined && p !== "");
    super(parts.join(": "));
    this.name = "AugeasError";
    this.code = init.code;
    this.augeasMessage = init.message;
    this.minorMessage = init.minorMessage;
    this.details = init.details;
    this.files = init.files ?? [];
    this.output = init.output;
  }
}

/** The code of a call the binding's own guards refused: libaugeas was not called. */
export const GUARD_CODE = "EGUARD";

export function guardError(message: string): AugeasError {
  return new AugeasError({ code: GUARD_CODE, message });
}
