/** Start (inclusive) and end (exclusive) byte offsets in the file. */
export interface SpanRange {
  start: number;
  end: number;
}

/** Where a node came from in its file (`Augeas#span`, needs spans: `enableSpan`). */
export interface Span<T extends string | Buffer = string> {
  filename: T | null;
  label: SpanRange;
  value: SpanRange;
  span: SpanRange;
}

/** Result of `Augeas#defnode`: nodes in the variable, and whether one was made. */
export interface DefnodeResult {
  count: number;
  created: boolean;
}

/** Result of `Augeas#srun`. */
export interface SrunResult<T extends string | Buffer = string> {
  /** Commands run (blank and `#` comment lines are no commands), `quit` included. */
  count: number;
  /** Whether a `quit` command ended the run (libaugeas' -2); later lines did not run. */
  quit: boolean;
  /** What the commands printed, as augtool would print it. */
  output: T;
}

/** Result of `Augeas#nsAttr`: one node of a variable's node set. */
export interface NodeAttributes<T extends string | Buffer = string> {
  value: T | null;
  label: T | null;
  /** The `/files` path of the file the node belongs to (as `source`), or null. */
  file: T | null;
}

/** Result of `Augeas#nsLabel`. */
export interface NodeLabel<T extends string | Buffer = string> {
  label: T | null;
  /** 1-based position among the siblings with the same label, or 0 if it has none. */
  index: number;
}
