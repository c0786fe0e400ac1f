import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { Augeas, AugeasError } from "#src/index.js";
import { makeSandbox, openSandbox, type Sandbox } from "./fixture-sandbox.test-support.js";

let sandbox: Sandbox;
let aug: Augeas | undefined;

beforeEach(() => {
  sandbox = makeSandbox();
});
afterEach(() => {
  aug?.close();
  aug = undefined;
  sandbox.remove();
});

test("a file with a syntax error makes load throw ELOAD; the other files stay loaded", () => {
  sandbox.add("broken/hosts", "/etc/hosts.broken");
  aug = openSandbox(sandbox, {}, false);
  aug.transform("Hosts.lns", "/etc/hosts.broken");
  assert.throws(() => aug?.load(), (e: unknown) => {
    assert.ok(e instanceof AugeasError);
    assert.equal(e.code, "ELOAD");
    assert.deepEqual(e.files, [
      {
        file: "/etc/hosts.broken",
        node: "/augeas/files/etc/hosts.broken/error",
        kind: "parse_failed",
        message: "Iterated lens matched less than it should",
        line: 3,
        char: 11,
        pos: 101,
        lens: "/usr/share/augeas/lenses/dist/hosts.aug:13.12-.52:",
      },
    ]);
    assert.match(e.message, /^load failed: \/etc\/hosts\.broken: parse_failed at line 3:11/);
    return true;
  });
  assert.equal(aug.get("/files/etc/hosts.broken"), undefined);
  assert.equal(aug.get("/files/etc/hosts/1/ipaddr"), "127.0.0.1");
  assert.equal(aug.get("/files/etc/ssh/sshd_config/Port"), "22");
  assert.deepEqual(
    aug.errors().map((e) => [e.file, e.kind]),
    [["/etc/hosts.broken", "parse_failed"]],
  );
});

test("a transform with an unknown lens makes load throw ENOLENS naming the file", () => {
  aug = openSandbox(sandbox, {}, false);
  aug.transform("Nope.lns", "/etc/hosts.other");
  assert.throws(() => aug?.load(), (e: unknown) => {
    assert.ok(e instanceof AugeasError);
    assert.equal(e.code, "ENOLENS");
    assert.deepEqual(e.files, [
      {
        file: "/etc/hosts.other",
        node: "/augeas/load/Nope/error",
        kind: "transform_failed",
        message: "Can not find lens Nope.lns",
        lens: "Nope.lns",
      },
    ]);
    return true;
  });
  assert.equal(aug.get("/files/etc/hostname/hostname"), "web01");
});

test("load discards unsaved changes and re-reads the files", () => {
  aug = openSandbox(sandbox);
  aug.set("/files/etc/hostname/hostname", "changed");
  aug.load();
  assert.equal(aug.get("/files/etc/hostname/hostname"), "web01");
});

test("a missing file is not an error; it is simply absent from the tree", () => {
  aug = openSandbox(sandbox, {}, false);
  aug.transform("Hosts.lns", "/etc/hosts.missing");
  aug.load();
  assert.equal(aug.get("/files/etc/hosts.missing"), undefined);
});

test("exclude=true keeps a file out of a transform", () => {
  aug = new Augeas({ root: sandbox.root, noModuleAutoload: true, noLoad: true });
  aug.transform("Hosts.lns", "/etc/hosts");
  aug.transform("Hosts.lns", "/etc/hosts", true);
  aug.load();
  assert.equal(aug.get("/files/etc/hosts"), undefined);
});

test("loadFile loads one file with its transform; ENOLENS without one, ELOAD on a parse error", () => {
  sandbox.add("broken/hosts", "/etc/hosts.broken");
  aug = new Augeas({ root: sandbox.root, noModuleAutoload: true, noLoad: true });
  aug.transform("Hosts.lns", "/etc/hosts");
  aug.transform("Hosts.lns", "/etc/hosts.broken");
  aug.loadFile("/etc/hosts");
  assert.equal(aug.get("/files/etc/hosts/1/canonical"), "localhost");
  assert.equal(aug.get("/files/etc/hostname"), undefined);
  assert.throws(() => aug?.loadFile("/etc/hostname"), { code: "ENOLENS" });
  assert.throws(() => aug?.loadFile("/etc/hosts.broken"), (e: unknown) => {
    assert.ok(e instanceof AugeasError);
    assert.equal(e.code, "ELOAD");
    assert.deepEqual(e.files.map((f) => [f.file, f.kind]), [["/etc/hosts.broken", "parse_failed"]]);
    return true;
  });
});

test("options: loadPath, typeCheck and noStdinc reach libaugeas", () => {
  // With noStdinc and no loadPath there are no lenses at all.
  aug = new Augeas({ root: sandbox.root, noModuleAutoload: true, noLoad: true, noStdinc: true });
  aug.transform("Hosts.lns", "/etc/hosts");
  assert.throws(() => aug?.load(), { code: "ENOLENS" });
  aug.close();
  aug = new Augeas({
    root: sandbox.root,
    noModuleAutoload: true,
    noLoad: true,
    noStdinc: true,
    typeCheck: true,
    loadPath: ["/usr/share/augeas/lenses/dist"],
  });
  aug.transform("Hostname.lns", "/etc/hostname");
  aug.load();
  assert.equal(aug.get("/files/etc/hostname/hostname"), "web01");
  assert.equal(aug.get("/augeas/root"), `${sandbox.root}/`);
});
