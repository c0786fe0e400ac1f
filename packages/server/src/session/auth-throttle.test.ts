import assert from "node:assert/strict";
import { test } from "node:test";
import { AuthThrottle } from "#src/session/auth-throttle.js";

test("the penalty doubles per failure of one uid, up to the cap, and never touches another uid", () => {
  let now = 0;
  const t = new AuthThrottle(100, 5000, 60_000, () => now);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map(() => t.failure(1001)), [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  // Another uid (the panel's, when the guesser runs under another one) starts from the bottom.
  assert.equal(t.nextPenalty(33), 100);
  assert.equal(t.failure(33), 100);
  // A minute without failures forgets them.
  now += 60_000;
  assert.equal(t.failure(1001), 100);
});
