// Secret values (`secret = true` / node patterns) on a real tree: the policy
// key, `policy explain`, the engine's answers (get, predicates, match) and the
// preview, with calls made as the Augeas host runs them (runCall). Every
// answer is checked for the secret's bytes, not only for the right shape.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { FileDiff } from "@machina/protocol";
import { AugeasError } from "augeas-node-bindings";
import { augeasFault } from "#src/augeas/augeas-fault.js";
import { AugeasLocalRuntime } from "#src/augeas/local-runtime.js";
import { runCall } from "#src/augeas/host/host-calls.js";
import type { CallOutcome } from "#src/augeas/host/host-protocol.js";
import { explainAugeasSection } from "#src/augeas/augeas-section.js";
import { PolicyEngine } from "#src/augeas/authorise.js";
import { hasSecrets, isWholeFileSecret, mayShowFileText } from "#src/augeas/secret-rules.js";
import { checkPolicy, parsePolicy } from "#src/policy/load-policy.js";
import { createLogger } from "#src/logger.js";

const OLD = "Sup3rS3cret-old";
const DEBIAN_CNF = `# Automatically generated for Debian scripts. DO NOT TOUCH!
[client]
host     = localhost
user     = debian-sys-maint
password = ${OLD}
socket   = /var/run/mysqld/mysqld.sock
[mysql_upgrade]
host     = localhost
user     = debian-sys-maint
password = ${OLD}
socket   = /var/run/mysqld/mysqld.sock
`;
const SHADOW = "root:$6$saltsalt$HASHOFROOT:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n";
const CNF = "/files/etc/mysql/debian.cnf";

const POLICY = `version = 1
[clients]
users = ["root"]
[[augeas.file]]
path = "/etc/mysql/debian.cnf"
lens = "MySQL"
write = ["*", "*/*"]
secret = ["*/password"]
[[augeas.file]]
path = "/etc/shadow"
lens = "Shadow"
write = ["*/password"]
secret = true
[[augeas.file]]
path = "/etc/hosts"
lens = "Hosts"
write = ["**"]
`;

const head = `version = 1\n[clients]\nusers = ["root"]\n`;

describe("the secret key of [[augeas.file]]", () => {
  const rules = (text: string) => parsePolicy(head + text, "p").augeas.files;

  it("true is every node, patterns are node patterns, the default is none", () => {
    const [whole, some, none] = rules(`[[augeas.file]]\npath = "/etc/shadow"\nsecret = true\n[[augeas.file]]\npath = "/etc/a"\nsecret = ["*/password", "Password"]\n[[augeas.file]]\npath = "/etc/b"\nsecret = false\n`);
    assert.deepEqual(whole!.secret.map((p) => p.source), ["**"]);
    assert.ok(isWholeFileSecret(whole!));
    assert.deepEqual(some!.secret.map((p) => p.source), ["*/password", "Password"]);
    assert.ok(hasSecrets(some!) && !isWholeFileSecret(some!));
    assert.deepEqual(none!.secret, []);
    assert.deepEqual(rules(`[[augeas.file]]\npath = "/etc/c"\n`)[0]!.secret, []);
  });

  it("a bad value or pattern is an error naming the key", () => {
    const errors = (text: string) => checkPolicy(head + text, "p").filter((p) => p.severity === "error");
    for (const [value, key, message] of [
      [`"yes"`, "augeas.file[0].secret", /must be true, false or an array of node patterns/],
      [`["/abs"]`, "augeas.file[0].secret[0]", /no leading '\/'/],
      [`["a[1]"]`, "augeas.file[0].secret[0]", /positional suffixes/],
      [`[1]`, "augeas.file[0].secret[0]", /must be a string/],
    ] as const) {
      const e = errors(`[[augeas.file]]\npath = "/etc/a"\nsecret = ${value}\n`);
      assert.equal(e.length, 1, `${value}: ${JSON.stringify(e)}`);
      assert.equal(e[0]!.key, key);
      assert.match(e[0]!.message, message);
    }
  });

  it("a secret pattern no read or write pattern names is a warning", () => {
    const w = checkPolicy(`${head}[[augeas.file]]\npath = "/etc/a"\nread = ["Port"]\nsecret = ["Password"]\n`, "p").filter((p) => p.severity === "warning");
    assert.deepEqual(w.map((p) => p.key), ["augeas.file[0].secret[0]"]);
    assert.match(w[0]!.message, /adds nothing/);
  });

  it("policy explain says plainly what secret means", () => {
    const lines = explainAugeasSection(parsePolicy(POLICY, "p").augeas, new Map()).join("\n");
    assert.match(lines, /secret: +values of \*\/password are secret: they can be set, never read back, never shown in previews, diffs, errors or logs/);
    assert.match(lines, /secret: +values of every node of this file are secret: they can be set, never read back/);
    assert.equal(lines.match(/^ +secret: /gm)?.length, 2, "only the files with secrets say so");
  });

  it("only a file readable whole and without secrets may be shown as text", () => {
    const [cnf, shadow, hosts] = parsePolicy(POLICY, "p").augeas.files;
    assert.equal(mayShowFileText(cnf!), false);
    assert.equal(mayShowFileText(shadow!), false);
    assert.equal(mayShowFileText(hosts!), true);
    assert.equal(mayShowFileText(rules(`[[augeas.file]]\npath = "/etc/a"\nread = ["Port"]\n`)[0]!), false);
  });
});

describe("a libaugeas failure", () => {
  it("reaches neither the client nor the log with libaugeas' texts, even when the binding composed its message from them", () => {
    // libaugeas' put_store: "Value '%s' does not match regexp /%s/ in store lens" — the first line quotes the value.
    const quoted = "Value 'S3cret-in-message' does not match regexp /[a-z]+/ in store lens";
    const e = new AugeasError({
      code: "ESAVE",
      message: `save failed: /etc/shadow: put_failed (${quoted})`,
      details: "S3cret-in-details",
      minorMessage: "S3cret-in-minor",
      files: [{ file: "/etc/shadow", node: "/augeas/files/etc/shadow/error", kind: "put_failed", message: `${quoted}\n { "password" = "S3cret-in-tree" }`, path: "/files/etc/shadow/root" }],
    });
    const lines: string[] = [];
    const fault = augeasFault(e, "/etc/shadow", createLogger("debug", (l) => void lines.push(l)));
    const shown = JSON.stringify({ fault, message: (fault as Error).message, fields: (fault as { fields?: unknown }).fields }) + lines.join("\n");
    assert.doesNotMatch(shown, /S3cret/);
    assert.match(lines.join("\n"), /augeas ESAVE on \/etc\/shadow: the changes cannot be written; \/etc\/shadow: put_failed/);
    assert.match((fault as Error).message, /^\/etc\/shadow: its lens cannot write the changed tree/);
  });
});

describe("secret values on a real tree", () => {
  let root: string;
  let rt: AugeasLocalRuntime;
  let logged: string[];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "machina-secret-"));
    fs.mkdirSync(path.join(root, "etc/mysql"), { recursive: true });
    fs.writeFileSync(path.join(root, "etc/mysql/debian.cnf"), DEBIAN_CNF);
    fs.writeFileSync(path.join(root, "etc/shadow"), SHADOW);
    fs.writeFileSync(path.join(root, "etc/hosts"), "127.0.0.1 localhost\n");
    logged = [];
    rt = new AugeasLocalRuntime(root, createLogger("debug", (l) => void logged.push(l)));
    rt.usePolicy(parsePolicy(POLICY, "p").augeas);
  });

  afterEach(() => {
    rt.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const engine = (): PolicyEngine => rt.engine;

  async function call(method: string, params: unknown): Promise<CallOutcome> {
    return await runCall(rt, method, params, createLogger("debug", (l) => void logged.push(l)));
  }

  async function ok(method: string, params: unknown): Promise<unknown> {
    const outcome = await call(method, params);
    assert.ok(outcome.granted && "result" in outcome, `${method} ${JSON.stringify(params)}: ${JSON.stringify(outcome)}`);
    return outcome.result;
  }

  /** The reason of a policy-denied answer (the engine refuses by throwing, so it comes as a fault). */
  async function deniedReason(method: string, params: unknown): Promise<string> {
    const outcome = await call(method, params);
    if (!outcome.granted && "refusal" in outcome) return outcome.refusal.reason;
    assert.ok("fault" in outcome && outcome.fault.kind === "policy-denied", `${method} ${JSON.stringify(params)}: ${JSON.stringify(outcome)}`);
    const fields = (outcome.fault as unknown as { fields: { reason: string } }).fields;
    assertNoSecret(`${method} ${JSON.stringify(params)}`, outcome.fault, [OLD, "HASHOFROOT"]);
    return fields.reason;
  }

  async function preview(): Promise<FileDiff[]> {
    return ((await ok("augeas.preview", {})) as { changes: FileDiff[] }).changes;
  }

  /** No secret — old, new, or a hash — in anything the client or the log could get. */
  function assertNoSecret(what: string, value: unknown, secrets: readonly string[]): void {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    for (const s of secrets) assert.ok(!text.includes(s), `${what} reveals ${JSON.stringify(s)}: ${text.slice(0, 1500)}`);
  }

  it("isValueVisible: false for a secret node, true for other readable ones, false for unreadable ones", () => {
    const e = engine();
    assert.equal(e.isValueVisible(`${CNF}/target[1]/password`), false);
    assert.equal(e.isReadable(`${CNF}/target[1]/password`), true);
    assert.equal(e.isValueVisible(`${CNF}/target[1]/user`), true);
    assert.equal(e.isValueVisible("/files/etc/shadow/root/lastchange_date"), false);
    assert.equal(e.isValueVisible("/files/etc/shadow"), false);
    assert.equal(e.isValueVisible("/files/etc/hosts/1/ipaddr"), true);
    assert.equal(e.isValueVisible("/files/etc/passwd/root"), false);
  });

  it("get of a secret node is policy-denied saying its value is secret; match lists it", async () => {
    for (const p of [`${CNF}/target[1]/password`, `${CNF}/target[9]/password`, "/files/etc/shadow/root/password", "/files/etc/shadow/*/password", `${CNF}/target[1]/*[3]`]) {
      assert.match(await deniedReason("augeas.get", { path: p }), /cannot read: its value is secret \(augeas\.file \/etc\/(mysql\/debian\.cnf|shadow): secret = (\["\*\/password"\]|true)\); secret values can be set, never read back/, p);
    }
    assert.deepEqual(await ok("augeas.get", { path: `${CNF}/target[1]/user` }), { value: "debian-sys-maint" });
    assert.deepEqual(await ok("augeas.match", { path: `${CNF}/*/password` }), { paths: [`${CNF}/target[1]/password`, `${CNF}/target[2]/password`] });
  });

  it("a predicate may not compare a secret value (an oracle), but may count secret nodes", async () => {
    for (const p of [`${CNF}/*[password = "a-guess"]`, `${CNF}/*[* = "x"]/user`, `/files/etc/shadow/*[password = "x"]`]) {
      assert.match(await deniedReason("augeas.match", { path: p }), /compares the value of nodes .* that may be secret/);
      // get refuses too (for the shadow path, first because every node it could name is secret).
      assert.match(await deniedReason("augeas.get", { path: p }), /may be secret|its value is secret/);
      await deniedReason("augeas.set", { path: `${p}/x`, value: "1" });
    }
    assert.deepEqual(await ok("augeas.match", { path: `${CNF}/*[user = "debian-sys-maint"]/password` }), { paths: [`${CNF}/target[1]/password`, `${CNF}/target[2]/password`] });
    assert.deepEqual(await ok("augeas.match", { path: `${CNF}/*[last()]/password` }), { paths: [`${CNF}/target[2]/password`] });
  });

  it("a set secret is previewed as a hidden change, saved to disk, and never answered", async () => {
    const NEW = "n3w-S3cret-value";
    await ok("augeas.set", { path: `${CNF}/target[1]/password`, value: NEW });
    await ok("augeas.set", { path: `${CNF}/target[1]/user`, value: "admin" });
    const changes = await preview();
    assertNoSecret("preview", changes, [NEW, OLD]);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.scope, "nodes");
    assert.deepEqual(changes[0]!.nodes, [
      { node: `${CNF}/target[1]/password`, before: null, after: null, change: "changed", hidden: true },
      { node: `${CNF}/target[1]/user`, before: "debian-sys-maint", after: "admin", change: "changed" },
    ]);
    assert.match(changes[0]!.diff, /^-\/files\/etc\/mysql\/debian\.cnf\/target\[1\]\/password \(value hidden\)$/m);
    assert.match(changes[0]!.diff, /^\+\/files\/etc\/mysql\/debian\.cnf\/target\[1\]\/password \(value hidden\)$/m);
    const saved = await ok("augeas.save", {});
    assert.deepEqual((saved as { files: string[] }).files, ["/etc/mysql/debian.cnf"]);
    const disk = fs.readFileSync(path.join(root, "etc/mysql/debian.cnf"), "utf8");
    assert.match(disk, new RegExp(`^password = ${NEW}$`, "m"), "the secret reached the disk");
    assert.match(disk, new RegExp(`^password = ${OLD}$`, "m"), "the other section's password is untouched");
    assertNoSecret("the log", logged.join("\n"), [NEW, OLD]);
  });

  it("setting a secret to the value it has is listed as changed all the same (no oracle)", async () => {
    await ok("augeas.set", { path: `${CNF}/target[2]/password`, value: OLD });
    const same = await preview();
    await ok("augeas.discard", {});
    await ok("augeas.set", { path: `${CNF}/target[2]/password`, value: "something-else" });
    const other = await preview();
    assert.deepEqual(same, other, "the answers must not differ with the value");
    assert.deepEqual(same[0]!.nodes, [{ node: `${CNF}/target[2]/password`, before: null, after: null, change: "changed", hidden: true }]);
    // And through apply's preview, the same.
    await ok("augeas.discard", {});
    const applied = (await ok("augeas.apply", { changes: [{ op: "set", path: "/files/etc/shadow/root/password", value: "$6$saltsalt$HASHOFROOT" }], preview: true })) as { changes: FileDiff[] };
    assert.deepEqual(applied.changes.map(({ tag: _tag, ...rest }) => rest), [
      {
        file: "/etc/shadow",
        scope: "nodes",
        diff: "--- a/etc/shadow (readable nodes)\n+++ b/etc/shadow (readable nodes)\n@@ readable nodes @@\n-/files/etc/shadow/root/password (value hidden)\n+/files/etc/shadow/root/password (value hidden)\n",
        nodes: [{ node: "/files/etc/shadow/root/password", before: null, after: null, change: "changed", hidden: true }],
      },
    ]);
  });

  it("secret nodes no edit named are not listed; added and removed ones are, without values", async () => {
    // A third section without a password, where one is then added.
    fs.appendFileSync(path.join(root, "etc/mysql/debian.cnf"), "[mysqldump]\nuser     = root\n");
    await ok("augeas.discard", {});
    await ok("augeas.set", { path: `${CNF}/target[3]/password`, value: "NEW-PASSWORD" });
    await ok("augeas.remove", { path: `${CNF}/target[2]/password` });
    await ok("augeas.set", { path: "/files/etc/shadow/daemon/password", value: "NEWHASH" });
    const changes = await preview();
    assertNoSecret("preview", changes, ["NEW-PASSWORD", "NEWHASH", OLD, "HASHOFROOT"]);
    const byFile = new Map(changes.map((c) => [c.file, c.nodes]));
    assert.deepEqual(byFile.get("/etc/mysql/debian.cnf"), [
      { node: `${CNF}/target[2]/password`, before: null, after: null, change: "removed", hidden: true },
      { node: `${CNF}/target[3]/password`, before: null, after: null, change: "added", hidden: true },
    ]);
    // root's password, lastchange_date and the rest are secret too, but no edit named them.
    assert.deepEqual(byFile.get("/etc/shadow"), [{ node: "/files/etc/shadow/daemon/password", before: null, after: null, change: "changed", hidden: true }]);
  });

  it("after an edit that shifts positions, every same-labelled secret node an edit named is listed", async () => {
    await ok("augeas.set", { path: `${CNF}/target[2]/password`, value: OLD });
    // Inserting a section before [client] shifts both sections by one.
    await ok("augeas.insert", { path: `${CNF}/target[1]`, label: "target", before: true });
    await ok("augeas.set", { path: `${CNF}/target[1]`, value: "new_section" });
    const nodes = (await preview())[0]!.nodes!;
    assertNoSecret("preview", nodes, [OLD]);
    const hidden = nodes.filter((n) => n.hidden).map((n) => [n.node, n.change]);
    // The positional diff now pairs target[2] and target[3] on disk and in the tree: both are listed, hidden.
    assert.deepEqual(hidden, [
      [`${CNF}/target[1]/password`, "removed"],
      [`${CNF}/target[2]/password`, "changed"],
      [`${CNF}/target[3]/password`, "added"],
    ]);
  });

  it("a save the lens refuses answers no secret, and the log holds none", async () => {
    const BAD = "bad-S3cret\nwith-a-newline";
    await ok("augeas.set", { path: `${CNF}/target[1]/password`, value: BAD });
    for (const method of ["augeas.preview", "augeas.save"]) {
      const outcome = await call(method, {});
      assert.ok("fault" in outcome, `${method}: ${JSON.stringify(outcome)}`);
      assert.equal(outcome.fault.kind, "augeas");
      assertNoSecret(method, outcome, ["bad-S3cret", "with-a-newline", OLD]);
    }
    await ok("augeas.discard", {});
    await ok("augeas.set", { path: "/files/etc/shadow/root/password", value: "HASH:with-colon" });
    const outcome = await call("augeas.save", {});
    assert.ok("fault" in outcome && outcome.fault.kind === "augeas", JSON.stringify(outcome));
    assertNoSecret("save", outcome, ["HASH:with-colon", "HASHOFROOT"]);
    assert.equal(fs.readFileSync(path.join(root, "etc/shadow"), "utf8"), SHADOW, "nothing written");
    assertNoSecret("the log", logged.join("\n"), ["bad-S3cret", "with-a-newline", "with-colon", "HASHOFROOT", OLD]);
    assert.match(logged.join("\n"), /augeas ESAVE on \/etc\/shadow: the changes cannot be written; \/etc\/shadow: put_failed/);
  });

  it("a file whose only edit set a secret to its value is still listed (the save-side twin asks editsTouchHiddenValues)", async () => {
    assert.equal(rt.workspace.editsTouchHiddenValues("/etc/shadow", engine()), false);
    await ok("augeas.set", { path: "/files/etc/shadow/root/password", value: "$6$saltsalt$HASHOFROOT" });
    assert.equal(rt.workspace.editsTouchHiddenValues("/etc/shadow", engine()), true);
    assert.equal(rt.workspace.editsTouchHiddenValues("/etc/hosts", engine()), false);
    await ok("augeas.set", { path: "/files/etc/hosts/1/ipaddr", value: "127.0.0.1" });
    assert.equal(rt.workspace.editsTouchHiddenValues("/etc/hosts", engine()), false);
    const changes = await preview();
    assert.deepEqual(changes.map((c) => c.file), ["/etc/shadow"], "hosts's text is unchanged and nothing hidden was touched in it");
  });
});
