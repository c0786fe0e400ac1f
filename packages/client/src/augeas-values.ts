/**
 * Augeas values as the daemon sends and takes them, byte-exact: a string
 * when the value's bytes are valid UTF-8, `{ base64 }` (its exact bytes) when
 * they are not (a Latin-1 `café` in an old file), null for no value. A value
 * read with `augeas.get` can be sent back as it is; these turn it into bytes
 * and back (see @machina/protocol's AugeasValue).
 *
 * ```ts
 * const { value } = await m.augeas.get({ path });
 * fs.writeFileSync("value.bin", augeasValueBytes(value) ?? "");   // exactly the bytes in the file
 * await m.augeas.set({ path, value: augeasValueFromBytes(fs.readFileSync("value.bin")) });
 * ```
 */
import { bytesOfValue, valueFromBytes, valueText, type AugeasBytes, type AugeasValueForm } from "@machina/protocol";

/** A node's value: a string, `{ base64 }` (bytes that are not UTF-8), or null. */
export type AugeasValue = AugeasValueForm;

/**
 * The exact bytes of a value (null stays null). Throws for a malformed
 * `{ base64 }` (Base64Error) or a string with a lone surrogate (TypeError).
 */
export function augeasValueBytes(value: string | AugeasBytes): Buffer;
export function augeasValueBytes(value: AugeasValue): Buffer | null;
export function augeasValueBytes(value: AugeasValue): Buffer | null {
  return bytesOfValue(value);
}

/** The value to send for these bytes: a string when they are UTF-8, `{ base64 }` otherwise (the daemon's own form). */
export function augeasValueFromBytes(bytes: Uint8Array): string | AugeasBytes {
  return valueFromBytes(bytes);
}

/** A value as text for display: bytes that are not UTF-8 show as U+FFFD (lossy: never send this back for a byte value). */
export function augeasValueText(value: string | AugeasBytes): string;
export function augeasValueText(value: AugeasValue): string | null;
export function augeasValueText(value: AugeasValue): string | null {
  return valueText(value);
}
