import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { nodePathLabels } from "#src/augeas/augeas-label.js";
import { HOSTS, openSandbox, type TreeSandbox } from "./augeas-sandbox.test-support.js";
import { PolicyEngine } from "#src/augeas/authorise.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { PathRejectedError } from "#src/policy/policy-errors.js";
import { PolicyDeniedFault } from "#src/faults.js";

function engine(files: string): PolicyEngine {
  return new PolicyEngine(parsePolicy(`version = 1\n[clients]\nusers = ["www-data"]\n${files}`, "test.toml").augeas);
}

function hostsPolicy(hosts: string, hostname = `read = ["**"]`): PolicyEngine {
  return engine(`[[augeas.file]]\npath = "/etc/hosts"\nlens = "Hosts"\n${hosts}\n[[augeas.file]]\npath = "/etc/hostname"\n${hostname}\n`);
}

function denied(fn: () => unknown, target?: string | RegExp, reason?: RegExp): PolicyDeniedFault {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PolicyDeniedFault, `expected PolicyDeniedFault, got ${caught === undefined ? "success" : String(caught)}`);
  if (typeof target === "string") assert.equal(caught.target, target, caught.message);
  else if (target) assert.match(caught.target, target, caught.message);
  if (reason) assert.match(caught.reason, reason);
  return caught;
}

describe("reading", () => {
  let s: TreeSandbox;
  before(() => (s = openSandbox()));
  after(() => s.close());
  const p = hostsPolicy(`read = ["*/ipaddr", "*/canonical"]`);

  it("fileFor finds the rule at segment boundaries", () => {
    assert.equal(p.fileFor("/files/etc/hosts/2/alias[1]")?.path, "/etc/hosts");
    assert.equal(p.fileFor("/files/etc/hosts")?.path, "/etc/hosts");
    assert.equal(p.fileFor("/files/etc/hostsx"), undefined);
    assert.equal(p.fileFor("/files/etc"), undefined);
    assert.equal(p.fileFor("/augeas/files/etc/hosts"), undefined);
  });

  it("match returns only readable nodes", () => {
    assert.deepEqual(p.resolveReadable(s.aug, "/files/etc/hosts/*/*").nodes, [
      "/files/etc/hosts/1/ipaddr",
      "/files/etc/hosts/1/canonical",
      "/files/etc/hosts/2/ipaddr",
      "/files/etc/hosts/2/canonical",
    ]);
    assert.deepEqual(p.resolveReadable(s.aug, "/files/etc/hosts/2/alias").nodes, []);
    assert.deepEqual(p.resolveReadable(s.aug, "/files/etc/*").nodes, ["/files/etc/hostname"]);
    assert.deepEqual(p.resolveReadable(s.aug, "/files/*").nodes, []);
  });

  it("get of a readable node", () => {
    const r = p.resolveForGet(s.aug, "/files/etc/hosts/2/ipaddr");
    assert.deepEqual(r, { canonical: "/files/etc/hosts/2/ipaddr", nodes: ["/files/etc/hosts/2/ipaddr"] });
    assert.equal(s.aug.get(r.canonical), "192.168.1.1");
  });

  it("get of an unreadable node is denied, whether or not it exists", () => {
    const e1 = denied(() => p.resolveForGet(s.aug, "/files/etc/hosts/2/alias[1]"), "/files/etc/hosts/2/alias[1]", /no read pattern of augeas.file \/etc\/hosts matches "2\/alias"/);
    assert.equal(e1.file, "/etc/hosts");
    const e2 = denied(() => p.resolveForGet(s.aug, "/files/etc/hosts/9/alias"), "/files/etc/hosts/9/alias");
    assert.equal(e2.reason, e1.reason.replace('"2/alias"', '"9/alias"'));
    denied(() => p.resolveForGet(s.aug, "/files/etc/hosts/#comment"), undefined, /no read pattern/);
  });

  it("get of a missing but readable-shaped node is not-found (empty), not denied", () => {
    assert.deepEqual(p.resolveForGet(s.aug, "/files/etc/hosts/9/ipaddr").nodes, []);
  });

  it("get whose wildcard reaches unreadable nodes sees only the readable ones, and never names the others", () => {
    // Before: refused, naming /files/etc/hosts/2/alias[1] — a label the client may not read.
    assert.deepEqual(p.resolveForGet(s.aug, "/files/etc/hosts/2/*").nodes, ["/files/etc/hosts/2/ipaddr", "/files/etc/hosts/2/canonical"]);
    assert.deepEqual(p.resolveForGet(s.aug, "/files/etc/hosts/99/*").nodes, []);
    denied(() => p.resolveForGet(s.aug, "/files/etc/hosts/2/alias"), "/files/etc/hosts/2/alias", /no read pattern/);
  });

  it("nodes outside every policy file are never reachable", () => {
    denied(() => p.resolveForGet(s.aug, "/files/etc/shadow/root"), "/files/etc/shadow/root", /outside every/);
    denied(() => p.resolveForGet(s.aug, "/augeas/root"), undefined, /\/files\//);
    assert.ok(denied(() => p.resolveReadable(s.aug, "/augeas/files/etc/hosts/path")) instanceof PathRejectedError);
    assert.ok(denied(() => p.resolveReadable(s.aug, "/files//ipaddr")) instanceof PathRejectedError);
    assert.ok(denied(() => p.resolveReadable(s.aug, "/files/etc/hosts/1/../2")) instanceof PathRejectedError);
  });

  it("predicates over readable nodes are fine", () => {
    assert.deepEqual(p.resolveReadable(s.aug, "/files/etc/hosts/*[ipaddr = '192.168.1.1']/canonical").nodes, ["/files/etc/hosts/2/canonical"]);
    assert.deepEqual(p.resolveForGet(s.aug, "/files/etc/hosts/*[canonical != 'localhost']/ipaddr").nodes, ["/files/etc/hosts/2/ipaddr"]);
  });

  it("predicates that read unreadable nodes are denied (even when nothing matches)", () => {
    denied(() => p.resolveReadable(s.aug, "/files/etc/hosts/*[alias = 'foo']/ipaddr"), "/files/etc/hosts/*[alias = \"foo\"]", /predicate reads/);
    denied(() => p.resolveReadable(s.aug, "/files/etc/hosts/*[alias = 'no-such']/ipaddr"), undefined, /predicate reads/);
    denied(() => p.resolveReadable(s.aug, "/files/etc/hosts/*[#comment = 'x']"), undefined, /predicate reads/);
    denied(() => p.resolveReadable(s.aug, "/files/etc/hosts/*[* = 'x']"), undefined, /predicate reads/);
    // positions count the step's candidates: `hosts/*` is not readable here
    denied(() => p.resolveReadable(s.aug, "/files/etc/hosts/*[1]/ipaddr"), "/files/etc/hosts/*[1]", /predicate reads/);
    denied(() => p.resolveReadable(s.aug, "/files/etc/hosts/2/alias[last()]"), undefined, /predicate reads/);
    assert.deepEqual(p.resolveReadable(s.aug, "/files/etc/hosts/2/ipaddr[1]").nodes, ["/files/etc/hosts/2/ipaddr"]);
  });

  it("with whole-file read, positions and comparisons work", () => {
    const all = hostsPolicy(`read = ["**"]`);
    assert.deepEqual(all.resolveReadable(s.aug, "/files/etc/hosts/*[last()]").nodes, ["/files/etc/hosts/#comment"]);
    assert.deepEqual(all.resolveReadable(s.aug, "/files/etc/hosts/*[alias = 'bar']").nodes, ["/files/etc/hosts/2"]);
    assert.deepEqual(all.resolveReadable(s.aug, "/files/etc/hosts[1/ipaddr = '127.0.0.1']/2/canonical").nodes, ["/files/etc/hosts/2/canonical"]);
  });
});

describe("writing", () => {
  let s: TreeSandbox;
  before(() => (s = openSandbox()));
  after(() => s.close());

  const aliasOnly = hostsPolicy(`read = ["**"]\nwrite = ["*/alias"]`);
  const entries = hostsPolicy(`read = ["**"]\nwrite = ["*", "*/alias", "*/nick"]`);

  it("set of a writable existing node", () => {
    const a = aliasOnly.authoriseSet(s.aug, "/files/etc/hosts/2/alias[1]");
    assert.deepEqual(a, { canonical: "/files/etc/hosts/2/alias[1]", targets: ["/files/etc/hosts/2/alias[1]"] });
  });

  it("set of a non-writable node of a writable file is denied", () => {
    denied(() => aliasOnly.authoriseSet(s.aug, "/files/etc/hosts/*/ipaddr"), "/files/etc/hosts/*/ipaddr", /no write pattern/);
    denied(() => aliasOnly.authoriseSet(s.aug, "/files/etc/hosts/2/ipaddr"), "/files/etc/hosts/2/ipaddr", /write = \["\*\/alias"\]/);
    denied(() => aliasOnly.authoriseClear(s.aug, "/files/etc/hosts/2/canonical"));
  });

  it("write to a read-only file is denied", () => {
    const e = denied(() => aliasOnly.authoriseSet(s.aug, "/files/etc/hostname/hostname"), "/files/etc/hostname/hostname");
    assert.equal(e.file, "/etc/hostname");
  });

  it("set that creates nodes: each created node must be writable", () => {
    assert.deepEqual(aliasOnly.authoriseSet(s.aug, "/files/etc/hosts/1/alias").targets, ["/files/etc/hosts/1/alias"]);
    denied(() => aliasOnly.authoriseSet(s.aug, "/files/etc/hosts/3/alias"), "/files/etc/hosts/3", /would create/);
    assert.deepEqual(entries.authoriseSet(s.aug, "/files/etc/hosts/3/alias").targets, ["/files/etc/hosts/3", "/files/etc/hosts/3/alias"]);
  });

  it("creation through wildcards or predicates is denied", () => {
    denied(() => entries.authoriseSet(s.aug, "/files/etc/hosts/*[ipaddr = '10.0.0.1']/alias"), undefined, /wildcard or predicate cannot be created/);
    denied(() => entries.authoriseSet(s.aug, "/files/etc/hosts/2/alias[5]"), undefined, /cannot be created/);
    denied(() => engine(`[[augeas.file]]\npath = "/etc/hosts"\nwrite = ["**"]\n`).authoriseSet(s.aug, "/files/etc/hosts/9/*"), undefined, /cannot be created/);
  });

  it("paths to /augeas or with // are rejected", () => {
    assert.ok(denied(() => entries.authoriseSet(s.aug, "/augeas/save")) instanceof PathRejectedError);
    assert.ok(denied(() => entries.authoriseSet(s.aug, "/augeas/load/Shadow/incl")) instanceof PathRejectedError);
    assert.ok(denied(() => entries.authoriseRemove(s.aug, "/files//x")) instanceof PathRejectedError);
    assert.ok(denied(() => entries.authoriseSetm(s.aug, "/files/etc/hosts", "../../augeas/save")) instanceof PathRejectedError);
  });

  it("remove: the node and every node below it must be writable", () => {
    denied(() => entries.authoriseRemove(s.aug, "/files/etc/hosts/2"), "/files/etc/hosts/2/ipaddr", /below it/);
    assert.deepEqual(entries.authoriseRemove(s.aug, "/files/etc/hosts/2/alias").targets, ["/files/etc/hosts/2/alias[1]", "/files/etc/hosts/2/alias[2]"]);
    const all = hostsPolicy(`write = ["**"]`);
    assert.equal(all.authoriseRemove(s.aug, "/files/etc/hosts/2").targets.length, 5);
    denied(() => all.authoriseRemove(s.aug, "/files/etc/hosts"), "/files/etc/hosts", /file .* itself/);
    denied(() => all.authoriseRemove(s.aug, "/files/etc/*"), undefined);
    assert.deepEqual(all.authoriseRemove(s.aug, "/files/etc/hosts/9").targets, []);
    denied(() => aliasOnly.authoriseRemove(s.aug, "/files/etc/hosts/9"), "/files/etc/hosts/9", /no write pattern/);
  });

  it("insert: the new sibling must be writable", () => {
    assert.deepEqual(aliasOnly.authoriseInsert(s.aug, "/files/etc/hosts/2/alias[1]", "alias").targets, ["/files/etc/hosts/2/alias"]);
    denied(() => aliasOnly.authoriseInsert(s.aug, "/files/etc/hosts/2/alias[1]", "ipaddr"), undefined, /no write pattern/);
    denied(() => entries.authoriseInsert(s.aug, "/files/etc/hosts", "hostname"), undefined);
    denied(() => entries.authoriseInsert(s.aug, "/files/etc/hosts/2/alias[1]", "a/b"), undefined, /invalid label/);
    denied(() => entries.authoriseInsert(s.aug, "/files/etc/hosts/2/alias[1]", ".."), undefined, /invalid label/);
  });

  it("rename: old and new paths of the node and its descendants", () => {
    assert.deepEqual(entries.authoriseRename(s.aug, "/files/etc/hosts/2/alias[1]", "nick").targets, ["/files/etc/hosts/2/alias[1]"]);
    denied(() => entries.authoriseRename(s.aug, "/files/etc/hosts/2/alias[1]", "canonical"), undefined, /canonical/);
    denied(() => entries.authoriseRename(s.aug, "/files/etc/hosts/2", "3"), "/files/etc/hosts/2/ipaddr", /below it/);
    const deep = hostsPolicy(`write = ["1", "1/**", "x"]`);
    denied(() => deep.authoriseRename(s.aug, "/files/etc/hosts/1", "x"), "/files/etc/hosts/x/ipaddr", /new name/);
  });

  it("move: source subtree, replaced destination, and every node at its new place", () => {
    assert.deepEqual(entries.authoriseMove(s.aug, "/files/etc/hosts/2/alias[1]", "/files/etc/hosts/1/alias").targets, [
      "/files/etc/hosts/2/alias[1]",
      "/files/etc/hosts/1/alias",
    ]);
    denied(() => entries.authoriseMove(s.aug, "/files/etc/hosts/2/alias[1]", "/files/etc/hosts/1/ipaddr"), "/files/etc/hosts/1/ipaddr");
    denied(() => entries.authoriseMove(s.aug, "/files/etc/hosts/2/ipaddr", "/files/etc/hosts/1/alias"), "/files/etc/hosts/2/ipaddr");
    denied(() => entries.authoriseMove(s.aug, "/files/etc/hosts/2", "/files/etc/hosts/3"), "/files/etc/hosts/2/ipaddr");
    const all = hostsPolicy(`write = ["**"]`);
    assert.ok(all.authoriseMove(s.aug, "/files/etc/hosts/2", "/files/etc/hosts/3").targets.includes("/files/etc/hosts/3"));
    denied(() => all.authoriseMove(s.aug, "/files/etc/hosts/2", "/files/etc/hostname/x"), /^\/files\/etc\/hostname\/x/);
    const both = hostsPolicy(`write = ["**"]`, `write = ["**"]`);
    assert.ok(both.authoriseMove(s.aug, "/files/etc/hosts/2/alias[1]", "/files/etc/hostname/x").targets.includes("/files/etc/hostname/x"));
    denied(() => both.authoriseMove(s.aug, "/files/etc/hosts", "/files/etc/hostname/x"), "/files/etc/hosts", /itself/);
    denied(() => both.authoriseMove(s.aug, "/files/etc/hosts/1", "/files/etc/hostname"), "/files/etc/hostname", /itself/);
  });

  it("setm: every node set or created below each base", () => {
    assert.deepEqual(aliasOnly.authoriseSetm(s.aug, "/files/etc/hosts/*", "alias"), {
      base: "/files/etc/hosts/*",
      sub: "alias",
      // `*/alias` is writable, so an alias below the comment may be created too
      targets: ["/files/etc/hosts/1/alias", "/files/etc/hosts/2/alias[1]", "/files/etc/hosts/2/alias[2]", "/files/etc/hosts/#comment/alias"],
    });
    assert.deepEqual(aliasOnly.authoriseSetm(s.aug, "/files/etc/hosts/*[ipaddr = '127.0.0.1']", "alias").targets, ["/files/etc/hosts/1/alias"]);
    denied(() => aliasOnly.authoriseSetm(s.aug, "/files/etc/hosts/*", "ipaddr"), undefined, /no write pattern/);
    denied(() => aliasOnly.authoriseSetm(s.aug, "/files/etc/hosts/*", null), undefined);
    denied(() => hostsPolicy(`read = ["*"]\nwrite = ["**"]`).authoriseSetm(s.aug, "/files/etc/hosts/*", "alias[. = 'x']"), undefined);
  });

  it("setm with a sub whose first label starts with a digit sets that label, not a number", () => {
    const t = openSandbox();
    try {
      const everything = hostsPolicy(`read = ["**"]\nwrite = ["**"]`);
      const a = everything.authoriseSetm(t.aug, "/files/etc/hosts/1", "2");
      assert.equal(a.sub, "\\2");
      assert.deepEqual(a.targets, ["/files/etc/hosts/1/2"]);
      assert.equal(t.aug.setm(a.base, a.sub, "x"), 1);
      assert.equal(t.aug.get("/files/etc/hosts/1/2"), "x");
    } finally {
      t.close();
    }
  });

  it("the authorised canonical paths drive libaugeas to the expected result", () => {
    const t = openSandbox();
    try {
      const a = entries.authoriseSet(t.aug, "/files/etc/hosts/2/alias[2]");
      t.aug.set(a.canonical, "baz");
      const r = entries.authoriseRemove(t.aug, "/files/etc/hosts/2/alias[1]");
      t.aug.rm(r.canonical);
      assert.deepEqual(entries.checkModified(t.aug).files, ["/etc/hosts"]);
      t.aug.save();
      assert.equal(readFileSync(join(t.root, "etc/hosts"), "utf8"), HOSTS.replace("foo bar", "baz"));
    } finally {
      t.close();
    }
  });
});

describe("checkModified (before save)", () => {
  const p = hostsPolicy(`write = ["**"]`);

  it("libaugeas' modified() lists the changed node and the file's node", () => {
    const t = openSandbox();
    try {
      assert.deepEqual(t.aug.match("//*[modified()]"), []);
      t.aug.set("/files/etc/hosts/1/canonical", "local");
      assert.deepEqual(t.aug.match("//*[modified()]"), ["/files/etc/hosts", "/files/etc/hosts/1/canonical"]);
      assert.deepEqual(p.checkModified(t.aug), { files: ["/etc/hosts"], nodes: ["/files/etc/hosts", "/files/etc/hosts/1/canonical"] });
    } finally {
      t.close();
    }
  });

  it("refuses changes to a read-only file", () => {
    const t = openSandbox();
    try {
      t.aug.set("/files/etc/hostname/hostname", "evil");
      denied(() => p.checkModified(t.aug), "/files/etc/hostname", /read-only/);
    } finally {
      t.close();
    }
  });

  it("refuses changes outside every policy file", () => {
    const t = openSandbox();
    try {
      t.aug.set("/files/etc/shadow/root/password", "x");
      denied(() => p.checkModified(t.aug), /^\/files\/etc\/shadow/, /outside every/);
    } finally {
      t.close();
    }
  });

  it("refuses a save that would delete a file", () => {
    const t = openSandbox();
    try {
      t.aug.rm("/files/etc/hosts");
      denied(() => p.checkModified(t.aug), "/files/etc/hosts", /delete the file/);
    } finally {
      t.close();
    }
  });

  it("ignores the daemon's own /augeas settings", () => {
    const t = openSandbox();
    try {
      t.aug.set("/augeas/save", "newfile");
      assert.deepEqual(p.checkModified(t.aug).files, []);
    } finally {
      t.close();
    }
  });

  it("allows creating a policy file that does not exist yet", () => {
    const t = openSandbox({ "/etc/hosts": HOSTS });
    try {
      const both = hostsPolicy(`write = ["**"]`, `write = ["**"]`);
      const a = both.authoriseSet(t.aug, "/files/etc/hostname/hostname");
      assert.deepEqual(a.targets, ["/files/etc/hostname", "/files/etc/hostname/hostname"]);
      t.aug.set(a.canonical, "newhost");
      assert.deepEqual(both.checkModified(t.aug).files, ["/etc/hostname"]);
      t.aug.save();
      assert.equal(readFileSync(join(t.root, "etc/hostname"), "utf8"), "newhost\n");
      // but only where the file node itself is writable
      const t2 = openSandbox({ "/etc/hosts": HOSTS });
      try {
        denied(() => hostsPolicy(`write = ["**"]`, `write = ["hostname"]`).authoriseSet(t2.aug, "/files/etc/hostname/hostname"), "/files/etc/hostname");
      } finally {
        t2.close();
      }
    } finally {
      t.close();
    }
  });
});

describe("canonical labels survive libaugeas", () => {
  const labels = ["a-b", "a+b", "a@b", "a~b", "a#b", "a.b", "a:b", "a,b", "*", "a b", "a/b", "a[1]", "a=b", "a!b", "a|b", "a(b)", "a\\b", "a'b", 'a"b', "a$b", "1", ".x", "and", "last"];
  for (const label of labels) {
    it(`label ${JSON.stringify(label)}`, () => {
      const t = openSandbox();
      try {
        const p = hostsPolicy(`write = ["**"]`);
        const esc = label.replace(/[^A-Za-z0-9_.#@+~,:-]/g, (c) => `\\${c}`);
        const a = p.authoriseSet(t.aug, `/files/etc/hosts/2/${esc}`);
        t.aug.set(a.canonical, "v");
        const found = t.aug.match(a.canonical);
        assert.equal(found.length, 1, `${a.canonical} → ${JSON.stringify(found)}`);
        assert.deepEqual(nodePathLabels(found[0]!).slice(-1), [label]);
        // and in a predicate's path (a leading digit is escaped there, or it is a position)
        const q = p.resolveReadable(t.aug, `/files/etc/hosts/*[${esc.replace(/^([0-9])/, "\\$1")} = 'v']`);
        assert.deepEqual(q.nodes, ["/files/etc/hosts/2"]);
      } finally {
        t.close();
      }
    });
  }
});
