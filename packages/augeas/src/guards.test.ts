import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tmpdir } from "node:os";
import { Augeas, AugeasError, GUARD_CODE, MAX_PATH_BYTES, MAX_PATH_NESTING, MAX_PATH_STEPS } from "#src/index.js";
import { SCRATCH_VARIABLE } from "#src/tree-guards.js";
import { describeOutcome, packageUrl, runChildScript } from "./child-script.test-support.js";

// Every call below used to crash libaugeas 1.14 (SIGSEGV, SIGABRT from a double free or an
// assertion), hang it, or corrupt its tree. Each runs in a child process on a fresh handle, so a
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

describe("mv and cp guards", () => {
  // Before the guard: SIGSEGV.
  test("mv of the root is refused", () => {
    const report = runGuarded(`aug.set("/a/b", "x"); aug.mv("/", "/a/c");`);
    assertRefused(report, "EMVDESC", /source is the root node/);
  });

  // Before the guard: "double free or corruption (fasttop)", SIGABRT.
  test("mv onto the parent is refused", () => {
    const report = runGuarded(`aug.set("/a/b", "x"); aug.mv("/a/b", "/a");`);
    assertRefused(report, "EMVDESC", /destination \/a contains the source \/a\/b/);
    assert.ok(report.nodes >= 2);
  });

  // Before the guard: "malloc_consolidate(): invalid chunk size", SIGABRT. The destination is a
  // path expression: the guard compares the nodes both sides select, not the text.
  test("mv onto an ancestor written as a path expression is refused", () => {
    const report = runGuarded(`aug.set("/a/b/c", "x"); aug.mv("/a/b/c", "/a/b/c/../..");`);
    assertRefused(report, "EMVDESC", /destination \/a contains the source \/a\/b\/c/);
  });

  // Before the guard: "double free or corruption (fasttop)", SIGABRT.
  test("mv onto the root is refused", () => {
    const report = runGuarded(`aug.set("/a", "x"); aug.mv("/a", "/");`);
    assertRefused(report, "EMVDESC", /destination is the root node/);
  });

  // libaugeas refuses this one itself (EMVDESC); the guard now answers first, the same way.
  test("mv into its own descendant and onto itself are refused", () => {
    assertRefused(runGuarded(`aug.set("/a/b", "x"); aug.mv("/a", "/a/b");`), "EMVDESC", /destination \/a\/b is inside the source \/a/);
    assertRefused(runGuarded(`aug.set("/a/b", "x"); aug.mv("/a", "/a");`), "EMVDESC", /is the source node itself/);
  });

  // Before the guard: endless loop (the child is killed after the timeout).
  test("cp of the root is refused", () => {
    const report = runGuarded(`aug.set("/a", "x"); aug.cp("/", "/a");`);
    assertRefused(report, "ECPDESC", /source is the root node/);
  });

  // Before the guard: the copy "succeeds", then walking the tree afterwards hits freed memory
  // (SIGSEGV).
  test("cp onto the parent is refused", () => {
    const report = runGuarded(`aug.set("/a/b/c", "x"); aug.cp("/a/b", "/a");`);
    assertRefused(report, "ECPDESC", /destination \/a contains the source \/a\/b/);
  });

  // Before the guard: no crash, but the whole tree (/augeas and /files included) was replaced
  // by the copy of /a.
  test("cp onto the root is refused and the tree stays whole", () => {
    const report = runGuarded(`aug.set("/a", "x"); aug.cp("/a", "/");`);
    assertRefused(report, "ECPDESC", /destination is the root node/);
    assert.ok(report.nodes > 5, `tree kept (${report.nodes} nodes)`);
  });

  // libaugeas refuses these itself (ECPDESC); the guard now answers first, the same way.
  test("cp onto itself and into its own descendant are refused", () => {
    assertRefused(runGuarded(`aug.set("/a/b", "x"); aug.cp("/a", "/a");`), "ECPDESC", /is the source node itself/);
    assertRefused(runGuarded(`aug.set("/a/b", "x"); aug.cp("/a", "/a/b");`), "ECPDESC", /destination \/a\/b is inside the source \/a/);
    // A destination that does not exist yet is left to libaugeas, which refuses it the same way.
    assertRefused(runGuarded(`aug.set("/a/b", "x"); aug.cp("/a", "/a/b/c");`), "ECPDESC", /Cannot copy node into its descendant/);
  });
});

describe("rename guard", () => {
  // Before the guard: no crash, but libaugeas returned 1 and the root node got the label "x".
  test("rename of the root is refused", () => {
    assertRefused(runGuarded(`return aug.rename("/", "x");`), "EGUARD", /selects the root node/);
  });

  test("rename of a selection that includes the root through a variable is refused", () => {
    assertRefused(runGuarded(`aug.set("/a", "1"); aug.defvar("r", "/"); return aug.rename("$r | /a", "x");`), "EGUARD", /selects the root node/);
  });
});

describe("defnode guard", () => {
  // Before the guard, each aborted the process: "pathx.c:2893: pathx_first: Assertion
  // `v->tag == T_NODESET' failed." (SIGABRT).
  for (const expr of ["1+1", "'text'", "count(/a)", "/a = 'x'", "$n"]) {
    test(`defnode over ${expr}, which is not a node set, is refused`, () => {
      const report = runGuarded(`aug.defvar("n", "1"); return aug.defnode("x", ${JSON.stringify(expr)}, "v");`);
      assertRefused(report, "EGUARD", /is not an expression that selects nodes/);
    });
  }
});

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

  // Before the guard: SIGSEGV on the next call, whatever it is: libaugeas parses the value of
  // /augeas/context as a path at the start of every call.
  test("a value for /augeas/context beyond the path limits is refused", () => {
    const deep = "/a" + "[a".repeat(100_000) + "]".repeat(100_000);
    const report = runGuarded(`aug.set("/augeas/context", ${JSON.stringify(deep)}); return aug.get("/x");`);
    assertRefused(report, "EGUARD", /value for \/augeas\/context/);
  });
});

describe("variables below an mv/cp destination", () => {
  // Before the guard: SIGSEGV inside mv (libaugeas frees /a/b's children, then walks every
  // variable, which still holds them).
  test("mv onto a node whose children a variable holds is refused", () => {
    const report = runGuarded(`
      for (let i = 0; i < 20; i++) aug.set("/a/b/c" + i, "v".repeat(40) + i);
      aug.set("/s/x", "src");
      aug.defvar("v", "/a/b/*");
      aug.mv("/s", "/a/b");`);
    assertRefused(report, "EGUARD", /variable \$v holds nodes below the destination \/a\/b/);
  });

  // Before the guard: cp "succeeded", then $v (get, nsValue) read freed memory: garbage, or a
  // crash once the memory was reused.
  test("cp onto a node whose descendants a variable holds is refused; the variable stays sound", () => {
    const report = runGuarded(`
      aug.set("/a/b/c/d", "deep");
      aug.set("/s/x", "src");
      aug.defnode("v", "/a/b/c/d", null);
      try { aug.cp("/s", "/a/b"); } catch (e) { return [e.code, aug.nsValue("v", 0), aug.get("$v")]; }`);
    assert.deepEqual(report.result, ["EGUARD", "deep", "deep"]);
  });

  test("a variable holding the destination itself, or nodes elsewhere, does not stop mv or cp", () => {
    const report = runGuarded(`
      aug.set("/a/b/c", "1");
      aug.set("/s/x", "src");
      aug.set("/t/y", "t");
      aug.defvar("dst", "/a/b");
      aug.defvar("other", "/t/*");
      aug.defvar("number", "1 + 1");
      aug.cp("/s", "/a/b");
      aug.mv("/t", "/a/b");
      return [aug.get("/a/b/y"), aug.nsCount("dst"), aug.nsPath("dst", 0), aug.match("/a/b/*")];`);
    assert.deepEqual(report.result, ["t", 1, "/a/b", ["/a/b/y"]]);
  });
});

describe("srun guards: each line gets the guards its method has", () => {
  // Before: the same crashes as the methods (srun calls aug_mv, aug_cp, ... directly).
  test("mv, cp, rename and defnode lines are refused as the methods refuse them", () => {
    assertRefused(runGuarded(`aug.srun("set /a/b x\\nmv /a/b /a");`), "EMVDESC", /destination \/a contains the source \/a\/b/);
    assertRefused(runGuarded(`aug.srun("set /a x\\nmove / /a/c");`), "EMVDESC", /source is the root node/);
    assertRefused(runGuarded(`aug.srun("set /a/b/c x\\ncopy /a/b /a");`), "ECPDESC", /contains the source/);
    assertRefused(runGuarded(`aug.srun("set /a x\\ncp /a /");`), "ECPDESC", /destination is the root node/);
    assertRefused(runGuarded(`aug.srun("rename / x");`), "EGUARD", /selects the root node/);
    assertRefused(runGuarded(`aug.srun("defnode x 1+1 v");`), "EGUARD", /is not an expression that selects nodes/);
    assertRefused(runGuarded(`aug.srun("defvar n 1\\ndefnode x $n");`), "EGUARD", /is not an expression that selects nodes/);
    assertRefused(runGuarded(`aug.srun("set /a/b/c x\\ndefvar v /a/b/c\\nset /s x\\nmv /s /a/b");`), "EGUARD", /variable \$v/);
  });

  // The arguments are found the way libaugeas' tokenizer finds them: quotes, escapes and
  // brackets do not hide a path from the guard.
  test("quoting does not get a line past a guard", () => {
    const srun = (script: string): string => `aug.srun(${JSON.stringify(script)});`;
    assertRefused(runGuarded(srun("set /a/b x\n'mv' \"/a/b\" '/a'")), "EMVDESC", /contains the source/);
    assertRefused(runGuarded(srun("set '/a b/c' x\nmv '/a b/c' /a\\ b")), "EMVDESC", /contains the source/);
    assertRefused(runGuarded(srun("set /a/b 'x y'\nmv /a/b[. = 'x y'] /a/")), "EMVDESC", /contains the source/);
    assertRefused(runGuarded(srun("set /a/b x\nmv \"/a/b\" /a/b/..")), "EMVDESC", /contains the source/);
  });

  // Before: stack overflow (SIGSEGV) in the path parser, as for the methods.
  test("a line beyond the path limits is refused, whatever its command", () => {
    const deep = "/a" + "[a".repeat(5000) + "]".repeat(5000);
    const report = runGuarded(`return aug.srun(${JSON.stringify(`get ${deep}`)});`, { worker: true, stackSizeMb: 1 });
    assertRefused(report, "EGUARD", /has 5000 '\[' and '\('/);
    assertRefused(runGuarded(`aug.srun("set /augeas/context " + "/a".repeat(300));`), "EGUARD", /has 302 '\/'/);
    assertRefused(runGuarded(`aug.srun("get " + "a|".repeat(20000) + "a");`), "EGUARD", /bytes long/);
  });

  test("what the earlier lines printed comes with the refusal, and later lines do not run", () => {
    const report = runGuarded(`
      try { aug.srun("set /a/b x\\nget /a/b\\nmv /a/b /a\\nset /after y"); }
      catch (e) { return [e.code, e.output, aug.match("/after").length]; }`);
    assert.deepEqual(report.result, ["EMVDESC", "/a/b = x\n", 0]);
  });

  test("commands that libaugeas prints to the process's stdout are refused", () => {
    assertRefused(runGuarded(`aug.srun("dump-xml /augeas");`), "EGUARD", /dump-xml/);
    assertRefused(runGuarded(`aug.srun("help get");`), "EGUARD", /help COMMAND/);
    assertRefused(runGuarded(`aug.rm("/augeas/span"); aug.srun("span /augeas");`), "EGUARD", /span is refused/);
  });
});

describe("aug_ns_* index", () => {
  // libaugeas indexes the variable's node array with it unchecked: -1 reads before the array.
  test("a negative or fractional index is a TypeError, in the wrapper and in the addon", () => {
    const report = runGuarded(`
      aug.defvar("v", "/augeas");
      const codes = [];
      for (const bad of [-1, -2147483648, 0.5, 2 ** 31]) {
        try { aug.nsPath("v", bad); } catch (e) { codes.push(e.name); }
      }
      return codes;`);
    assert.deepEqual(report.result, ["TypeError", "TypeError", "TypeError", "TypeError"]);
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

  test("mv and cp between unrelated nodes still work, path expressions included", () => {
    const aug = open();
    try {
      aug.set("/a/b", "1");
      aug.set("/a/c/d", "2");
      // A shared prefix that stops short of a `/` is not an ancestor.
      aug.mv("/a/b", "/a/bc");
      assert.equal(aug.get("/a/bc"), "1");
      aug.cp("/a/c", "/a/bc/copy");
      assert.equal(aug.get("/a/bc/copy/d"), "2");
      aug.mv("/a/*[label() = 'c']", "/a/bc/copy/..");
      assert.equal(aug.get("/a/bc/d"), "2");
      assert.deepEqual(aug.match("/a/c"), []);
      assert.throws(() => aug.mv("/nothing", "/a"), { code: "ENOMATCH" });
      aug.set("/a/e", "3");
      assert.throws(() => aug.cp("/a/*", "/z"), { code: "EMMATCH" });
    } finally {
      aug.close();
    }
  });

  test("rename, defnode and set keep working and leave no trace of the guards", () => {
    const aug = open();
    try {
      aug.set("/a/x", "1");
      aug.set("/a/x[2]", "2");
      assert.equal(aug.rename("/a/x", "y"), 2);
      assert.deepEqual(aug.match(`/augeas/variables/${SCRATCH_VARIABLE}`), []);
      assert.deepEqual(aug.defnode("n", "/a/new", "v"), { count: 1, created: true });
      assert.equal(aug.get("$n"), "v");
      // Long values are fine anywhere but /augeas/context.
      const deep = "[".repeat(MAX_PATH_NESTING + 1);
      aug.set("/a/long", deep);
      assert.equal(aug.get("/a/long"), deep);
      aug.set("/augeas/context", "/a");
      assert.equal(aug.get("y[2]"), "2");
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
