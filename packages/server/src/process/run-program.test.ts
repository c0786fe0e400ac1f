import { test } from "node:test";
import assert from "node:assert/strict";
import { runProgram, SAFE_PATH } from "#src/process/run-program.js";

const env = { PATH: SAFE_PATH };
const base = { env, timeoutMs: 20_000, maxOutputBytes: 1 << 20 };

test("stdout, stderr, exit status and stdin travel separately and intact", async () => {
  const r = await runProgram("/bin/sh", ["-c", 'cat; echo err >&2; exit 3'], { ...base, stdin: Buffer.from([0, 1, 255, 10]) });
  assert.deepEqual(r.stdout, Buffer.from([0, 1, 255, 10]));
  assert.equal(r.stderr.toString(), "err\n");
  assert.equal(r.exitCode, 3);
  assert.equal(r.signal, null);
  assert.equal(r.timedOut, false);
  assert.equal(r.truncated, false);
});

test("the environment is exactly the one given", async () => {
  process.env["MACHINA_TEST_LEAK"] = "leaked";
  try {
    const r = await runProgram("/usr/bin/env", [], { ...base, env: { PATH: SAFE_PATH, LANG: "C.UTF-8" } });
    assert.deepEqual(r.stdout.toString().trim().split("\n").sort(), ["LANG=C.UTF-8", `PATH=${SAFE_PATH}`]);
  } finally {
    delete process.env["MACHINA_TEST_LEAK"];
  }
});

test("a timeout stops the whole process group", async () => {
  const r = await runProgram("/bin/sh", ["-c", "sleep 30 & sleep 30; echo never"], { ...base, timeoutMs: 300, killGraceMs: 200 });
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, null);
  assert.ok(r.signal === "SIGTERM" || r.signal === "SIGKILL", String(r.signal));
  assert.equal(r.stdout.toString(), "");
});

test("output beyond the cap is cut and ends the program", async () => {
  const r = await runProgram("/usr/bin/yes", ["flood"], { ...base, maxOutputBytes: 10_000 });
  assert.equal(r.truncated, true);
  assert.equal(r.stdout.length, 10_000);
  assert.equal(r.signal, "SIGKILL");
  assert.equal(r.timedOut, false);
});

test("lines on file descriptor 3 reach onStatusLine, and a program that cannot start rejects", async () => {
  const lines: string[] = [];
  const r = await runProgram("/bin/sh", ["-c", "printf 'a:1\\nb:2\\npartial' >&3; echo out"], { ...base, onStatusLine: (l) => lines.push(l) });
  assert.deepEqual(lines, ["a:1", "b:2"]);
  assert.equal(r.stdout.toString(), "out\n");
  await assert.rejects(runProgram("/nonexistent/program", [], base), (e: NodeJS.ErrnoException) => e.code === "ENOENT");
});

test("uid and gid are dropped to the ones given", async () => {
  const r = await runProgram("/usr/bin/id", [], { ...base, uid: 65534, gid: 65534 });
  assert.match(r.stdout.toString(), /^uid=65534\(nobody\) gid=65534\(nogroup\) groups=65534\(nogroup\)$/m);
});
