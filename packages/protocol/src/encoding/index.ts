// Byte codecs for command I/O (base64, base85) and the `encoding` names the protocol uses.
export { Base64Error, decodeBase64Bytes, encodeBase64Bytes } from "./base64.js";
export { BASE85_ALPHABET, Base85Error, decodeBase85, encodeBase85 } from "./base85.js";
export { BYTE_ENCODINGS, decodeBytes, encodeBytes, type ByteEncoding } from "./byte-encoding.js";
