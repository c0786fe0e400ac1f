// srun: augtool commands run line by line. The guards depend on reading each line's arguments
// exactly as libaugeas does (srun-script.ts ports its tokenizer), so the port is checked against
// libaugeas itself: `get PATH` prints the path argument as libaugeas parsed it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Augeas } from "#src/index.js";
import { parseLine, scriptLines } from "#src/srun-script.js";
import { makeSandbox, openSandbox, type Sandbox } from "./fixture-sandbox.test-support.js";

let sandbox: Sandbox;
let aug: Augeas;

before(() => {
  sandbox = makeSandbox();
  aug = openSandbox(sandbox);
});
after(() => {
  aug.close();
  sandbox.remove();
});

// Arguments with quotes, escapes, brackets and blanks in every combination the tokenizer treats
// differently, and bytes that are not UTF-8.
const tricky = [
  "/files/etc/hosts/1/ipaddr",
  '"/files/etc/hosts/1/ipaddr"',
  "'/a b'",
  "/a\\ b",
  "/a[b = 'x y']",
  '/a[b = "x y"]/c',
  "/a\\[1\\]",
  '"/a\\"b"',
  "'/a\\'b'",
  "\"/a\\'b\"",
  "'/a\\\"b'",
  "/a\\tb",
  "/a\\nb",
  "/a/",
  "/a//",
  "/a\\\\b",
  "'/a\\ b'",
  "/a\\|b\\=c\\!d\\,e\\(f\\)g\\/h",
  "/a[.='q r']/b",
  "'a'\"b\"c",
  "/a[b[c]]/d",
  "/caf\xe9/x",
  "\t/a",
  "/a ",
];

test("the tokenizer port reads each argument as libaugeas does", () => {
  for (const arg of tricky) {
    const line = Buffer.from(`get ${arg}`, "latin1");
    const parsed = parseLine(line);
    const printed = aug.srun(line, { encoding: "buffer" }).output;
    assert.ok(parsed !== undefined, `parsed ${JSON.stringify(arg)}`);
    assert.equal(parsed.name, "get");
    assert.equal(parsed.args.length, 1, JSON.stringify(arg));
    const [path] = parsed.args;
    assert.ok(path !== undefined);
    // cmd_get prints "PATH (o)" for a node that does not exist, "PATH = VALUE" otherwise.
    const echoed = printed.subarray(0, printed.lastIndexOf(printed.includes(" (o)\n") ? " (o)\n" : " = "));
    assert.deepEqual(path, echoed, `${JSON.stringify(arg)}: port ${JSON.stringify(path.toString("latin1"))}, libaugeas ${JSON.stringify(echoed.toString("latin1"))}`);
  }
});

test("lines the tokenizer cannot read are the lines libaugeas refuses", () => {
  for (const line of ["get /a[", "get /a]", "get '/a", 'get "/a', "get /a\\q", "nosuch /a", "get", "get /a /b", "mv /a", "'get /a'"]) {
    assert.equal(parseLine(Buffer.from(line)), undefined, line);
    assert.throws(() => aug.srun(line), { code: "ECMDRUN" }, line);
  }
  // Arguments of other commands, optional ones included.
  assert.deepEqual(parseLine(Buffer.from("set /a 'x y'")), { name: "set", args: [Buffer.from("/a"), Buffer.from("x y")] });
  assert.deepEqual(parseLine(Buffer.from("print")), { name: "print", args: [] });
  assert.deepEqual(parseLine(Buffer.from("ins x before /a/b")), { name: "ins", args: [Buffer.from("x"), Buffer.from("before"), Buffer.from("/a/b")] });
});

test("lines are split as aug_srun splits them: blanks, comments and leading whitespace", () => {
  const lines = scriptLines(Buffer.from("  get /a\n\n# a comment\n\t  # another\n\r\nset /b x\nget /c"));
  assert.deepEqual(lines.map((l) => l.bytes.toString()), ["get /a", "set /b x", "get /c"]);
  const run = aug.srun("  # nothing\n\nset /srun/a 1\n  get /srun/a\nget /srun/none\n");
  assert.deepEqual(run, { count: 3, quit: false, output: "/srun/a = 1\n/srun/none (o)\n" });
});

test("quit stops the run; later lines do not run", () => {
  assert.deepEqual(aug.srun("set /srun/q 1\nquit\nset /srun/q 2"), { count: 2, quit: true, output: "" });
  assert.equal(aug.get("/srun/q"), "1");
});

test("a failing line throws with what ran before it; the tree keeps what those lines did", () => {
  assert.throws(() => aug.srun("set /srun/f 1\nget /srun/f\nmv /srun/missing /srun/x\nset /srun/f 2"), (e: unknown) => {
    assert.ok(e instanceof Error && "code" in e && "output" in e);
    // aug_mv's own error: srun's "Moving ... failed" does not replace it.
    assert.equal(e.code, "ENOMATCH");
    assert.equal(e.output, "/srun/f = 1\n");
    return true;
  });
  assert.equal(aug.get("/srun/f"), "1");
});

test("commands that write files, load and report errors work through srun", () => {
  const run = aug.srun("set /files/etc/hostname/hostname web02\nsave\ncount /files/etc/hostname/*\nload\nget /files/etc/hostname/hostname");
  assert.deepEqual(run, { count: 5, quit: false, output: "Saved 1 file(s)\n  1 match\n/files/etc/hostname/hostname = web02\n" });
  assert.equal(sandbox.read("/etc/hostname"), "web02\n");
  // load-file with a lens that does not exist: libaugeas leaves ENOLENS set and srun fails.
  assert.throws(() => aug.srun("transform Nope.lns incl /etc/nope\nload-file /etc/nope"), { code: "ENOLENS" });
  // Plain help goes to srun's output.
  assert.match(aug.srun("help").output, /Admin commands:/);
});
