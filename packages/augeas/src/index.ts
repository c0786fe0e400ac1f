export { Augeas } from "./augeas.js";
export { AugeasError, GUARD_CODE, type AugeasErrorInit, type FileError } from "./errors.js";
export { MAX_PATH_BYTES, MAX_PATH_NESTING, MAX_PATH_STEPS } from "./path-limits.js";
export type { AugeasOptions, SaveMode } from "./options.js";
export type { DefnodeResult, NodeAttributes, NodeLabel, Span, SpanRange, SrunResult } from "./results.js";
export type { BufferEncodingOptions, EncodingOptions, StringOrBytes, TextEncoding } from "./text.js";
