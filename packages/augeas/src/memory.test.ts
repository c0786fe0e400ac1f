import assert from "node:assert/strict";
import { test } from "node:test";
import { makeSandbox, openSandbox } from "./fixture-sandbox.test-support.js";

// A leak check, not a benchmark: a million get/match round-trips must not
// grow the process. Run with --expose-gc for a tighter reading.
test("a million get calls keep memory flat", (t) => {
  const sandbox = makeSandbox();
  const aug = openSandbox(sandbox);
  const gc = (globalThis as { gc?: () => void }).gc;
  const settle = (): number => {
    gc?.();
    return process.memoryUsage().rss;
  };
  const paths = ["/files/etc/hosts/2/canonical", "/files/etc/hosts/2", "/files/etc/nothing"];
  let sink = 0;
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const v = aug.get(paths[i % 3] as string);
      sink += v === undefined ? 0 : v === null ? 1 : v.length;
    }
  };
  try {
    run(100_000);
    aug.match("/files/etc/hosts/*");
    const before = settle();
    run(1_000_000);
    for (let i = 0; i < 20_000; i++) sink += aug.match("/files/etc/hosts/*").length;
    const after = settle();
    const growthMb = (after - before) / 2 ** 20;
    t.diagnostic(`rss before ${(before / 2 ** 20).toFixed(1)} MB, after ${(after / 2 ** 20).toFixed(1)} MB, growth ${growthMb.toFixed(2)} MB (gc ${gc ? "on" : "off"})`);
    assert.ok(sink > 0);
    assert.ok(growthMb < 20, `rss grew by ${growthMb.toFixed(1)} MB`);
  } finally {
    aug.close();
    sandbox.remove();
  }
});
