import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAugeasPath, parseRelativeAugeasPath } from "#src/augeas/augeas-path.js";
import { PathRejectedError } from "#src/policy/policy-errors.js";
import { PolicyDeniedFault } from "#src/faults.js";

function rejected(path: string, part: string | RegExp, reason?: RegExp): void {
  assert.throws(
    () => parseAugeasPath(path),
    (err: unknown) => {
      assert.ok(err instanceof PathRejectedError, `expected PathRejectedError for ${JSON.stringify(path)}, got ${String(err)}`);
      assert.ok(err instanceof PolicyDeniedFault, "PathRejectedError is a policy denial");
      if (typeof part === "string") assert.equal(err.part, part, `offending part of ${JSON.stringify(path)}: ${err.message}`);
      else assert.match(err.part, part);
      if (reason) assert.match(err.reason, reason);
      return true;
    },
  );
}

describe("client path grammar: rejected constructs", () => {
  const cases: [string, string | RegExp, RegExp?][] = [
    ["/files/etc/hosts/..", "..", /parent/],
    ["/files/etc/hosts/../shadow", "..", /parent/],
    ["/files/etc/./hosts", ".", /self/],
    ["/files//hosts", "//", /descendant/],
    ["//hosts", /^\/\//, /\/files\//],
    ["/files/etc/hosts//ipaddr", "//"],
    ["/files/etc/hosts/child::1", "child::", /axes/],
    ["/files/etc/hosts/descendant-or-self::*", "descendant-or-self::", /axes/],
    ["/files/etc/hosts/1/ancestor::files", "ancestor::", /axes/],
    ["/files/etc/hosts/$x", "$x", /variables/],
    ["/files/etc/hosts/*[ipaddr = $v]", "$v", /variables/],
    ["/files/etc/hosts/*[count(alias) = 2]", "count(", /function count\(\)/],
    ["/files/etc/hosts/*[label() = 'x']", "label(", /function/],
    ["/files/etc/hosts/*[position() = 1]", "position(", /function/],
    ["/files/etc/hosts/*[modified()]", "modified(", /function/],
    ["/files/etc/hosts/*[regexp('x')]", "regexp(", /function/],
    ["/files/etc/hosts/1|/files/etc/shadow", "|", /union/],
    ["/files/etc/hosts/*[ipaddr = 'a' | canonical = 'b']", "|", /union/],
    ["/files/etc/hosts/*[ipaddr = 'a' and canonical = 'b']", "and", /and/],
    ["/files/etc/hosts/*[ipaddr = 'a' or canonical = 'b']", "or", /and/],
    ["/files/etc/hosts/*[/augeas/root = '/']", "/", /absolute/],
    ["/files/etc/hosts/*[/files/etc/shadow/root/password = 'x']", "/", /absolute/],
    ["/files/etc/hosts/", "/", /empty step/],
    ["/augeas/root", /^\/augeas/, /\/files\//],
    ["/augeas/files/etc/hosts/path", /^\/augeas/, /\/files\//],
    ["/files", "/files", /\/files\//],
    ["files/etc/hosts", /^files/, /\/files\//],
    ["", "", /\/files\//],
    ["/fil\\es/etc", /^\/fil/, /\/files\//],
    ["/files/etc/ho\u0000sts", "\\u0000", /control/],
    ["/files/etc/hosts\n", "\\n", /control/],
    ["/files/etc/ho\tsts", "\\t", /control/],
    ["/files/" + "a".repeat(4100), /^\/files\/a+…$/, /longer than 4096/],
    ["/files" + "/a".repeat(65), /a\/a$/, /more than 64 steps/],
    ["/files/etc/hosts/*[0]", "0", /position/],
    ["/files/etc/hosts/*[01]", "01", /position/],
    ["/files/etc/hosts/*[99999999999]", "99999999999", /position/],
    ["/files/etc/hosts/*[last() - 1]", "- ", /operators/],
    ["/files/etc/hosts/*[ipaddr =~ regexp('x')]", "=~", /regular/],
    ["/files/etc/hosts/*[ipaddr < '2']", "< ", /only = and !=/],
    ["/files/etc/hosts/*[ipaddr]", /ipaddr\]$/, /existence/],
    ["/files/etc/hosts/*[ipaddr = canonical]", /^canonical/, /quoted literal/],
    ["/files/etc/hosts/*[ipaddr = 'unterminated]", /^'unterminated/, /unterminated/],
    ["/files/etc/hosts/*[1", /\[1$/, /unterminated/],
    ["/files/etc/hosts/*[alias[1] = 'x']", "[", /inside a predicate/],
    ["/files/etc/hosts/*[./alias = 'x']", ".", /self/],
    ["/files/etc/hosts/*[../x = 'x']", "..", /parent/],
    ["/files/etc/hosts/a b", "' '", /spaces/],
    ["/files/etc/hosts/*x", "*x", /whole step/],
    ["/files/etc/hosts/(1)", "(", /parentheses/],
    ["/files/etc/hosts/1=", "=", /unexpected/],
    ["/files/etc/hosts/\\.\\.", "\\.\\.", /parent/],
    ["/files/etc/hosts/...", "...", /only dots/],
    ["/files/etc/hosts/h\u00e9", "\u00e9", /ASCII/],
    ["/files/etc/hosts/x\\", "\\", /dangling/],
    ["/files/etc/hosts/*['a' = ipaddr]", /^'a'/, /position, last\(\) or PATH/],
  ];
  for (const [path, part, reason] of cases) {
    it(`rejects ${JSON.stringify(path.length > 60 ? path.slice(0, 60) + "…" : path)}`, () => rejected(path, part, reason));
  }
  it("has at least 20 distinct rejection cases", () => assert.ok(cases.length >= 20));
});

describe("client path grammar: accepted paths round-trip to canonical strings", () => {
  const cases: [string, string][] = [
    ["/files/etc/hosts", "/files/etc/hosts"],
    ["/files/etc/hosts/1/ipaddr", "/files/etc/hosts/1/ipaddr"],
    ["/files/etc/hosts/*", "/files/etc/hosts/*"],
    ["/files/etc/hosts/*/alias[2]", "/files/etc/hosts/*/alias[2]"],
    ["/files/etc/hosts/*/alias[last()]", "/files/etc/hosts/*/alias[last()]"],
    ["/files/etc/hosts/*/alias[ last( ) ]", "/files/etc/hosts/*/alias[last()]"],
    ["/files/etc/hosts/*[ipaddr='127.0.0.1']", '/files/etc/hosts/*[ipaddr = "127.0.0.1"]'],
    ['/files/etc/hosts/*[ ipaddr != "::1" ]/canonical', '/files/etc/hosts/*[ipaddr != "::1"]/canonical'],
    ["/files/etc/hosts/*[alias = 'say \"hi\"']", "/files/etc/hosts/*[alias = 'say \"hi\"']"],
    ['/files/etc/hosts/*[*/x = ""][2]', '/files/etc/hosts/*[*/x = ""][2]'],
    ["/files/etc/hosts/#comment[1]", "/files/etc/hosts/#comment[1]"],
    ["/files/etc/hosts[1/ipaddr = 'x']", '/files/etc/hosts[\\1/ipaddr = "x"]'],
    ["/files/etc/hosts/a\\/b", "/files/etc/hosts/a\\/b"],
    ["/files/etc/hosts/a\\ b", "/files/etc/hosts/a\\ b"],
    ["/files/etc/hosts/a,b", "/files/etc/hosts/a\\,b"],
    ["/files/etc/hosts/a:b", "/files/etc/hosts/a\\:b"],
    ["/files/etc/hosts/\\*", "/files/etc/hosts/\\*"],
    ["/files/etc/hosts/a\\[1\\]", "/files/etc/hosts/a\\[1\\]"],
    ["/files/etc/hosts/\\.x", "/files/etc/hosts/.x"],
    ["/files/etc/ssh/sshd_config/Match[1]/Settings/X11Forwarding", "/files/etc/ssh/sshd_config/Match[1]/Settings/X11Forwarding"],
    ["/files/etc/default/grub/GRUB_CMDLINE_LINUX_DEFAULT", "/files/etc/default/grub/GRUB_CMDLINE_LINUX_DEFAULT"],
    ["/files/etc/x/a-b.c@d+e~f", "/files/etc/x/a-b.c@d+e~f"],
  ];
  for (const [input, canonical] of cases) {
    it(`${input} → ${canonical}`, () => {
      const parsed = parseAugeasPath(input);
      assert.equal(parsed.canonical, canonical);
      // The canonical form is itself accepted and is a fixed point.
      assert.equal(parseAugeasPath(parsed.canonical).canonical, canonical);
      assert.deepEqual(parseAugeasPath(parsed.canonical).steps, parsed.steps);
    });
  }

  it("builds an AST", () => {
    const p = parseAugeasPath("/files/etc/hosts/*[ipaddr = '127.0.0.1'][2]/alias[last()]");
    assert.deepEqual(p.steps, [
      { test: { kind: "label", label: "files" }, predicates: [] },
      { test: { kind: "label", label: "etc" }, predicates: [] },
      { test: { kind: "label", label: "hosts" }, predicates: [] },
      {
        test: { kind: "any" },
        predicates: [
          { kind: "compare", rel: [{ kind: "label", label: "ipaddr" }], op: "=", literal: "127.0.0.1" },
          { kind: "position", position: 2 },
        ],
      },
      { test: { kind: "label", label: "alias" }, predicates: [{ kind: "last" }] },
    ]);
  });

  it("decodes escapes into labels", () => {
    const p = parseAugeasPath("/files/x/a\\/b\\ c");
    assert.deepEqual(p.steps[2]?.test, { kind: "label", label: "a/b c" });
  });
});

describe("relative paths (setm sub)", () => {
  it("accepts relative paths", () => {
    assert.equal(parseRelativeAugeasPath("alias[1]").canonical, "alias[1]");
    assert.equal(parseRelativeAugeasPath("*[x = 'y']/z").canonical, '*[x = "y"]/z');
  });
  it("rejects absolute and escaping ones", () => {
    for (const bad of ["/files/x", "../x", "./x", "x//y", "x/..", ""]) {
      assert.throws(() => parseRelativeAugeasPath(bad), PathRejectedError, bad);
    }
  });
});

describe("client path grammar: %HH bytes of labels beyond ASCII", () => {
  it("decodes %HH as the label's bytes (tree text), in steps, predicates and relative paths", () => {
    const label = (p: string) => {
      const steps = parseAugeasPath(p).steps;
      return (steps[steps.length - 1]!.test as { label: string }).label;
    };
    assert.equal(label("/files/etc/php.ini/caf%E9"), "caf\udce9", "a Latin-1 byte");
    assert.equal(label("/files/etc/php.ini/caf%e9"), "caf\udce9", "either case");
    assert.equal(label("/files/etc/php.ini/caf%C3%A9"), "café", "UTF-8 bytes decode as text");
    assert.equal(label("/files/etc/php.ini/%C3%A9%E9\\%"), "é\udce9%");
    assert.equal(parseAugeasPath("/files/etc/php.ini/caf%E9/key").canonical, "/files/etc/php.ini/caf\\\udce9/key");
    const pred = parseAugeasPath('/files/etc/php.ini/*[caf%E9 = "x"]').steps[3]!.predicates[0]!;
    assert.deepEqual(pred, { kind: "compare", rel: [{ kind: "label", label: "caf\udce9" }], op: "=", literal: "x" });
    assert.equal(parseRelativeAugeasPath("sec%FC/key").steps[0]!.test.kind, "label");
    assert.deepEqual(parseRelativeAugeasPath("sec%FC/key").steps[0]!.test, { kind: "label", label: "sec\udcfc" });
  });

  it("refuses % without two hex digits, %HH below 0x80 (NUL included) and raw non-ASCII", () => {
    rejected("/files/etc/php.ini/50%", "%", /two hex digits/);
    rejected("/files/etc/php.ini/a%4", "%4", /two hex digits/);
    rejected("/files/etc/php.ini/a%zz", "%zz", /two hex digits/);
    rejected("/files/etc/php.ini/a%41", "%41", /0x80 to 0xFF/);
    rejected("/files/etc/php.ini/a%00", "%00", /0x80 to 0xFF/);
    rejected("/files/etc/php.ini/a%2F", "%2F", /0x80 to 0xFF/);
    rejected("/files/etc/php.ini/café", "é", /%HH/);
  });
});
