// The upstream API tests, ported: libaugeas' tests/test-api.c, python-augeas' test/test_augeas.py
// and ruby-augeas' tests/tc_augeas.rb, rewritten against this package's fixtures (the upstream
// test roots are not copied) and its API. Each test names the upstream test it follows.
// Deliberate differences from python-augeas are listed in README.md.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import { Augeas, AugeasError } from "#src/index.js";
import { makeSandbox, openSandbox, type Sandbox } from "./fixture-sandbox.test-support.js";

let sandbox: Sandbox;
let aug: Augeas | undefined;

before(() => {
  sandbox = makeSandbox();
});
after(() => {
  sandbox.remove();
});
afterEach(() => {
  aug?.close();
  aug = undefined;
});

function loaded(options = {}): Augeas {
  aug = openSandbox(sandbox, options);
  return aug;
}

/** A handle with no files, like ruby-augeas' Augeas::open("/dev/null"). */
function empty(): Augeas {
  aug = new Augeas({ root: sandbox.root, noModuleAutoload: true, noLoad: true });
  return aug;
}

describe("libaugeas tests/test-api.c", () => {
  test("testLoadFile: one file by its autoload lens; ENOLENS without one; a missing file is no error", () => {
    // The module autoload (no noModuleAutoload), as upstream: the lens comes from the modules.
    aug = new Augeas({ root: sandbox.root, noLoad: true });
    aug.loadFile("/etc/fstab");
    assert.equal(aug.get("/files/etc/fstab/1/vfstype"), "ext4");
    assert.deepEqual(aug.match("/files/etc/*"), ["/files/etc/fstab"]);
    assert.throws(() => aug?.loadFile("/etc/unknown.conf"), { code: "ENOLENS" });
    aug.loadFile("/etc/mtab");
    assert.deepEqual(aug.match("/files/etc/mtab"), []);
  });

  test("testLoadFile, a transform whose lens does not exist: ENOLENS (libaugeas returns success)", () => {
    aug = empty();
    aug.transform("Nope.lns", "/etc/hosts");
    assert.throws(() => aug?.loadFile("/etc/hosts"), (e: unknown) => {
      assert.ok(e instanceof AugeasError);
      assert.equal(e.code, "ENOLENS");
      assert.match(e.message, /Can not find lens Nope\.lns/);
      return true;
    });
    assert.deepEqual(aug.match("/files/etc/*"), []);
  });

  test("testAugNs: aug_ns_attr over a variable", () => {
    aug = empty();
    aug.transform("Hosts.lns", "/etc/hosts");
    aug.loadFile("/etc/hosts");
    assert.equal(aug.defvar("matches", "/files/etc/hosts/*[label() != '#comment']/ipaddr"), 7);
    assert.deepEqual(aug.nsAttr("matches", 0), { value: "127.0.0.1", label: "ipaddr", file: "/files/etc/hosts" });
    assert.deepEqual(aug.nsAttr("matches", 1), { value: "127.0.1.1", label: "ipaddr", file: "/files/etc/hosts" });
    assert.throws(() => aug?.nsAttr("matches", 7), { code: "ENOMATCH", message: /matches\[7\] does not exist/ });
  });

  test("testAugSource", () => {
    aug = empty();
    aug.transform("Hosts.lns", "/etc/hosts");
    aug.loadFile("/etc/hosts");
    assert.equal(aug.source("/files/etc/hosts/1"), "/files/etc/hosts");
    assert.throws(() => aug?.source("/files/etc/fstab"), { code: "ENOMATCH" });
    assert.throws(() => aug?.source("/files["), { code: "EPATHX" });
    assert.throws(() => aug?.source("/files/etc/hosts/*"), { code: "EMMATCH" });
  });

  test("testAugPreview: the unchanged file's text, from any node in it", () => {
    aug = empty();
    aug.transform("Hosts.lns", "/etc/hosts");
    aug.loadFile("/etc/hosts");
    assert.equal(aug.preview("/files/etc/hosts/1"), sandbox.read("/etc/hosts"));
  });

  test("testNodeInfo: span offsets; ENOMATCH, EMMATCH; ENOSPAN without spans", () => {
    const a = loaded({ enableSpan: true });
    const text = readFileSync(sandbox.path("/etc/hosts"));
    const ipaddr = a.span("/files/etc/hosts/1/ipaddr");
    assert.equal(text.subarray(ipaddr.value.start, ipaddr.value.end).toString(), "127.0.0.1");
    assert.deepEqual(ipaddr.label, { start: 0, end: 0 });
    const file = a.span("/files/etc/hosts");
    assert.deepEqual(file.span, { start: 0, end: text.length });
    const comment = a.span("/files/etc/hosts/#comment[1]");
    assert.equal(text.subarray(comment.value.start, comment.value.end).toString(), "Internal services");
    assert.throws(() => a.span("/files"), { code: "ENOSPAN" });
    assert.throws(() => a.span("/files/etc/hosts/*[last() + 1]"), { code: "ENOMATCH" });
    assert.throws(() => a.span("/files/etc/hosts/*"), { code: "EMMATCH" });
    assert.throws(() => loaded().span("/files/etc/hosts/1/ipaddr"), { code: "ENOSPAN" });
  });

  test("testDefVarMeta, testDefNodeCreateMeta: variables are recorded under /augeas/variables", () => {
    const a = loaded();
    assert.equal(a.defvar("var", "/files/etc/hosts/2"), 1);
    assert.equal(a.get("/augeas/variables/var"), "/files/etc/hosts/2");
    a.defvar("var", null);
    assert.deepEqual(a.match("/augeas/variables/*"), []);
    assert.deepEqual(a.defnode("var", "/files/etc/hosts/10/ipaddr", "10.0.0.10"), { count: 1, created: true });
    assert.equal(a.get("/augeas/variables/var"), "/files/etc/hosts/10/ipaddr");
  });
});

describe("python-augeas test/test_augeas.py", () => {
  test("test01: get of a missing path, of a value, of a bad path", () => {
    const a = loaded();
    assert.equal(a.get("/wrong/path"), undefined);
    assert.equal(a.get("/files/etc/hosts/1/ipaddr"), "127.0.0.1");
    assert.throws(() => a.get("/files//[1]/"), { code: "EPATHX" });
  });

  test("test02, test05: match, and match through a variable", () => {
    const a = loaded();
    const entries = a.match("/files/etc/hosts/*");
    assert.equal(entries.length, 9);
    for (const entry of entries) for (const attr of a.match(`${entry}/*`)) assert.notEqual(a.get(attr), undefined);
    a.defvar("hosts", "/files/etc/hosts");
    assert.deepEqual(a.match("$hosts/*"), entries);
  });

  test("test06, test07: defnode creates a node; setm sets every match", () => {
    const a = loaded();
    a.defnode("bighost", "/files/etc/hosts/50/ipaddr", "192.168.1.1");
    assert.equal(a.get("$bighost"), "192.168.1.1");
    const addresses = a.match("/files/etc/hosts/*/ipaddr");
    assert.equal(a.setm("/files/etc/hosts", "*/ipaddr", "192.168.1.1"), addresses.length);
    for (const address of addresses) assert.equal(a.get(address), "192.168.1.1");
  });

  test("test09, test10: textStore, textRetrieve; a bad lens name", () => {
    const hosts = "192.168.0.1 rtr.example.com router\n";
    const a = empty();
    a.set("/raw/hosts", hosts);
    a.textStore("Hosts.lns", "/raw/hosts", "/t1");
    a.textRetrieve("Hosts.lns", "/raw/hosts", "/t1", "/out/hosts");
    assert.equal(a.get("/out/hosts"), hosts);
    assert.throws(() => a.textStore("Notthere.lns", "/raw/hosts", "/t2"), { code: "ENOLENS" });
    a.set("/raw/hosts", null);
    assert.equal(a.get("/raw/hosts"), null);
  });

  test("test11: rename", () => {
    const a = empty();
    a.set("/a/b/c", "value");
    assert.equal(a.rename("/a/b/c", "d"), 1);
    a.set("/a/e/d", "value2");
    assert.equal(a.rename("/a//d", "x"), 2);
    assert.throws(() => a.rename("/a/e/x", "a/b"), { code: "ELABEL" });
  });

  test("test12: transform records lens, incl and excl under /augeas/load", () => {
    const a = empty();
    a.transform("Foo", "/tmp/bar");
    assert.equal(a.get("/augeas/load/Foo/lens"), "Foo.lns");
    assert.equal(a.get("/augeas/load/Foo/incl"), "/tmp/bar");
    a.transform("Foo", "/tmp/baz", true);
    assert.equal(a.get("/augeas/load/Foo/excl"), "/tmp/baz");
  });

  test("test14: label", () => {
    const a = empty();
    assert.equal(a.label("/augeas/version"), "version");
    assert.throws(() => a.label("/augeas/version/[1]/"), { code: "EPATHX" });
  });

  test("test15: copy", () => {
    const a = empty();
    a.set("/tmp/src/copy_test/a", "test value");
    a.cp("/tmp/src/copy_test/a", "/tmp/dst/copy_test/a");
    assert.equal(a.get("/tmp/dst/copy_test/a"), "test value");
    assert.equal(a.get("/tmp/src/copy_test/a"), "test value");
  });

  test("test16, test17, test20: loadFile, source, preview", () => {
    const a = empty();
    a.transform("Hosts.lns", "/etc/hosts");
    a.loadFile("/etc/hosts");
    assert.equal(a.get("/files/etc/hosts/*[ipaddr = '::1']/canonical"), "localhost");
    assert.equal(a.source("/files/etc/hosts/1/ipaddr"), "/files/etc/hosts");
    assert.equal(a.preview("/files/etc/hosts/1/ipaddr"), sandbox.read("/etc/hosts"));
  });

  test("test18: srun returns the commands' output", () => {
    const a = loaded();
    assert.equal(a.srun("count /files/etc/hosts//ipaddr").output.trim(), "7 matches");
  });

  test("test21: ns_attr, ns_label, ns_value, ns_count, ns_path", () => {
    const a = loaded();
    a.defvar("hosts", "/files/etc/hosts/*");
    a.defvar("hosts_2", "/files/etc/hosts/2/*");
    assert.deepEqual(a.nsAttr("hosts_2", 2), { value: "web01", label: "alias", file: "/files/etc/hosts" });
    assert.equal(a.nsValue("hosts_2", 1), "web01.example.com");
    assert.deepEqual(a.nsLabel("hosts_2", 1), { label: "canonical", index: 0 });
    assert.equal(a.nsCount("hosts"), 9);
    assert.equal(a.nsPath("hosts", 2), "/files/etc/hosts/#comment[1]");
    // Same-labelled siblings get their 1-based position; a node with none gets 0.
    assert.deepEqual(a.nsLabel("hosts", 5), { label: "#comment", index: 2 });
    a.defvar("aliases", "/files/etc/hosts/3/alias");
    assert.deepEqual(a.nsLabel("aliases", 1), { label: "alias", index: 2 });
    // A variable that is no node set, or none at all; an index past the end; a bad index.
    a.defvar("number", "1 + 1");
    assert.throws(() => a.nsCount("number"), { code: "EFAILED", message: /no variable \$number holding a node set/ });
    assert.throws(() => a.nsCount("nothing"), { code: "EFAILED" });
    assert.throws(() => a.nsValue("nothing", 0), { code: "ENOMATCH" });
    assert.throws(() => a.nsPath("hosts", 9), { code: "ENOMATCH" });
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 31, "0"]) assert.throws(() => a.nsValue("hosts", bad as number), TypeError);
  });

  test("testClose", () => {
    empty().close();
  });
});

describe("ruby-augeas tests/tc_augeas.rb", () => {
  test("test_srun: count, output, blank text, unknown command, missing argument, quit", () => {
    const a = loaded();
    const path = "/files/etc/hosts/*[ipaddr='127.0.0.1']/canonical";
    assert.deepEqual(a.srun(`get ${path}\n`), { count: 1, quit: false, output: `${path} = localhost\n` });
    assert.deepEqual(a.srun(" "), { count: 0, quit: false, output: "" });
    assert.throws(() => a.srun("foo"), { code: "ECMDRUN", message: /Unknown command 'foo'/ });
    assert.throws(() => a.srun("set"), { code: "ECMDRUN", message: /Not enough arguments for set/ });
    assert.deepEqual(a.srun("quit"), { count: 1, quit: true, output: "" });
  });

  test("test_span: spans switched on at run time; source and preview still work", () => {
    const a = loaded();
    assert.throws(() => a.span("/files/etc/ssh/sshd_config/Port"), { code: "ENOSPAN" });
    a.set("/augeas/span", "enable");
    a.rm("/files/etc");
    a.load();
    const text = readFileSync(sandbox.path("/etc/ssh/sshd_config"));
    const span = a.span("/files/etc/ssh/sshd_config/Port");
    assert.equal(span.filename, sandbox.path("/etc/ssh/sshd_config"));
    assert.equal(text.subarray(span.label.start, span.label.end).toString(), "Port");
    assert.equal(text.subarray(span.value.start, span.value.end).toString(), "22");
    // libaugeas now answers aug_source with the disk path and fails aug_preview.
    assert.equal(a.source("/files/etc/ssh/sshd_config/Port"), "/files/etc/ssh/sshd_config");
    a.set("/files/etc/ssh/sshd_config/Port", "2222");
    assert.equal(a.preview("/files/etc/ssh/sshd_config/Port"), text.toString().replace("Port 22\n", "Port 2222\n"));
  });

  test("test_label, test_rename, test_text_store_retrieve", () => {
    const a = empty();
    assert.equal(a.label("/augeas"), "augeas");
    assert.equal(a.label("/files"), "files");
    assert.throws(() => a.rename("/files", "invalid/label"), { code: "ELABEL" });
    assert.equal(a.rename("/nonexistent", "label"), 0);
    assert.equal(a.rename("/files", "label"), 1);
    assert.throws(() => a.textStore("Simplelines.lns", "/input", "/store"), { code: "ENOMATCH" });
    a.set("/input", "line1\nline2\n");
    a.textStore("Simplelines.lns", "/input", "/store");
    assert.equal(a.get("/store/2"), "line2");
    assert.throws(() => a.textRetrieve("Simplelines.lns", "/unknown", "/store", "/output"), { code: "ENOMATCH" });
    a.set("/store/3", "line3");
    a.textRetrieve("Simplelines.lns", "/input", "/store", "/output");
    assert.equal(a.get("/output"), "line1\nline2\nline3\n");
  });

  test("test_context, test_touch, test_clearm (through srun)", () => {
    const a = empty();
    a.set("/augeas/context", "/augeas");
    assert.equal(a.get("context"), "/augeas");
    assert.equal(a.srun("context").output, "/augeas\n");
    a.set("/augeas/context", "/");
    assert.deepEqual(a.srun("touch /foo"), { count: 1, quit: false, output: "" });
    assert.deepEqual(a.match("/foo"), ["/foo"]);
    a.set("/foo", "bar");
    a.srun("touch /foo");
    assert.equal(a.get("/foo"), "bar");
    a.set("/foo/a", "1");
    a.set("/foo/b", "2");
    a.srun("clearm /foo *");
    assert.equal(a.get("/foo/a"), null);
    assert.equal(a.get("/foo/b"), null);
  });
});

describe("print", () => {
  test("prints the nodes below a path as augtool does; everything without one", () => {
    const a = loaded();
    assert.equal(
      a.print("/files/etc/hosts/3"),
      [
        "/files/etc/hosts/3",
        '/files/etc/hosts/3/ipaddr = "10.0.0.5"',
        '/files/etc/hosts/3/canonical = "db01.example.com"',
        '/files/etc/hosts/3/alias[1] = "db01"',
        '/files/etc/hosts/3/alias[2] = "database"',
        "",
      ].join("\n"),
    );
    a.set("/files/etc/hosts/3/alias[2]", 'a "quoted"\tvalue');
    assert.match(a.print("/files/etc/hosts/3/alias[2]"), /= "a \\"quoted\\"\\tvalue"\n$/);
    assert.equal(a.print("/files/etc/nothing"), "");
    const all = a.print();
    assert.ok(all.startsWith("/augeas\n"), all.slice(0, 40));
    assert.ok(all.includes('/files/etc/hostname/hostname = "web01"\n'));
    assert.throws(() => a.print("/files["), { code: "EPATHX" });
  });
});
