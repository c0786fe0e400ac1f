// Byte-exact files: text that is not UTF-8 (a Latin-1 file) goes through the binding unchanged
// when it is handled as bytes ({ encoding: "buffer" } out, Buffers in), with real lenses on real
// files. Every assertion on a saved file compares every byte.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { Augeas, AugeasError } from "#src/index.js";
import { makeSandbox, type Sandbox } from "./fixture-sandbox.test-support.js";

const B = { encoding: "buffer" } as const;
/** Latin-1 bytes: "é" is the single byte 0xE9, which is not valid UTF-8 on its own. */
const latin1 = (text: string): Buffer => Buffer.from(text, "latin1");

const hostsLatin1 = latin1("127.0.0.1\tlocalhost\n10.0.0.5\tcafé.example.com\tcafé # Café du Nord\n10.0.0.6\tdb01\n");
const nrpeLatin1 = latin1("# NRPE\nserver_port=5666\ncommand[check_café]=/usr/lib/nagios/plugins/check_users -w 5\ncommand[check_load]=/usr/lib/nagios/plugins/check_load\n");

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

function write(file: string, bytes: Buffer): void {
  mkdirSync(dirname(sandbox.path(file)), { recursive: true });
  writeFileSync(sandbox.path(file), bytes);
}

function bytesOf(file: string): Buffer {
  return readFileSync(sandbox.path(file));
}

function open(transforms: ReadonlyArray<readonly [string, string]>): Augeas {
  const a = new Augeas({ root: sandbox.root, noModuleAutoload: true, noLoad: true });
  for (const [lens, file] of transforms) a.transform(lens, file);
  a.load();
  aug = a;
  return a;
}

test("a Latin-1 value comes back as its bytes, and set back unchanged it saves the same bytes", () => {
  write("/etc/hosts", hostsLatin1);
  const a = open([["Hosts.lns", "/etc/hosts"]]);
  const value = a.get("/files/etc/hosts/2/canonical", B);
  assert.ok(value instanceof Buffer);
  assert.deepEqual(value, latin1("café.example.com"));
  assert.equal(value[3], 0xe9);
  a.set("/files/etc/hosts/2/canonical", value);
  a.set("/files/etc/hosts/2/alias", a.get("/files/etc/hosts/2/alias", B) ?? null);
  a.save();
  assert.deepEqual(bytesOf("/etc/hosts"), hostsLatin1);
});

test("editing another node of a Latin-1 file leaves every other byte as it was", () => {
  write("/etc/hosts", hostsLatin1);
  const a = open([["Hosts.lns", "/etc/hosts"]]);
  a.set("/files/etc/hosts/3/canonical", "db02");
  a.save();
  assert.deepEqual(bytesOf("/etc/hosts"), Buffer.concat([hostsLatin1.subarray(0, hostsLatin1.length - 5), Buffer.from("db02\n")]));
  assert.deepEqual(bytesOf("/etc/hosts"), latin1("127.0.0.1\tlocalhost\n10.0.0.5\tcafé.example.com\tcafé # Café du Nord\n10.0.0.6\tdb02\n"));
});

test("a new value given as bytes is written as those bytes", () => {
  write("/etc/hosts", hostsLatin1);
  const a = open([["Hosts.lns", "/etc/hosts"]]);
  a.set("/files/etc/hosts/3/alias", latin1("crème"));
  a.save();
  assert.deepEqual(bytesOf("/etc/hosts"), latin1("127.0.0.1\tlocalhost\n10.0.0.5\tcafé.example.com\tcafé # Café du Nord\n10.0.0.6\tdb01 crème\n"));
});

test("the string API is unchanged for UTF-8 and lossy (U+FFFD) for other bytes, as documented", () => {
  write("/etc/hosts", hostsLatin1);
  const a = open([["Hosts.lns", "/etc/hosts"]]);
  assert.equal(a.get("/files/etc/hosts/2/canonical"), "caf\ufffd.example.com");
  assert.equal(a.get("/files/etc/hosts/1/canonical"), "localhost");
  // A UTF-8 string is stored as UTF-8, as before.
  a.set("/files/etc/hosts/3/alias", "crème");
  assert.deepEqual(a.get("/files/etc/hosts/3/alias", B), Buffer.from("crème", "utf8"));
  assert.equal(a.get("/files/etc/hosts/3/alias"), "crème");
});

test("a string with a lone surrogate is refused instead of being stored as EF BF BD", () => {
  write("/etc/hosts", hostsLatin1);
  const a = open([["Hosts.lns", "/etc/hosts"]]);
  for (const bad of ["caf\udce9", "\ud800", "x\udc00y"]) {
    assert.throws(() => a.set("/files/etc/hosts/3/alias", bad), { name: "TypeError", message: /lone UTF-16 surrogate/ });
    assert.throws(() => a.get(`/files/${bad}`), { name: "TypeError", message: /lone UTF-16 surrogate/ });
  }
  // A surrogate pair is fine: it is one character with a UTF-8 form.
  a.set("/files/etc/hosts/3/alias", "db\u{1f600}");
  assert.deepEqual(a.get("/files/etc/hosts/3/alias", B), Buffer.from("db\u{1f600}", "utf8"));
  assert.throws(() => a.set("/files/etc/hosts/3/alias", Buffer.from([0x61, 0, 0x62])), { name: "TypeError", message: /NUL/ });
  assert.throws(() => a.get("/files/etc/hosts/3/alias", { encoding: "latin1" } as never), { name: "TypeError", message: /encoding/ });
});

test("labels that are not UTF-8: match returns paths as bytes that address their nodes", () => {
  write("/etc/nagios/nrpe.cfg", nrpeLatin1);
  const a = open([["Nrpe.lns", "/etc/nagios/nrpe.cfg"]]);
  const paths = a.match("/files/etc/nagios/nrpe.cfg/command/*", B);
  assert.deepEqual(paths, [latin1("/files/etc/nagios/nrpe.cfg/command[1]/check_café"), latin1("/files/etc/nagios/nrpe.cfg/command[2]/check_load")]);
  const [cafe] = paths;
  assert.ok(cafe !== undefined);
  assert.deepEqual(a.label(cafe, B), latin1("check_café"));
  assert.deepEqual(a.get(cafe, B), latin1("/usr/lib/nagios/plugins/check_users -w 5"));
  // The string form of that path names a different label (U+FFFD is EF BF BD): nothing there.
  const [lossy] = a.match("/files/etc/nagios/nrpe.cfg/command/*");
  assert.equal(lossy, "/files/etc/nagios/nrpe.cfg/command[1]/check_caf\ufffd");
  assert.equal(a.get(lossy ?? ""), undefined);
  // Edit through the byte path, rename to another Latin-1 label, save: only that changed.
  a.set(cafe, "/usr/lib/nagios/plugins/check_users -w 6");
  assert.equal(a.rename(cafe, latin1("check_crème")), 1);
  a.save();
  assert.deepEqual(
    bytesOf("/etc/nagios/nrpe.cfg"),
    latin1("# NRPE\nserver_port=5666\ncommand[check_crème]=/usr/lib/nagios/plugins/check_users -w 6\ncommand[check_load]=/usr/lib/nagios/plugins/check_load\n"),
  );
});

test("escapeName, span, source, print, srun and the ns calls hand out bytes on request", () => {
  write("/etc/nagios/nrpe.cfg", nrpeLatin1);
  const a = new Augeas({ root: sandbox.root, noModuleAutoload: true, noLoad: true, enableSpan: true });
  aug = a;
  a.transform("Nrpe.lns", "/etc/nagios/nrpe.cfg");
  a.load();
  const node = latin1("/files/etc/nagios/nrpe.cfg/command[1]/check_café");
  assert.deepEqual(a.escapeName(latin1("café[1]"), B), latin1("café\\[1\\]"));
  assert.deepEqual(a.escapeName(latin1("café"), B), latin1("café"));
  const span = a.span(node, B);
  assert.deepEqual(span.filename, Buffer.from(sandbox.path("/etc/nagios/nrpe.cfg")));
  assert.deepEqual(nrpeLatin1.subarray(span.label.start, span.label.end), latin1("check_café"));
  assert.deepEqual(a.source(node, B), Buffer.from("/files/etc/nagios/nrpe.cfg"));
  assert.deepEqual(a.print(node, B), latin1('/files/etc/nagios/nrpe.cfg/command[1]/check_café = "/usr/lib/nagios/plugins/check_users -w 5"\n'));
  const run = a.srun(Buffer.concat([Buffer.from("get "), node]), B);
  assert.deepEqual(run.output, Buffer.concat([node, Buffer.from(" = /usr/lib/nagios/plugins/check_users -w 5\n")]));
  assert.equal(a.defvar("checks", "/files/etc/nagios/nrpe.cfg/command/*"), 2);
  assert.deepEqual(a.nsPath("checks", 0, B), node);
  assert.deepEqual(a.nsLabel("checks", 0, B), { label: latin1("check_café"), index: 0 });
  assert.deepEqual(a.nsAttr("checks", 0, B), {
    value: latin1("/usr/lib/nagios/plugins/check_users -w 5"),
    label: latin1("check_café"),
    file: Buffer.from("/files/etc/nagios/nrpe.cfg"),
  });
  assert.deepEqual(a.nsValue("checks", 1, B), Buffer.from("/usr/lib/nagios/plugins/check_load"));
});

test("preview in bytes is exactly what save writes", () => {
  write("/etc/hosts", hostsLatin1);
  const a = open([["Hosts.lns", "/etc/hosts"]]);
  a.set("/files/etc/hosts/2/alias", latin1("crème"));
  const preview = a.preview("/files/etc/hosts/2", B);
  assert.deepEqual(bytesOf("/etc/hosts"), hostsLatin1, "preview writes nothing");
  a.save();
  assert.deepEqual(preview, bytesOf("/etc/hosts"));
  assert.deepEqual(preview, latin1("127.0.0.1\tlocalhost\n10.0.0.5\tcafé.example.com\tcrème # Café du Nord\n10.0.0.6\tdb01\n"));
});

test("a file whose name is not UTF-8: loaded, edited, saved through byte paths; its load error is reported", () => {
  const name = latin1("/etc/hosts.d/café");
  mkdirSync(sandbox.path("/etc/hosts.d"));
  writeFileSync(Buffer.concat([Buffer.from(sandbox.root), name]), hostsLatin1);
  const broken = latin1("/etc/hosts.d/crème");
  writeFileSync(Buffer.concat([Buffer.from(sandbox.root), broken]), "10.0.0.9\n");
  const a = new Augeas({ root: sandbox.root, noModuleAutoload: true, noLoad: true });
  aug = a;
  a.transform("Hosts.lns", "/etc/hosts.d/*");
  assert.throws(() => a.load(), (e: unknown) => {
    assert.ok(e instanceof AugeasError);
    assert.equal(e.code, "ELOAD");
    assert.deepEqual(e.files.map((f) => [f.file, f.kind]), [["/etc/hosts.d/cr\ufffdme", "parse_failed"]]);
    return true;
  });
  const [file] = a.match("/files/etc/hosts.d/*", B);
  assert.deepEqual(file, latin1("/files/etc/hosts.d/café"));
  a.set(Buffer.concat([latin1("/files/etc/hosts.d/café"), Buffer.from("/3/canonical")]), "db02");
  a.save();
  assert.deepEqual(
    readFileSync(Buffer.concat([Buffer.from(sandbox.root), name])),
    latin1("127.0.0.1\tlocalhost\n10.0.0.5\tcafé.example.com\tcafé # Café du Nord\n10.0.0.6\tdb02\n"),
  );
  // loadFile takes the name as bytes and finds that file's error among the others.
  assert.throws(() => a.loadFile(broken), (e: unknown) => e instanceof AugeasError && e.code === "ELOAD" && e.files.length === 1);
});
