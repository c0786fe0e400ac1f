/** Start (inclusive) and end (exclusive) byte offsets in the file. */
export interface SpanRange {
  start: number;
  end: number;
}

/** Where a node came from in its file (`Augeas#span`, needs `enableSpan`). */
export interface Span {
  filename: string | null;
  label: SpanRange;
  value: SpanRange;
  span: SpanRange;
}

/** Result of `Augeas#defnode`: nodes in the variable, and whether one was made. */
export interface DefnodeResult {
  count: number;
  created: boolean;
}
