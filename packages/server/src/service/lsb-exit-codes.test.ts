import assert from "node:assert/strict";
import { test } from "node:test";
import { describeActionExit, stateFromStatusExit } from "#src/service/lsb-exit-codes.js";

test("LSB status exit codes map onto the status model", () => {
  assert.equal(stateFromStatusExit(0), "active");
  assert.equal(stateFromStatusExit(1), "failed", "dead, pid file exists");
  assert.equal(stateFromStatusExit(2), "failed", "dead, lock file exists");
  assert.equal(stateFromStatusExit(3), "inactive");
  assert.equal(stateFromStatusExit(4), "unknown");
  assert.equal(stateFromStatusExit(150), "unknown", "distribution-specific codes are not guessed at");
  assert.equal(stateFromStatusExit(255), "unknown");
});

test("non-zero exits of the other actions are described in LSB's words", () => {
  assert.match(describeActionExit(3), /unimplemented/);
  assert.match(describeActionExit(5), /not installed/);
  assert.match(describeActionExit(6), /not configured/);
  assert.equal(describeActionExit(42), "exit status 42");
});
