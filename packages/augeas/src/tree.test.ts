import assert from "node:assert/strict";
import { utimesSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { PREVIEW_SCRATCH, resolveSource } from "#src/file-source.js";
import { Augeas, AugeasError } from "#src/index.js";
import type { NativeHandle } from "#src/native.js";
import { makeSandbox, openSandbox, type Sandbox } from "./fixture-sandbox.test-support.js";

let sandbox: Sandbox;
let aug: Augeas;

before(() => {
  sandbox = makeSandbox();
});
after(() => {
  aug?.close();
  sandbox.remove();
});

// Each test gets a freshly loaded tree so edits do not leak between tests.
function fresh(options = {}): Augeas {
  aug?.close();
  aug = openSandbox(sandbox, options);
  return aug;
}

describe("reading", () => {
  test("load puts every fixture file under /files and reports no errors", () => {
    const a = fresh();
    assert.deepEqual(a.match("/files/etc/*"), [
      "/files/etc/hosts",
      "/files/etc/hostname",
      "/files/etc/ssh",
      "/files/etc/fstab",
      "/files/etc/default",
    ]);
    assert.deepEqual(a.errors(), []);
  });

  test("get returns values from each lens", () => {
    const a = fresh();
    assert.equal(a.get("/files/etc/hosts/2/canonical"), "web01.example.com");
    assert.equal(a.get("/files/etc/hosts/*[canonical = 'db01.example.com']/alias[2]"), "database");
    assert.equal(a.get("/files/etc/hostname/hostname"), "web01");
    assert.equal(a.get("/files/etc/ssh/sshd_config/Port"), "22");
    assert.equal(a.get("/files/etc/ssh/sshd_config/Match/Settings/ForceCommand"), "internal-sftp");
    assert.equal(a.get("/files/etc/fstab/*[file = '/boot/efi']/vfstype"), "vfat");
    assert.equal(a.get("/files/etc/default/grub/GRUB_CMDLINE_LINUX_DEFAULT"), '"quiet"');
  });

  test("get: null for a node without value, undefined for no node", () => {
    const a = fresh();
    assert.equal(a.get("/files/etc/hosts"), null);
    assert.equal(a.get("/files/etc/nothing"), undefined);
  });

  test("get of several nodes throws EMMATCH", () => {
    const a = fresh();
    assert.throws(() => a.get("/files/etc/ssh/sshd_config/HostKey"), (e: unknown) => {
      assert.ok(e instanceof AugeasError);
      assert.equal(e.code, "EMMATCH");
      assert.match(e.details ?? "", /There are 3 nodes matching/);
      assert.deepEqual(e.files, []);
      return true;
    });
  });

  test("a bad path throws EPATHX with minor message and details", () => {
    const a = fresh();
    assert.throws(() => a.get("/files/etc/hosts["), (e: unknown) => {
      assert.ok(e instanceof AugeasError);
      assert.equal(e.code, "EPATHX");
      assert.equal(e.augeasMessage, "Invalid path expression");
      assert.equal(e.minorMessage, "illegal string literal");
      assert.equal(e.details, "/files/etc/hosts[|=|");
      assert.match(e.message, /^Invalid path expression: illegal string literal/);
      return true;
    });
    assert.throws(() => a.match("/files/etc/hosts["), { code: "EPATHX" });
    assert.throws(() => a.rm("//["), { code: "EPATHX" });
    // libaugeas records path errors under /augeas/error; they are no file's problem.
    assert.deepEqual(a.errors(), []);
  });

  test("match returns fully qualified paths, [] when nothing matches", () => {
    const a = fresh();
    assert.deepEqual(a.match("/files/etc/ssh/sshd_config/HostKey"), [
      "/files/etc/ssh/sshd_config/HostKey[1]",
      "/files/etc/ssh/sshd_config/HostKey[2]",
      "/files/etc/ssh/sshd_config/HostKey[3]",
    ]);
    assert.deepEqual(a.match("/files/etc/nothing/*"), []);
  });

  test("label", () => {
    const a = fresh();
    assert.equal(a.label("/files/etc/hosts/3"), "3");
    assert.equal(a.label("/files/etc/ssh/sshd_config/HostKey[2]"), "HostKey");
    assert.equal(a.label("/files/etc/nothing"), undefined);
    assert.throws(() => a.label("/files/etc/ssh/sshd_config/HostKey"), { code: "EMMATCH" });
  });

  test("source names the file node, null outside files, ENOMATCH for no node", () => {
    const a = fresh();
    assert.equal(a.source("/files/etc/ssh/sshd_config/Match/Settings/ForceCommand"), "/files/etc/ssh/sshd_config");
    assert.equal(a.source("/augeas"), null);
    assert.throws(() => a.source("/files/etc/nothing"), { code: "ENOMATCH" });
    assert.throws(() => a.source("/files/etc/hosts/*"), { code: "EMMATCH" });
  });

  test("span gives offsets into the file; ENOSPAN without enableSpan", () => {
    let a = fresh();
    assert.throws(() => a.span("/files/etc/hosts/3/canonical"), { code: "ENOSPAN" });
    a = fresh({ enableSpan: true });
    const text = sandbox.read("/etc/hosts");
    const span = a.span("/files/etc/hosts/3/canonical");
    assert.equal(span.filename, sandbox.path("/etc/hosts"));
    assert.equal(text.slice(span.value.start, span.value.end), "db01.example.com");
    assert.deepEqual(span.label, { start: 0, end: 0 });
    const line = a.span("/files/etc/hosts/3");
    assert.equal(text.slice(line.span.start, line.span.end), "10.0.0.5\tdb01.example.com\tdb01 database\n");
    assert.throws(() => a.span("/files/etc/nothing"), { code: "ENOMATCH" });
    assert.throws(() => a.span("/augeas"), { code: "ENOSPAN" });
    // libaugeas returns the on-disk name here; the wrapper gives the /files node.
    assert.equal(a.source("/files/etc/hosts/3/canonical"), "/files/etc/hosts");
    // aug_preview fails on files loaded with spans; preview does the lens put itself.
    assert.equal(a.preview("/files/etc/hosts"), text);
  });

  test("escapeName escapes path syntax and leaves plain names alone", () => {
    const a = fresh();
    assert.equal(a.escapeName("plain"), "plain");
    assert.equal(a.escapeName("a[1]/b"), "a\\[1\\]\\/b");
    a.set(`/files/${a.escapeName("odd[1]/name")}`, "v");
    assert.equal(a.get(`/files/${a.escapeName("odd[1]/name")}`), "v");
  });
});

describe("editing", () => {
  test("set changes a value, creates missing nodes, and accepts null", () => {
    const a = fresh();
    a.set("/files/etc/ssh/sshd_config/Port", "2222");
    assert.equal(a.get("/files/etc/ssh/sshd_config/Port"), "2222");
    a.set("/files/etc/hosts/01/ipaddr", "192.168.1.10");
    assert.equal(a.get("/files/etc/hosts/01/ipaddr"), "192.168.1.10");
    a.set("/files/etc/hosts/01/canonical", null);
    assert.equal(a.get("/files/etc/hosts/01/canonical"), null);
    assert.throws(() => a.set("/files/etc/ssh/sshd_config/HostKey", "x"), { code: "EMMATCH" });
    assert.throws(() => a.set("/files/etc[", "x"), { code: "EPATHX" });
  });

  test("setm sets a sub node under every match and returns the count", () => {
    const a = fresh();
    assert.equal(a.setm("/files/etc/fstab/*[vfstype != 'swap']", "passno", "2"), 3);
    assert.deepEqual(
      a.match("/files/etc/fstab/*/passno").map((p) => a.get(p)),
      ["2", "2", "0", "2"],
    );
    assert.equal(a.setm("/files/etc/ssh/sshd_config/HostKey", null, "/k"), 3);
    assert.deepEqual(a.match("/files/etc/ssh/sshd_config/HostKey[. = '/k']").length, 3);
    assert.equal(a.setm("/files/etc/nothing", null, "x"), 0);
    assert.throws(() => a.setm("/files[", null, "x"), { code: "EPATHX" });
  });

  test("insert before and after", () => {
    const a = fresh();
    a.insert("/files/etc/ssh/sshd_config/Port", "Protocol", true);
    a.insert("/files/etc/ssh/sshd_config/Port", "AddressFamily");
    const labels = a.match("/files/etc/ssh/sshd_config/*").map((p) => a.label(p));
    const port = labels.indexOf("Port");
    assert.deepEqual(labels.slice(port - 1, port + 2), ["Protocol", "Port", "AddressFamily"]);
    assert.throws(() => a.insert("/files/nothing", "x"), { code: "ENOMATCH" });
    assert.throws(() => a.insert("/files/etc/ssh/sshd_config/HostKey", "x"), { code: "EMMATCH" });
    // libaugeas refuses a label with '/' without setting an error code.
    assert.throws(() => a.insert("/files/etc/ssh/sshd_config/Port", "a/b"), { code: "EFAILED" });
  });

  test("mv moves a node; ENOMATCH for a missing source, EMVDESC into itself", () => {
    const a = fresh();
    a.mv("/files/etc/hosts/4", "/files/etc/hosts/40");
    assert.equal(a.get("/files/etc/hosts/40/canonical"), "cache01.example.com");
    assert.equal(a.get("/files/etc/hosts/4"), undefined);
    assert.throws(() => a.mv("/files/etc/missing", "/files/etc/x"), (e: unknown) => {
      assert.ok(e instanceof AugeasError);
      assert.equal(e.code, "ENOMATCH");
      return true;
    });
    assert.throws(() => a.mv("/files/etc/hosts", "/files/etc/hosts/1/x"), { code: "EMVDESC" });
  });

  test("cp copies a node; ECPDESC into itself", () => {
    const a = fresh();
    a.cp("/files/etc/hosts/3", "/files/etc/hosts/30");
    assert.equal(a.get("/files/etc/hosts/30/alias[2]"), "database");
    assert.equal(a.get("/files/etc/hosts/3/alias[2]"), "database");
    assert.throws(() => a.cp("/files/etc/missing", "/files/etc/x"), { code: "ENOMATCH" });
    assert.throws(() => a.cp("/files/etc/hosts", "/files/etc/hosts/1/x"), { code: "ECPDESC" });
  });

  test("rename relabels every match; ELABEL for a bad label", () => {
    const a = fresh();
    assert.equal(a.rename("/files/etc/ssh/sshd_config/HostKey", "HostKeyX"), 3);
    assert.equal(a.match("/files/etc/ssh/sshd_config/HostKeyX").length, 3);
    assert.equal(a.rename("/files/etc/nothing", "x"), 0);
    assert.throws(() => a.rename("/files/etc/hosts/1", "a/b"), { code: "ELABEL" });
  });

  test("rm returns how many nodes went", () => {
    const a = fresh();
    // The entry, its ipaddr, canonical and two aliases.
    assert.equal(a.rm("/files/etc/hosts/3"), 5);
    assert.equal(a.rm("/files/etc/nothing"), 0);
  });

  test("defvar and defnode", () => {
    const a = fresh();
    assert.equal(a.defvar("keys", "/files/etc/ssh/sshd_config/HostKey"), 3);
    assert.equal(a.get("$keys[2]"), "/etc/ssh/ssh_host_ecdsa_key");
    assert.equal(a.defvar("n", "1 + 1"), 0);
    assert.equal(a.defvar("keys", null), 0);
    assert.throws(() => a.get("$keys"), { code: "EPATHX" });
    assert.throws(() => a.defvar("bad", "["), { code: "EPATHX" });

    assert.deepEqual(a.defnode("motd", "/files/etc/ssh/sshd_config/PrintMotd", "yes"), { count: 1, created: false });
    assert.equal(a.get("$motd"), "no", "an existing node keeps its value");
    assert.deepEqual(a.defnode("banner", "/files/etc/ssh/sshd_config/Banner", "/etc/issue"), {
      count: 1,
      created: true,
    });
    assert.equal(a.get("/files/etc/ssh/sshd_config/Banner"), "/etc/issue");
    assert.throws(() => a.defnode("x", "/files[", null), { code: "EPATHX" });
  });

  test("textStore parses a value into a tree and textRetrieve writes it back", () => {
    const a = fresh();
    a.set("/text/in", "A=1\nB=2\n");
    a.textStore("Shellvars.lns", "/text/in", "/text/tree");
    assert.deepEqual(a.match("/text/tree/*"), ["/text/tree/A", "/text/tree/B"]);
    a.set("/text/tree/B", "3");
    a.textRetrieve("Shellvars.lns", "/text/in", "/text/tree", "/text/out");
    assert.equal(a.get("/text/out"), "A=1\nB=3\n");
  });

  test("textStore errors: ENOLENS for an unknown lens, ETEXT with the parse error", () => {
    const a = fresh();
    // An address without a host name does not parse with the Hosts lens.
    a.set("/text/in", "192.168.1.1\n");
    assert.throws(() => a.textStore("Nope.lns", "/text/in", "/text/tree"), { code: "ENOLENS" });
    assert.throws(() => a.textStore("Shellvars.lns", "/text/missing", "/text/tree"), { code: "ENOMATCH" });
    assert.throws(() => a.textStore("Hosts.lns", "/text/in", "/text/tree"), (e: unknown) => {
      assert.ok(e instanceof AugeasError);
      assert.equal(e.code, "ETEXT");
      assert.equal(e.files.length, 1);
      assert.equal(e.files[0]?.file, "/text/tree");
      assert.equal(e.files[0]?.kind, "parse_failed");
      assert.equal(e.files[0]?.line, 1);
      assert.match(e.message, /^textStore failed: \/text\/tree: parse_failed/);
      return true;
    });
    assert.throws(() => a.textRetrieve("Nope.lns", "/text/in", "/text/tree", "/text/out"), { code: "ENOLENS" });
  });
});

// Spans are a property of each loaded file (AUG_ENABLE_SPAN, or /augeas/span at the last load;
// an unchanged file is not reloaded), and libaugeas 1.14 answers aug_source with the disk path
// and fails aug_preview for a file loaded with them.
describe("spans switched at run time", () => {
  test("enabled at run time: source gives the /files node, preview what save then writes", () => {
    const a = fresh();
    a.set("/augeas/span", "enable");
    a.rm("/files/etc");
    a.load();
    assert.equal(a.span("/files/etc/hosts/1/ipaddr").filename, sandbox.path("/etc/hosts"));
    assert.equal(a.source("/files/etc/hosts/1/ipaddr"), "/files/etc/hosts");
    assert.deepEqual(a.source("/files/etc/hosts/1/ipaddr", { encoding: "buffer" }), Buffer.from("/files/etc/hosts"));
    a.set("/files/etc/hosts/1/canonical", "localhost.localdomain");
    const preview = a.preview("/files/etc/hosts/1");
    a.save();
    assert.equal(preview, sandbox.read("/etc/hosts"));
    assert.match(preview ?? "", /^127\.0\.0\.1\tlocalhost\.localdomain\n/);
    a.defvar("first", "/files/etc/hosts/1/*");
    assert.equal(a.nsAttr("first", 0).file, "/files/etc/hosts");
    a.defvar("first", null);
  });

  test("enableSpan, then turned off again: preview works for files reloaded without spans and for files that kept them", () => {
    const a = fresh({ enableSpan: true });
    a.set("/augeas/span", "disable");
    // Only a file that changed on disk is parsed again by load.
    const hostname = sandbox.path("/etc/hostname");
    writeFileSync(hostname, "web09\n");
    utimesSync(hostname, new Date(), new Date(Date.now() + 5000));
    a.load();
    assert.throws(() => a.span("/files/etc/hostname/hostname"), { code: "ENOSPAN" });
    assert.equal(a.span("/files/etc/hosts/1").filename, sandbox.path("/etc/hosts"));
    a.set("/files/etc/hostname/hostname", "web10");
    a.set("/files/etc/hosts/1/canonical", "loopback");
    assert.equal(a.preview("/files/etc/hostname/hostname"), "web10\n");
    const hosts = sandbox.read("/etc/hosts");
    assert.equal(a.preview("/files/etc/hosts"), hosts.replace(/^(127\.0\.0\.1\t)\S+\n/, "$1loopback\n"));
    assert.notEqual(a.preview("/files/etc/hosts"), hosts);
    assert.equal(a.source("/files/etc/hostname/hostname"), "/files/etc/hostname");
    assert.equal(a.source("/files/etc/hosts/1"), "/files/etc/hosts");
  });

  test("a lens put that fails is the same error with and without spans", () => {
    for (const enableSpan of [false, true]) {
      const a = fresh({ enableSpan });
      a.set("/files/etc/hosts/1/canonical", "bad\nvalue");
      assert.throws(() => a.preview("/files/etc/hosts"), (e: unknown) => {
        assert.ok(e instanceof AugeasError);
        assert.equal(e.code, "EFAILED");
        assert.match(e.message, /^preview failed: \/files\/etc\/hosts: put_failed \(Failed to match tree under \/files\/etc\/hosts\/1\)/);
        assert.deepEqual(e.files.map((f) => [f.file, f.kind]), [["/files/etc/hosts", "put_failed"]]);
        return true;
      }, `enableSpan: ${enableSpan}`);
      // The scratch nodes preview used are gone.
      assert.deepEqual(a.match(`${PREVIEW_SCRATCH}`), []);
    }
  });

  test("the disk path and the /files path are told apart when both name a loaded file (root /)", () => {
    // A stand-in for libaugeas with root "/" and both /x and /files/x loaded: aug_source's
    // "/files/x" is then the disk name of /files/files/x or the /files node of /x.
    const known = new Set(["/augeas/files/x/path", "/augeas/files/files/x/path"]);
    const handle = {
      get: () => Buffer.from("/"),
      match: (p: Buffer) => (known.has(p.toString()) ? [p] : []),
      escapeName: (s: Buffer) => s,
    } as unknown as NativeHandle;
    const source = Buffer.from("/files/x");
    assert.deepEqual(resolveSource(handle, source, () => Buffer.from("/files/files/x/1/a")), { node: Buffer.from("/files/files/x"), diskPath: source });
    assert.deepEqual(resolveSource(handle, source, () => Buffer.from("/files/x/1")), { node: source });
  });
});
