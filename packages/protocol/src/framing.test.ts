import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeLine, FramingError, LineDecoder } from "#src/framing.js";

test("splits lines across arbitrary chunk boundaries", () => {
  const text = encodeLine({ a: 1 }) + encodeLine({ b: "é\n" }) + encodeLine([1, 2]);
  const bytes = Buffer.from(text);
  for (let size = 1; size <= bytes.length; size++) {
    const d = new LineDecoder();
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i += size) lines.push(...d.push(bytes.subarray(i, i + size)));
    assert.deepEqual(lines.map((l) => JSON.parse(l)), [{ a: 1 }, { b: "é\n" }, [1, 2]], `chunk size ${size}`);
    assert.equal(d.buffered, 0);
  }
});

test("a multi-byte character split between chunks decodes once whole", () => {
  const d = new LineDecoder();
  const bytes = Buffer.from('"€"\n');
  assert.deepEqual(d.push(bytes.subarray(0, 2)), []);
  assert.deepEqual(d.push(bytes.subarray(2)), ['"€"']);
});

test("an over-long line fails as soon as it exceeds the limit, even without a newline", () => {
  const d = new LineDecoder(16);
  assert.deepEqual(d.push(Buffer.from("x".repeat(16))), []);
  assert.throws(() => d.push(Buffer.from("y")), (e: unknown) => e instanceof FramingError && e.reason === "line-too-long");
  const d2 = new LineDecoder(16);
  assert.deepEqual(d2.push(Buffer.from("x".repeat(16) + "\n")), ["x".repeat(16)]);
  assert.throws(() => d2.push(Buffer.from("x".repeat(17) + "\n")), FramingError);
});

test("invalid UTF-8 is a framing error", () => {
  const d = new LineDecoder();
  assert.throws(() => d.push(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a])), (e: unknown) => e instanceof FramingError && e.reason === "invalid-utf8");
});

test("the default limit is 1 MiB", () => {
  const d = new LineDecoder();
  assert.equal(d.maxLineBytes, 1048576);
  assert.equal(d.push(Buffer.from("a".repeat(1048576) + "\n"))[0]?.length, 1048576);
  assert.throws(() => d.push(Buffer.alloc(1048577, 0x61)), FramingError);
});
