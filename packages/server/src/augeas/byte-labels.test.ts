/**
 * Labels that are not UTF-8, through the policy engine on a real libaugeas
 * tree: a Latin-1 php.ini section `[café]` (label `caf` 0xE9) beside a section
 * whose label is the UTF-8 bytes of U+FFFD — the label a lossy decoding of
 * the first one would name. Paths the engine resolves address each node by
 * its exact bytes, their client spelling (%HH) parses back to the same node,
 * and patterns are matched against the exact labels.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Augeas } from "augeas-node-bindings";
import { PolicyEngine } from "#src/augeas/authorise.js";
import { clientNodePath } from "#src/augeas/client-path.js";
import { augeasArg, BYTES } from "#src/augeas/tree-text.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { PolicyDeniedFault } from "#src/faults.js";

const PHP = Buffer.concat([
  Buffer.from("[caf", "latin1"),
  Buffer.of(0xe9),
  Buffer.from("]\nkey = latin\n[caf", "latin1"),
  Buffer.from("\ufffd", "utf8"),
  Buffer.from("]\nkey = replacement\n[plain]\nkey = ascii\nsecret = s\n", "latin1"),
]);

function engine(read: string, write: string): PolicyEngine {
  const toml = `version = 1\n[clients]\nusers = ["www-data"]\n[[augeas.file]]\npath = "/etc/php.ini"\nlens = "Php"\nread = ${read}\nwrite = ${write}\n`;
  return new PolicyEngine(parsePolicy(toml, "test.toml").augeas);
}

describe("labels that are not UTF-8", () => {
  let root: string;
  let aug: Augeas;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "machina-bytes-"));
    mkdirSync(join(root, "etc"));
    writeFileSync(join(root, "etc/php.ini"), PHP);
    aug = new Augeas({ root, noModuleAutoload: true, noLoad: true });
    aug.transform("Php.lns", "/etc/php.ini");
    aug.load();
  });
  after(() => {
    aug.close();
    rmSync(root, { recursive: true, force: true });
  });

  const value = (node: string) => aug.get(augeasArg(node), BYTES)?.toString("latin1");

  it("match gives each node a path that names exactly it, and its client spelling resolves back to it", () => {
    const p = engine(`["**"]`, `[]`);
    const nodes = p.resolveReadable(aug, "/files/etc/php.ini/*/key").nodes;
    assert.equal(nodes.length, 3);
    const shown = nodes.map((n) => clientNodePath(n));
    assert.deepEqual(shown, ["/files/etc/php.ini/caf%E9/key", "/files/etc/php.ini/caf%EF%BF%BD/key", "/files/etc/php.ini/plain/key"]);
    assert.deepEqual(nodes.map(value), ["latin", "replacement", "ascii"]);
    for (const [i, path] of shown.entries()) {
      const again = p.resolveForGet(aug, path).nodes;
      assert.deepEqual(again, [nodes[i]], `${path} resolves to the node it was answered for`);
    }
  });

  it("set through a %HH path changes that node and no other", () => {
    const p = engine(`["**"]`, `["*", "*/key"]`);
    const a = p.authoriseSet(aug, "/files/etc/php.ini/caf%E9/key");
    aug.set(augeasArg(a.canonical), Buffer.from("cr\xe8me", "latin1"));
    assert.equal(value(p.resolveForGet(aug, "/files/etc/php.ini/caf%E9/key").nodes[0]!), "cr\xe8me");
    assert.equal(value(p.resolveForGet(aug, "/files/etc/php.ini/caf%EF%BF%BD/key").nodes[0]!), "replacement");
    // A missing section is created with exactly the bytes the path spells.
    const created = p.authoriseSet(aug, "/files/etc/php.ini/%FCber/key");
    assert.deepEqual(created.targets.map(clientNodePath), ["/files/etc/php.ini/%FCber", "/files/etc/php.ini/%FCber/key"]);
    aug.set(augeasArg(created.canonical), "new");
    assert.deepEqual(aug.match("/files/etc/php.ini/*", BYTES).map((b) => b.toString("latin1")).slice(-1), ["/files/etc/php.ini/\xfcber"]);
  });

  it("patterns see the exact labels: a wildcard covers them, a literal pattern names only its own label", () => {
    const p = engine(`["plain", "plain/*", "*/key"]`, `["plain/*"]`);
    assert.deepEqual(p.resolveReadable(aug, "/files/etc/php.ini/*/secret").nodes, ["/files/etc/php.ini/plain/secret"]);
    assert.equal(p.resolveReadable(aug, "/files/etc/php.ini/caf%E9/key").nodes.length, 1);
    assert.throws(() => p.authoriseSet(aug, "/files/etc/php.ini/caf%E9/key"), PolicyDeniedFault);
    assert.equal(p.isReadable("/files/etc/php.ini/caf\udce9"), false, "only plain is readable as a section node");
    assert.equal(p.isReadable("/files/etc/php.ini/caf\udce9/key"), true);
  });
});
