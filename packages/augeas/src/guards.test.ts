import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tmpdir } from "node:os";
import { Augeas, AugeasError, GUARD_CODE, MAX_PATH_BYTES, MAX_PATH_NESTING, MAX_PATH_STEPS } from "#src/index.js";
import { describeOutcome, packageUrl, runChildScript } from "./child-script.test-support.js";

// Every call below used to crash libaugeas 1.14 (SIGSEGV) or stall it. Each runs in a child process on a fresh handle, so a
// regression shows as that child dying or timing out rather than the test runner. After the call
// the child walks the whole tree and closes the handle, which is where a corrupted tree crashes.

interface Report {
  result?: unknown;
  code?: string;
  message?: string;
  /** Number of nodes in the tree after the call (match "//*"). */
  nodes: number;
  /** label("/") after the call: null while the root has no label, as it should. */
  rootLabel: string | null | undefined;
}

/**
 * Runs `body` (statements with `aug` in scope; may `return` a result) in a child process, or in
 * a worker thread of the child (`stackSizeMb` as in Worker's resourceLimits, 4 by default).
 * Afterwards the child reads every node, removes the nodes the body added and closes the handle:
 * a tree libaugeas corrupted crashes there if not during the call.
 */
function runGuarded(body: string, options: { worker?: boolean; stackSizeMb?: number; timeoutMs?: number } = {}): Report {
  const module = `
    const { Augeas } = await import(${JSON.stringify(packageUrl)});
    const aug = new Augeas({ root: ${JSON.stringify(tmpdir())}, noModuleAutoload: true, noLoad: true });
    const report = {};
    try {
      report.result = (() => { ${body} })() ?? null;
    } catch (e) {
      report.code = e.code;
      report.message = e.message;
    }
    const paths = aug.match("//*");
    for (const path of paths) aug.get(path);
    report.nodes = paths.length;
    report.rootLabel = aug.label("/");
    // Freeing what the test added walks the damaged part of a corrupted tree again.
    aug.rm("/*[label() != 'augeas' and label() != 'files']");
    aug.close();
    EMIT(report);
  `;
  const script = options.worker
    ? `
      import { Worker } from "node:worker_threads";
      const code = 'import { parentPort } from "node:worker_threads";' + ${JSON.stringify(module.replace("EMIT(report)", "parentPort.postMessage(report)"))};
      const worker = new Worker(new URL("data:text/javascript," + encodeURIComponent(code)), { resourceLimits: { stackSizeMb: ${options.stackSizeMb ?? 4} } });
      const report = await new Promise((resolve, reject) => { worker.once("message", resolve); worker.once("error", reject); });
      console.log(JSON.stringify(report));
    `
    : module.replace("EMIT(report)", "console.log(JSON.stringify(report))");
  const outcome = runChildScript(script, options.timeoutMs);
  assert.ok(!outcome.timedOut && outcome.signal === null && outcome.status === 0, describeOutcome(outcome));
  return JSON.parse(outcome.stdout.trim()) as Report;
}

function assertRefused(report: Report, code: string, message: RegExp): void {
  assert.equal(report.code, code, `expected a refusal, got ${JSON.stringify(report)}`);
  assert.match(report.message ?? "", message);
  assert.equal(report.rootLabel, null, "the root still has no label");
}

describe("path limits", () => {
  // Before the guard: SIGSEGV (stack overflow in libaugeas' recursive parser) in a worker with
  // a 1 MiB stack; 15 KB, so within the length limit.
  test("a path nested deeper than MAX_PATH_NESTING is refused, in a worker with a small stack", () => {
    const path = "/a" + "[a".repeat(5000) + "]".repeat(5000);
    const report = runGuarded(`return aug.match(${JSON.stringify(path)});`, { worker: true, stackSizeMb: 1 });
    assertRefused(report, "EGUARD", /nests '\[' and '\(' 5000 deep/);
  });

  // Before the guard: SIGSEGV in a worker with the default 4 MiB stack (an operator chain is
  // recursion too).
  test("a path longer than MAX_PATH_BYTES is refused, in a worker", () => {
    const path = "a" + "|a".repeat(60_000);
    const report = runGuarded(`return aug.match(${JSON.stringify(path)});`, { worker: true });
    assertRefused(report, "EGUARD", /is 120001 bytes long/);
  });

  // Before the guard: the set takes 0.4 s and builds an 8000-deep chain, then walking the tree
  // takes minutes (the child is killed after the timeout).
  test("a path with more than MAX_PATH_STEPS steps is refused", () => {
    const report = runGuarded(`aug.set(${JSON.stringify("/a".repeat(8000))}, "v"); return aug.match("//*").length;`);
    assertRefused(report, "EGUARD", /has 8000 '\/' steps/);
  });

});

// The guards must not get in the way of ordinary calls; these run in-process.
describe("what the guards let through", () => {
  const open = (): Augeas => new Augeas({ root: tmpdir(), noModuleAutoload: true, noLoad: true });

  test("paths right at the limits pass, one more is refused", () => {
    const aug = open();
    try {
      const refused = (path: string) => () => aug.match(path);
      const atSteps = "/a".repeat(MAX_PATH_STEPS);
      assert.deepEqual(aug.match(atSteps), []);
      assert.throws(refused(atSteps + "/a"), { code: "EGUARD" });
      const atNesting = "/a" + "[a".repeat(MAX_PATH_NESTING) + "]".repeat(MAX_PATH_NESTING);
      assert.deepEqual(aug.match(atNesting), []);
      assert.throws(refused("/a" + "[a".repeat(MAX_PATH_NESTING + 1) + "]".repeat(MAX_PATH_NESTING + 1)), { code: "EGUARD" });
      const atBytes = "/" + "é".repeat((MAX_PATH_BYTES - 2) / 2) + "x";
      assert.equal(Buffer.byteLength(atBytes), MAX_PATH_BYTES);
      assert.deepEqual(aug.match(atBytes), []);
      assert.throws(refused(atBytes + "x"), { code: "EGUARD", message: /16385 bytes/ });
      // Escaped characters belong to a label and are not counted.
      const label = "[".repeat(MAX_PATH_NESTING + 1) + "/".repeat(MAX_PATH_STEPS + 1);
      aug.set(`/t/${aug.escapeName(label)}`, "v");
      assert.equal(aug.get(`/t/${aug.escapeName(label)}`), "v");
      // Every path argument is checked, and labels are held to the length of a path.
      const long = "/a".repeat(MAX_PATH_STEPS + 1);
      for (const call of [() => aug.set(long, "v"), () => aug.setm("/t", long, "v"), () => aug.rm(long), () => aug.defvar("v", long), () => aug.textStore("Hosts.lns", long, "/t")]) {
        assert.throws(call, { code: "EGUARD" });
      }
      assert.throws(() => aug.insert("/t/*[1]", "x".repeat(MAX_PATH_BYTES + 1)), { code: "EGUARD" });
      assert.throws(() => aug.rename("/t/*[1]", "x".repeat(MAX_PATH_BYTES + 1)), { code: "EGUARD" });
    } finally {
      aug.close();
    }
  });

  test("refusals are AugeasErrors", () => {
    const aug = open();
    try {
      aug.match("/a".repeat(MAX_PATH_STEPS + 1));
      assert.fail("expected a refusal");
    } catch (e) {
      assert.ok(e instanceof AugeasError);
      assert.equal(e.code, "EGUARD");
      assert.equal(e.code, GUARD_CODE);
      assert.deepEqual(e.files, []);
    } finally {
      aug.close();
    }
  });
});
