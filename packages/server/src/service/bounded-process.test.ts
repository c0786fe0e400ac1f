import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { runBounded } from "#src/service/bounded-process.js";

const ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" };

/** True when the process is gone or a zombie (in a container, PID 1 may never reap it). */
function dead(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("Z");
  } catch {
    return true;
  }
}

test("the program gets exactly the environment given, an argument vector and no shell", async () => {
  const r = await runBounded("/usr/bin/env", [], { env: ENV, timeoutMs: 10_000, maxOutputBytes: 4096 });
  assert.equal(r.code, 0);
  assert.deepEqual(r.output.trim().split("\n").sort(), ["LANG=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]);
  const echo = await runBounded("/bin/echo", ["$(id)", ";", "`id`"], { env: ENV, timeoutMs: 10_000, maxOutputBytes: 4096 });
  assert.equal(echo.output, "$(id) ; `id`\n", "arguments are passed as they are, never interpreted");
});

test("output beyond the cap is dropped and marked; the exit status is kept", async () => {
  const r = await runBounded("/bin/sh", ["-c", "head -c 100000 /dev/zero | tr '\\0' x; exit 4"], { env: ENV, timeoutMs: 10_000, maxOutputBytes: 1000 });
  assert.equal(r.code, 4);
  assert.equal(r.output, "x".repeat(1000));
  assert.equal(r.truncated, true);
});

test("a timeout kills the program and everything in its process group", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-bounded-"));
  try {
    const pidFile = path.join(dir, "child");
    const r = await runBounded("/bin/sh", ["-c", `sleep 3600 & echo $! > ${pidFile}; wait`], { env: ENV, timeoutMs: 300, maxOutputBytes: 1000 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, "SIGKILL");
    const child = Number(fs.readFileSync(pidFile, "utf8"));
    assert.ok(child > 0);
    for (let i = 0; i < 200 && !dead(child); i++) await new Promise((res) => setTimeout(res, 10));
    assert.ok(dead(child), "the script's child was killed with it");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a missing program rejects instead of hanging", async () => {
  await assert.rejects(runBounded("/nonexistent/program", [], { env: ENV, timeoutMs: 10_000, maxOutputBytes: 10 }), /ENOENT/);
});
