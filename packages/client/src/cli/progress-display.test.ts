import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import type { CliIo } from "#src/cli/io.js";
import { progressDisplay } from "#src/cli/progress-display.js";

function io(tty: boolean): { io: CliIo; err: () => string } {
  let err = "";
  const stderr = { write: (t: string | Uint8Array) => (err += String(t)), isTTY: tty, columns: 100 };
  return { io: { stdout: { write: () => true }, stderr, stdin: Readable.from([]), env: {} }, err: () => err };
}

const update = { id: 1, phase: "dpkg", percent: 50, message: "Unpacking hello (amd64)" };

test("on a terminal: one bar redrawn in place, cleared when done", () => {
  const t = io(true);
  const d = progressDisplay(t.io, false);
  d.update(update);
  d.update({ ...update, percent: 100, message: "Installed hello (amd64)" });
  d.done();
  const frames = t.err().split("\r\x1b[K");
  assert.deepEqual(frames, ["", `[############------------]  50% dpkg: Unpacking hello (amd64)`, `[########################] 100% dpkg: Installed hello (amd64)`, ""]);
  assert.equal(t.err().includes("\n"), false);
});

test("elsewhere: plain lines; with --json: nothing", () => {
  const plain = io(false);
  const d = progressDisplay(plain.io, false);
  d.update(update);
  d.update({ id: 1, phase: "running", percent: null, message: "started /bin/echo" });
  d.done();
  assert.equal(plain.err(), "progress: dpkg 50% Unpacking hello (amd64)\nprogress: running started /bin/echo\n");
  const json = io(true);
  progressDisplay(json.io, true).update(update);
  assert.equal(json.err(), "");
});
