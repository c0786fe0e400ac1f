import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { validateParams } from "@machina/protocol";
import { ScriptError, parseScript, splitArguments } from "#src/cli/script.js";

const one = (line: string) => {
  const { changes } = parseScript(line, "t");
  assert.equal(changes.length, 1, line);
  return changes[0];
};

function fails(text: string, line: number, pattern: RegExp, file = "f.aug"): void {
  assert.throws(
    () => parseScript(text, file),
    (error: unknown) => {
      assert.ok(error instanceof ScriptError, String(error));
      assert.equal(error.file, file);
      assert.equal(error.line, line);
      assert.match(error.message, new RegExp(`^${file.replace(/[.*]/g, "\\$&")}:${line}: `));
      assert.match(error.problem, pattern);
      return true;
    },
  );
}

test("every command and alias", () => {
  assert.deepEqual(one("set /files/etc/hostname/hostname box"), { op: "set", path: "/files/etc/hostname/hostname", value: "box" });
  assert.deepEqual(one("setm /files/etc/hosts/* alias x"), { op: "setm", base: "/files/etc/hosts/*", sub: "alias", value: "x" });
  assert.deepEqual(one("setm /files/etc/hosts/* alias"), { op: "setm", base: "/files/etc/hosts/*", sub: "alias", value: null });
  for (const rm of ["rm", "remove"]) assert.deepEqual(one(`${rm} /files/etc/hosts/3`), { op: "remove", path: "/files/etc/hosts/3" });
  for (const ins of ["ins", "insert"]) {
    assert.deepEqual(one(`${ins} alias before /files/etc/hosts/1/alias[1]`), {
      op: "insert",
      label: "alias",
      before: true,
      path: "/files/etc/hosts/1/alias[1]",
    });
    assert.deepEqual(one(`${ins} #comment after /files/etc/hosts/1`), {
      op: "insert",
      label: "#comment",
      before: false,
      path: "/files/etc/hosts/1",
    });
  }
  for (const mv of ["mv", "move"]) {
    assert.deepEqual(one(`${mv} /files/etc/hosts/1 /files/etc/hosts/9`), {
      op: "move",
      source: "/files/etc/hosts/1",
      destination: "/files/etc/hosts/9",
    });
  }
  assert.deepEqual(one("rename /files/etc/hosts/1/alias aka"), { op: "rename", path: "/files/etc/hosts/1/alias", label: "aka" });
  assert.deepEqual(one("clear /files/etc/hosts/1/alias"), { op: "clear", path: "/files/etc/hosts/1/alias" });
  assert.deepEqual(one("clearm /files/etc/hosts/* alias"), { op: "setm", base: "/files/etc/hosts/*", sub: "alias", value: null });
  assert.deepEqual(one("touch /files/etc/ssh/sshd_config/Banner"), { op: "touch", path: "/files/etc/ssh/sshd_config/Banner" });
  assert.deepEqual(parseScript("save\n", "t"), { changes: [], lines: [] });
});

test("onlyif lines are guards, spelled as Puppet's augeas onlyif, with augtool's quoting", () => {
  assert.deepEqual(one("onlyif get /files/etc/hostname/hostname == box"), { op: "guard", get: "/files/etc/hostname/hostname", is: "==", value: "box" });
  assert.deepEqual(one('onlyif get /files/etc/hosts/*[canonical = "a b"]/ipaddr != "127.0.0.1"'), {
    op: "guard",
    get: '/files/etc/hosts/*[canonical = "a b"]/ipaddr',
    is: "!=",
    value: "127.0.0.1",
  });
  assert.deepEqual(one('onlyif get /files/a == ""'), { op: "guard", get: "/files/a", is: "==", value: "" });
  assert.deepEqual(one("onlyif get /files/a == 'two words'"), { op: "guard", get: "/files/a", is: "==", value: "two words" });
  for (const op of ["==", "!=", "<", "<=", ">", ">="]) {
    assert.deepEqual(one(`onlyif match /files/etc/hosts/*[ipaddr = "10.0.0.1"] size ${op} 0`), {
      op: "guard",
      match: '/files/etc/hosts/*[ipaddr = "10.0.0.1"]',
      size: op,
      count: 0,
    });
  }
  assert.deepEqual(one("onlyif match /files/a size >= 12"), { op: "guard", match: "/files/a", size: ">=", count: 12 });
  assert.deepEqual(one("onlyif exists /files/etc/hosts/1"), { op: "guard", exists: "/files/etc/hosts/1" });
  assert.deepEqual(one("onlyif missing /files/etc/hosts/*[canonical = 'x y']"), { op: "guard", missing: "/files/etc/hosts/*[canonical = 'x y']" });
  // In the order written, with their lines.
  assert.deepEqual(parseScript("onlyif missing /files/a/b\nset /files/a/b x\n\nonlyif get /files/a/b == x\n", "t"), {
    changes: [
      { op: "guard", missing: "/files/a/b" },
      { op: "set", path: "/files/a/b", value: "x" },
      { op: "guard", get: "/files/a/b", is: "==", value: "x" },
    ],
    lines: [1, 2, 4],
  });
});

test("every change the parser builds is valid augeas.apply params", () => {
  const script = [
    "set /files/a/b v",
    "setm /files/a/* b",
    "rm /files/a",
    "ins x before /files/a",
    "mv /files/a /files/b",
    "rename /files/a x",
    "clear /files/a",
    "clearm /files/a/* b",
    "touch /files/a/b",
    "onlyif get /files/a == v",
    'onlyif get /files/a != ""',
    "onlyif match /files/a/* size < 3",
    "onlyif exists /files/a",
    "onlyif missing /files/a",
  ].join("\n");
  const check = validateParams("augeas.apply", { changes: parseScript(script, "t").changes });
  assert.ok(check.ok, JSON.stringify(check));
});

test("quoting: double quotes with escapes, single quotes literal, backslashes outside quotes", () => {
  const value = (line: string) => (one(line) as { value: string | null }).value;
  assert.equal(value('set /files/a "two words"'), "two words");
  assert.equal(value('set /files/a "say \\"hi\\" \\\\ now"'), 'say "hi" \\ now');
  assert.equal(value('set /files/a "tab\\there\\nnext"'), "tab\there\nnext");
  assert.equal(value("set /files/a 'it is \\n \"raw\"'"), 'it is \\n "raw"');
  assert.equal(value("set /files/a two\\ words"), "two words");
  assert.equal(value('set /files/a ""'), "");
  assert.equal(value("set /files/a ''"), "");
  assert.equal(value('set /files/a pre"fix mid"post'), "prefix midpost");
  assert.equal(value("set /files/a a[1"), "a[1", "brackets are not special in values");
  assert.equal(value("set /files/a #notacomment"), "#notacomment");
  assert.equal(value("set\t/files/a\t\tx  "), "x");
  assert.deepEqual(one('set "/files/etc/my dir/x" y'), { op: "set", path: "/files/etc/my dir/x", value: "y" });
});

test("brackets group in paths, keeping blanks and quotes verbatim", () => {
  assert.deepEqual(one('set /files/etc/hosts/*[canonical = "localhost"]/alias x'), {
    op: "set",
    path: '/files/etc/hosts/*[canonical = "localhost"]/alias',
    value: "x",
  });
  assert.deepEqual(one("rm /files/etc/hosts/*[ipaddr = '127.0.0.1' ][ alias != \"a b\" ]"), {
    op: "remove",
    path: "/files/etc/hosts/*[ipaddr = '127.0.0.1' ][ alias != \"a b\" ]",
  });
  assert.deepEqual(one('rm /files/etc/hosts/*[canonical = "a]b [c"]'), { op: "remove", path: '/files/etc/hosts/*[canonical = "a]b [c"]' });
  assert.deepEqual(one('rm /files/x/*[a[b = "1"] = "2"]/c'), { op: "remove", path: '/files/x/*[a[b = "1"] = "2"]/c' });
  assert.deepEqual(one("rm /files/x/*[a = \"q\\\"q\"]"), { op: "remove", path: '/files/x/*[a = "q\\"q"]' });
  assert.deepEqual(one("rm /files/x/a\\[1\\]"), { op: "remove", path: "/files/x/a\\[1\\]" });
  assert.deepEqual(one('setm /files/etc/hosts/*[canonical = "x"] alias[last()] "y z"'), {
    op: "setm",
    base: '/files/etc/hosts/*[canonical = "x"]',
    sub: "alias[last()]",
    value: "y z",
  });
  assert.deepEqual(one('mv /files/a/*[x = "1 2"] /files/b/*[y = "3 4"]'), {
    op: "move",
    source: '/files/a/*[x = "1 2"]',
    destination: '/files/b/*[y = "3 4"]',
  });
  assert.deepEqual(one('ins alias after /files/etc/hosts/*[canonical = "h h"]/alias[last()]'), {
    op: "insert",
    label: "alias",
    before: false,
    path: '/files/etc/hosts/*[canonical = "h h"]/alias[last()]',
  });
});

test("comments, blank lines, CRLF and a BOM are ignored; line numbers are kept", () => {
  const script = "\uFEFF# hosts\r\n\r\n   # indented comment\nset /files/a x\r\n\t\nrm /files/etc/hosts/#comment[1]\nsave\n";
  assert.deepEqual(parseScript(script, "t"), {
    changes: [
      { op: "set", path: "/files/a", value: "x" },
      { op: "remove", path: "/files/etc/hosts/#comment[1]" },
    ],
    lines: [4, 6],
  });
  assert.deepEqual(parseScript("", "t"), { changes: [], lines: [] });
});

test("errors name the file and line", () => {
  fails("set /files/a x\nfrobnicate /files/a\n", 2, /^unknown command 'frobnicate' \(expected one of: set, setm, rm/);
  fails("\n\nset /files/a\n", 3, /^set: missing VALUE \(usage: set PATH VALUE\)$/);
  fails("set\n", 1, /^set: missing PATH/);
  fails("rm /files/a /files/b\n", 1, /^rm: too many arguments \(usage: rm PATH\)$/);
  fails("setm /files/a b c d\n", 1, /usage: setm BASE SUB \[VALUE\]/);
  fails("ins x inside /files/a\n", 1, /^ins: expected 'before' or 'after', got 'inside'$/);
  fails("mv /files/a\n", 1, /^mv: missing DST/);
  fails("rename /files/a\n", 1, /^rename: missing LABEL/);
  fails("clear\n", 1, /^clear: missing PATH/);
  fails('set /files/a "open\n', 1, /^unterminated double quote$/);
  fails("set /files/a 'open\n", 1, /^unterminated single quote$/);
  fails('set /files/a/*[x = "1"\n', 1, /^unmatched '\['$/);
  fails("set /files/a/x] y\n", 1, /^unmatched '\]'$/);
  fails('set /files/a/*[x = "1] y\n', 1, /^unterminated quote inside/);
  fails("set /files/a x\\", 1, /^backslash at the end of the line$/);
  fails('set "" x\n', 1, /^set: PATH is empty$/);
  fails("rename /files/a ''\n", 1, /^rename: LABEL is empty$/);
  fails("# only\n\n\nrm\n", 4, /^rm: missing PATH/, "<stdin>");
  fails("clearm /files/a\n", 1, /^clearm: missing SUB \(usage: clearm BASE SUB\)$/);
  fails("clearm /files/a b c\n", 1, /^clearm: too many arguments/);
  fails("touch\n", 1, /^touch: missing PATH/);
  fails("onlyif\n", 1, /^onlyif: missing TEST \(usage: onlyif get PATH ==\|!= VALUE \| onlyif match PATH size OP N \| onlyif exists\|missing PATH\)$/);
  fails("onlyif get /files/a\n", 1, /^onlyif: expected onlyif get PATH ==\|!= VALUE$/);
  fails("onlyif get /files/a = x\n", 1, /^onlyif: expected '==' or '!=' after the path, got '='$/);
  fails("onlyif get /files/a == x y\n", 1, /^onlyif: expected onlyif get PATH/);
  fails("onlyif match /files/a size > \n", 1, /^onlyif: expected onlyif match PATH size OP N$/);
  fails("onlyif match /files/a include x y\n", 1, /^onlyif: expected 'size' after the path, got 'include'/);
  fails("onlyif match /files/a size => 1\n", 1, /^onlyif: expected one of == != < <= > >= after 'size', got '=>'$/);
  fails("onlyif match /files/a size > -1\n", 1, /^onlyif: expected a count .* got '-1'$/);
  fails("onlyif match /files/a size > 1e3\n", 1, /^onlyif: expected a count/);
  fails("onlyif exists /files/a b\n", 1, /^onlyif: expected onlyif exists PATH$/);
  fails("onlyif missing\n", 1, /^onlyif: missing PATH/);
  fails("onlyif contains /files/a x\n", 1, /^onlyif: unknown test 'contains' \(expected get, match, exists or missing\)$/);
  fails('onlyif get "" == x\n', 1, /^onlyif: PATH is empty$/);
});

test("splitArguments: unquoted words round-trip, and quoting any string round-trips", () => {
  const word = fc.stringMatching(/^[A-Za-z0-9_\/.*#:=-]{1,12}$/);
  fc.assert(
    fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), (words) => {
      assert.deepEqual(splitArguments(words.join("  "), () => false), words);
    }),
  );
  const quote = (s: string) => '"' + s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\t/g, "\\t").replace(/\n/g, "\\n") + '"';
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 5 }), (values) => {
      assert.deepEqual(splitArguments(values.map(quote).join(" "), () => false), values);
    }),
  );
});
