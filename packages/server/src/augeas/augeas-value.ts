/**
 * Node values between the protocol and libaugeas, byte for byte: a client's
 * value (a string, or `{ base64 }` with exact bytes) as libaugeas must store
 * it, and libaugeas' bytes as the protocol's value (a string when they are
 * UTF-8, `{ base64 }` otherwise: @machina/protocol's valueFromBytes).
 */
import { Base64Error, bytesOfValue, type AugeasValueForm } from "@machina/protocol";
import { InvalidParamsFault } from "../faults.js";

/**
 * The argument libaugeas gets for a client's value: a string as it came (the
 * schema refused NUL and lone surrogates), the bytes of `{ base64 }`, or null.
 * A byte form holding NUL is refused (`invalid-params`): libaugeas stores
 * NUL-terminated strings and would cut the value short. `param` is the
 * value's JSON pointer in the call's params.
 */
export function augeasValueArg(value: AugeasValueForm, param: string): string | Buffer | null {
  if (value === null || typeof value === "string") return value;
  let bytes: Buffer;
  try {
    bytes = bytesOfValue(value);
  } catch (e) {
    if (e instanceof Base64Error) throw new InvalidParamsFault(`${param}: ${e.message}`, { param: `${param}/base64` });
    throw e;
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InvalidParamsFault(`${param}: the value's bytes hold a NUL (at byte ${nul}), which libaugeas cannot store`, { param });
  return bytes;
}

/** How many bytes a value holds (for the edit budget), without decoding it. */
export function valueByteLength(value: AugeasValueForm | undefined): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "string") return Buffer.byteLength(value, "utf8");
  const b64 = value.base64;
  return (b64.length / 4) * 3 - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);
}
