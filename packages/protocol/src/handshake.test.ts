import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import {
  clientProof,
  decodeBase64,
  encodeBase64,
  formatKey,
  generateKey,
  hmacSha512,
  KeyFormatError,
  newNonce,
  parseKey,
  proofsEqual,
  serverProof,
} from "#src/handshake.js";

// The vectors published in README.md; a change here is a protocol break.
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const CN = new Uint8Array(32).fill(1);
const SN = new Uint8Array(32).fill(2);
const CLIENT = "rPvEuNOmxUlrlzoHcm+VcZHxn2UT2p1JBNyFlzsdJoefQ06Xt1WYi5RwK8Yid9FjWJ6IG92l1Vg4s8ZL9tPA+g==";
const SERVER = "eW3QBy9zKwsmeWAO/5pQvcdfe9lWuSTZ86fq555t/HyU6ayx66OmRj0gwMC4FsLE+PrfP5Tjs5lDW0u+VQU4hw==";

test("proofs match the published test vectors", () => {
  assert.equal(encodeBase64(clientProof(KEY, CN, SN)), CLIENT);
  assert.equal(encodeBase64(serverProof(KEY, CN, SN)), SERVER);
});

test("HMAC-SHA-512 agrees with node:crypto for short, block-sized and long keys", () => {
  for (const keyLen of [0, 1, 32, 128, 129, 300]) {
    const key = randomBytes(keyLen);
    const msg = randomBytes(keyLen * 3 + 7);
    assert.equal(
      Buffer.from(hmacSha512(key, msg)).toString("hex"),
      createHmac("sha512", key).update(msg).digest("hex"),
      `key length ${keyLen}`,
    );
  }
});

test("RFC 4231 test case 2 (HMAC-SHA-512)", () => {
  const mac = hmacSha512(new TextEncoder().encode("Jefe"), new TextEncoder().encode("what do ya want for nothing?"));
  assert.equal(
    Buffer.from(mac).toString("hex"),
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
  );
});

test("client and server proofs differ, and depend on both nonces and the key", () => {
  const c = clientProof(KEY, CN, SN);
  assert.ok(!proofsEqual(c, serverProof(KEY, CN, SN)), "a client proof must not pass as a server proof");
  assert.ok(!proofsEqual(c, clientProof(KEY, CN, newNonce())), "fresh server nonce changes the proof");
  assert.ok(!proofsEqual(c, clientProof(KEY, newNonce(), SN)), "fresh client nonce changes the proof");
  assert.ok(!proofsEqual(c, clientProof(generateKey(), CN, SN)), "another key changes the proof");
  assert.ok(proofsEqual(c, clientProof(KEY, CN, SN)));
});

test("proofsEqual refuses different lengths and empty proofs", () => {
  const c = clientProof(KEY, CN, SN);
  assert.equal(proofsEqual(c, c.subarray(0, 32)), false);
  assert.equal(proofsEqual(new Uint8Array(0), new Uint8Array(0)), false);
});

test("keys parse from one line of base64 and refuse anything else without echoing it", () => {
  const key = generateKey();
  assert.deepEqual(parseKey(formatKey(key)), key);
  assert.deepEqual(parseKey("  " + encodeBase64(key) + "\n\n"), key);
  for (const bad of ["", "not base64!", encodeBase64(new Uint8Array(31)), encodeBase64(new Uint8Array(33)), "AAAA AAAA"]) {
    assert.throws(() => parseKey(bad), (e: unknown) => e instanceof KeyFormatError && (bad === "" || !e.message.includes(bad)));
  }
});

test("decodeBase64 is strict", () => {
  assert.equal(decodeBase64("AAEC", 3)?.length, 3);
  assert.equal(decodeBase64("AAEC", 2), undefined);
  assert.equal(decodeBase64("AA*C", 3), undefined);
  assert.equal(decodeBase64("AAE", 2), undefined);
});

test("nonces are fresh", () => {
  assert.notDeepEqual(newNonce(), newNonce());
  assert.equal(newNonce().length, 32);
});
