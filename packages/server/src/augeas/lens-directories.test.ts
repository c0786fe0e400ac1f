import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { lensDirectoryProblems, scrubAugeasEnvironment, STANDARD_LENS_DIRECTORIES } from "#src/augeas/lens-directories.js";

test("the system's lens directories are acceptable", () => {
  assert.deepEqual(lensDirectoryProblems(STANDARD_LENS_DIRECTORIES), []);
});

test("a lens directory writable by others, or owned by another user, is refused", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lenses-"));
  try {
    fs.chmodSync(dir, 0o777);
    assert.match(lensDirectoryProblems([dir]).join(), /writable by others/);
    fs.chmodSync(dir, 0o755);
    assert.deepEqual(lensDirectoryProblems([dir]), []);
    fs.chownSync(dir, 65534, 65534);
    assert.match(lensDirectoryProblems([dir]).join(), /owned by uid 65534/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("AUGEAS_LENS_LIB and AUGEAS_ROOT are cleared", () => {
  const env: NodeJS.ProcessEnv = { AUGEAS_LENS_LIB: "/tmp/evil", AUGEAS_ROOT: "/tmp/x", PATH: "/bin" };
  scrubAugeasEnvironment(env);
  assert.deepEqual(env, { PATH: "/bin" });
});
