export { Augeas } from "./augeas.js";
export { AugeasError, type AugeasErrorInit, type FileError } from "./errors.js";
export type { AugeasOptions, SaveMode } from "./options.js";
export type { DefnodeResult, Span, SpanRange } from "./results.js";
