// Byte codecs for command I/O (base64, base85) and the `encoding` names the protocol uses.
export { BASE64_PATTERN, Base64Error, decodeBase64Bytes, encodeBase64Bytes } from "./base64.js";
export { BASE85_ALPHABET, Base85Error, decodeBase85, encodeBase85 } from "./base85.js";
export { BYTE_ENCODINGS, decodeBytes, encodeBytes, type ByteEncoding } from "./byte-encoding.js";
// Augeas values: a string when UTF-8, `{ base64 }` otherwise (byte-exact files).
export {
  AUGEAS_VALUE_MAX_BASE64,
  AUGEAS_VALUE_MAX_BYTES,
  bytesOfValue,
  isAugeasBytes,
  valueFromBytes,
  valueText,
  type AugeasBytes,
  type AugeasValueForm,
} from "./augeas-bytes.js";
