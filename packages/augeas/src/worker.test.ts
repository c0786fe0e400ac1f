import assert from "node:assert/strict";
import { test } from "node:test";
import { describeOutcome, packageUrl, runChildScript } from "./child-script.test-support.js";

// Terminating a worker while it is inside a binding call used to abort the whole process: the
// call's napi_throw fails on the terminating environment and node-addon-api treats that as fatal
// ("FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw", SIGABRT) unless the addon is
// built with NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS. The rounds run in a child process so that
// a regression shows as that child dying, not the test runner.
test("a worker terminated in the middle of binding calls leaves the process and the binding working", () => {
  const script = `
    import { Worker } from "node:worker_threads";
    import { tmpdir } from "node:os";
    const pkg = ${JSON.stringify(packageUrl)};
    const root = tmpdir();
    // Each worker opens a handle, then calls into the binding in a tight loop, many of the calls
    // failing (so that the binding is throwing when the termination lands) until it is terminated.
    const busy = \`
      import { parentPort } from "node:worker_threads";
      const { Augeas } = await import(\${JSON.stringify(pkg)});
      const aug = new Augeas({ root: \${JSON.stringify(root)}, noModuleAutoload: true, noLoad: true });
      for (let i = 0; i < 100; i++) aug.set("/t/n" + i, "v");
      parentPort.postMessage("busy");
      for (;;) {
        try { aug.get("/t/*"); } catch {}
        try { aug.get("/t["); } catch {}
        aug.match("/t/*");
        aug.setm("/t/*", null, "w");
      }
    \`;
    const asModule = (code) => new URL("data:text/javascript," + encodeURIComponent(code));
    for (let round = 0; round < 40; round++) {
      const worker = new Worker(asModule(busy));
      await new Promise((resolve, reject) => { worker.once("message", resolve); worker.once("error", reject); });
      await new Promise((resolve) => setTimeout(resolve, round % 10));
      await worker.terminate();
    }
    // The binding still works in this thread ...
    const { Augeas } = await import(pkg);
    const aug = new Augeas({ root, noModuleAutoload: true, noLoad: true });
    aug.set("/main/x", "1");
    const inMain = aug.get("/main/x");
    aug.close();
    // ... and in a new worker.
    const fresh = new Worker(asModule(\`
      import { parentPort } from "node:worker_threads";
      const { Augeas } = await import(\${JSON.stringify(pkg)});
      const aug = new Augeas({ root: \${JSON.stringify(root)}, noModuleAutoload: true, noLoad: true });
      aug.set("/w/x", "2");
      parentPort.postMessage(aug.get("/w/x"));
      aug.close();
    \`));
    const inWorker = await new Promise((resolve, reject) => { fresh.once("message", resolve); fresh.once("error", reject); });
    await fresh.terminate();
    console.log(JSON.stringify({ inMain, inWorker }));
  `;
  const outcome = runChildScript(script, 120_000);
  assert.equal(outcome.signal, null, describeOutcome(outcome));
  assert.equal(outcome.status, 0, describeOutcome(outcome));
  assert.deepEqual(JSON.parse(outcome.stdout.trim()), { inMain: "1", inWorker: "2" });
});
