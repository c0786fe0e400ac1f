/**
 * machinad runs without node's --enable-source-maps (node-flags.ts): the
 * stack traces it logs are mapped to the TypeScript sources when logged
 * (stack-trace.ts), from the real bundles and their real maps. And the
 * daemon and its Augeas host run with the node options the installed
 * wrapper gives (the install-layout test checks the wrapper).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { loggedStack } from "@machina/server";
import { MACHINAD_NODE_FLAGS } from "@machina/server/node-flags";
import { REPO_ROOT } from "./harness/command.js";
import { startDaemon } from "./harness/daemon.js";
import { Sandbox } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";

const BUNDLE_DIR = path.join(REPO_ROOT, "packages/server/bundle");

/** The 1-based line and column where `text` starts in the bundle `file`. */
function whereIn(file: string, text: string): { line: number; column: number } {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const line = lines.findIndex((l) => l.includes(text));
  assert.ok(line >= 0, `${text} is in ${file}`);
  return { line: line + 1, column: lines[line]!.indexOf(text) + 1 };
}

/** The source line a mapped frame points at. */
function sourceLineOf(frame: string): { file: string; text: string } {
  const m = /\((\/[^():]+\.ts):(\d+):(\d+)\)$/.exec(frame);
  assert.ok(m, `the frame points at a .ts file: ${frame}`);
  return { file: m[1]!, text: fs.readFileSync(m[1]!, "utf8").split("\n")[Number(m[2]) - 1]! };
}

for (const [bundle, fn, source] of [
  ["machinad-program.cjs", "function parseLine(", "packages/server/src/transport/session.ts"],
  ["host-main.cjs", "function fingerprint(", "packages/server/src/augeas/snapshots.ts"],
] as const) {
  test(`a frame in ${bundle} is logged as the line of the TypeScript source it was built from (${fn.slice(9, -1)})`, () => {
    const file = path.join(BUNDLE_DIR, bundle);
    const at = whereIn(file, fn);
    const error = new Error("boom");
    error.stack = `Error: boom\n    at ${fn.slice(9, -1)} (${file}:${at.line}:${at.column})\n    at node:internal/main:1:1`;
    const [first, mapped, internal] = loggedStack(error).split("\n");
    assert.equal(first, "Error: boom");
    const { file: src, text } = sourceLineOf(mapped!);
    assert.equal(src, path.join(REPO_ROOT, source));
    assert.ok(text.includes(fn.slice(0, -1)), `the mapped line declares the function: ${text}`);
    assert.equal(internal, "    at node:internal/main:1:1", "a frame without a map is left as it was");
  });
}

test("frames of files without a source map, and messages without a stack, are logged unchanged", () => {
  const error = new Error("plain");
  error.stack = `Error: plain\n    at f (${path.join(REPO_ROOT, "package.json")}.js:1:1)\n    at /nonexistent/x.cjs:3:4`;
  assert.equal(loggedStack(error), error.stack);
  const bare = new Error("no stack");
  delete (bare as { stack?: string }).stack;
  assert.equal(loggedStack(bare), "no stack");
});

test("machinad and its Augeas host run with MACHINAD_NODE_FLAGS and without node's source-map support", async () => {
  const sandbox = Sandbox.create();
  const daemon = await startDaemon(sandbox);
  try {
    const cmdline = (pid: number | string) => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const host = await waitFor(() => {
      const kids = fs.readFileSync(`/proc/${daemon.pid}/task/${daemon.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      // The host may run under prlimit(1), which execs node: look for the host's script.
      return kids.find((k) => cmdline(k).some((a) => a.endsWith("host-main.cjs")));
    }, "the Augeas host to be running");
    for (const [who, argv] of [["machinad", cmdline(daemon.pid)], ["the Augeas host", cmdline(host)]] as const) {
      for (const flag of MACHINAD_NODE_FLAGS) assert.ok(argv.includes(flag), `${who} runs with ${flag}: ${argv.join(" ")}`);
      assert.ok(!argv.includes("--enable-source-maps"), `${who} does not parse source maps at load: ${argv.join(" ")}`);
    }
  } finally {
    await daemon.stop();
    sandbox.cleanup();
  }
});
