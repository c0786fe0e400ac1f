/**
 * Strings that reach C unchanged. libaugeas keeps values, labels and paths as
 * NUL-terminated UTF-8, and execve takes arguments and environment values the
 * same way: a NUL would end them early, and a lone UTF-16 surrogate (which
 * JSON's `\ud800` escapes can carry, valid UTF-8 on the wire or not) has no
 * UTF-8 form and would be stored as U+FFFD. Such a string is refused as
 * `invalid-params` by the schema of every param that goes there, so no method
 * and no change of an `augeas.apply` can store something other than what the
 * client sent.
 */
import { Type, type StringOptions, type TString } from "@sinclair/typebox";

/** No NUL, and every surrogate in a pair (JSON Schema `pattern` text; also right under the `u` flag). */
export const STORABLE_TEXT_PATTERN = "^[^\\u0000\\ud800-\\udfff]*(?:[\\ud800-\\udbff][\\udc00-\\udfff][^\\u0000\\ud800-\\udfff]*)*$";

/** A string schema whose values must be storable text (see above). */
export function StorableText(options: StringOptions = {}): TString {
  return Type.String({ ...options, pattern: STORABLE_TEXT_PATTERN });
}
