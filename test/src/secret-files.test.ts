/**
 * Secret values against the real daemon (issue 15, item 5): an
 * /etc/mysql/debian.cnf whose `*\/password` nodes are secret and an
 * /etc/shadow that is secret whole. A secret may be set and saved (the
 * bytes on disk hold it), but it never comes back: not in a get, a preview,
 * an apply, an error, the CLI's output, the audit log or the daemon's debug
 * log — checked on the raw bytes of every answer. Setting a secret to the
 * value it already has answers exactly what setting another value does.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { rawSessionWhenFree, type RawConnection, type RawResponse } from "./harness/raw-client.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { runMachina, runMachinad } from "./harness/daemon.js";
import type { FileDiff } from "@machina/protocol";

const OLD = "Old-MySQL-pw-4711";
const OLD_HASH = "$6$saltsalt$OldRootHashXYZ";
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
const SHADOW = `root:${OLD_HASH}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n`;
const CNF = "/files/etc/mysql/debian.cnf";
const PASSWORD = `${CNF}/target[1]/password`;

const POLICY = `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "/etc/mysql/debian.cnf"
lens = "MySQL"
write = ["*/*"]
secret = ["*/password"]

[[augeas.file]]
path = "/etc/shadow"
lens = "Shadow"
write = ["*/password"]
secret = true
`;

const suite = daemonSuite({ policy: POLICY, args: ["--verbose"] });

/** The files of this test, written after the suite restored the fixtures (each session loads them anew). */
function writeFiles(): void {
  fs.mkdirSync(suite.sandbox.path("/etc/mysql"), { recursive: true });
  suite.sandbox.write("/etc/mysql/debian.cnf", DEBIAN_CNF);
  suite.sandbox.write("/etc/shadow", SHADOW);
}

/** A raw session that keeps every byte the daemon sent. */
async function recordedSession(): Promise<{ c: RawConnection; received: () => string }> {
  const c = await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key);
  const chunks: Buffer[] = [];
  c.socket.on("data", (chunk: Buffer) => void chunks.push(chunk));
  return { c, received: () => Buffer.concat(chunks).toString("latin1") };
}

/** None of `secrets` in `text` (bytes compared as latin1, so any encoding of them shows). */
function assertAbsent(what: string, text: string, secrets: readonly string[]): void {
  for (const s of secrets) assert.ok(!text.includes(s), `${what} holds the secret ${JSON.stringify(s)}:\n${text.slice(0, 3000)}`);
}

function logs(): string {
  const audit = fs.existsSync(suite.sandbox.auditLog) ? fs.readFileSync(suite.sandbox.auditLog, "latin1") : "";
  return `${audit}\n--- daemon log ---\n${suite.daemon.stderr}`;
}

function result(r: RawResponse, what: string): Record<string, unknown> {
  assert.ok(r.result !== undefined, `${what}: ${JSON.stringify(r.error)}`);
  return r.result as Record<string, unknown>;
}

test("a secret is set, previewed as (value hidden), saved to disk, and never answered or logged", async () => {
  writeFiles();
  const NEW = "New-MySQL-pw-0815";
  const { c, received } = await recordedSession();
  try {
    result(await c.call("augeas.set", { path: PASSWORD, value: NEW }), "set");
    const preview = result(await c.call("augeas.preview"), "preview");
    assert.deepEqual((preview.changes as FileDiff[]).map(({ tag: _tag, ...rest }) => rest), [
      {
        file: "/etc/mysql/debian.cnf",
        scope: "nodes",
        diff:
          "--- a/etc/mysql/debian.cnf (readable nodes)\n+++ b/etc/mysql/debian.cnf (readable nodes)\n@@ readable nodes @@\n" +
          `-${PASSWORD} (value hidden)\n+${PASSWORD} (value hidden)\n`,
        nodes: [{ node: PASSWORD, before: null, after: null, change: "changed", hidden: true }],
      },
    ]);
    const get = await c.call("augeas.get", { path: PASSWORD });
    assert.equal(get.error?.data?.kind, "policy-denied");
    assert.match(String(get.error?.data?.reason), /its value is secret/);
    assert.deepEqual(result(await c.call("augeas.match", { path: `${CNF}/*/password` }), "match"), { paths: [`${CNF}/target[1]/password`, `${CNF}/target[2]/password`] });
    const guess = await c.call("augeas.match", { path: `${CNF}/*[password = "guess"]` });
    assert.equal(guess.error?.data?.kind, "policy-denied", "a predicate may not compare a secret value");
    const discover = result(await c.call("rpc.discover"), "discover");
    assert.match(JSON.stringify(discover), /"secret":\["\*\/password"\]/);
    assert.deepEqual((result(await c.call("augeas.save"), "save") as { files: string[] }).files, ["/etc/mysql/debian.cnf"]);
    const after = await c.call("augeas.get", { path: PASSWORD });
    assert.equal(after.error?.data?.kind, "policy-denied", "still secret once saved");
  } finally {
    c.close();
  }
  const disk = suite.sandbox.read("/etc/mysql/debian.cnf");
  assert.match(disk, new RegExp(`^password = ${NEW}$`, "m"), "the secret reached the disk");
  assert.equal(disk.split(`password = ${OLD}`).length, 2, "the other section keeps its password");
  assertAbsent("the answers", received(), [NEW, OLD]);
  assertAbsent("the logs", logs(), [NEW, OLD]);
  assert.match(suite.daemon.stderr, / debug: /, "the daemon logs at debug level");
});

test("setting a secret to the value it has answers exactly as setting another value (no oracle)", async () => {
  writeFiles();
  const answers: string[] = [];
  for (const value of [OLD, "Some-other-value-1"]) {
    const { c, received } = await recordedSession();
    try {
      result(await c.call("augeas.set", { path: PASSWORD, value }), "set");
      result(await c.call("augeas.preview"), "preview");
      result(await c.call("augeas.apply", { changes: [{ op: "set", path: "/files/etc/shadow/root/password", value: value === OLD ? OLD_HASH : "$6$x$other" }], preview: true }), "apply");
      // Only what came after the handshake (whose nonces differ every time).
      answers.push(received().split("\n").slice(2).join("\n"));
    } finally {
      c.close();
    }
  }
  assert.equal(answers[0], answers[1], "the answers must not depend on whether the value is the one on disk");
  assert.match(answers[0]!, /"hidden":true/);
  assertAbsent("the answers", answers.join("\n"), [OLD, OLD_HASH, "Some-other-value-1", "$6$x$other"]);
  assert.equal(suite.sandbox.read("/etc/mysql/debian.cnf"), DEBIAN_CNF, "nothing was saved");
});

test("a save the lens refuses answers an error without the secret, writes nothing and logs no secret", async () => {
  writeFiles();
  const BAD = "Bad-pw-part-one\nBad-pw-part-two";
  const { c, received } = await recordedSession();
  try {
    result(await c.call("augeas.set", { path: PASSWORD, value: BAD }), "set");
    for (const method of ["augeas.preview", "augeas.save"]) {
      const r = await c.call(method);
      assert.equal(r.error?.data?.kind, "augeas", `${method}: ${JSON.stringify(r)}`);
      assert.equal(r.error?.data?.file, "/etc/mysql/debian.cnf");
    }
    result(await c.call("augeas.discard"), "discard");
    // Shadow's lens refuses a ':' in a password: the tree libaugeas would dump holds every field.
    const apply = await c.call("augeas.apply", { changes: [{ op: "set", path: "/files/etc/shadow/root/password", value: "Hash:with-colon" }] });
    assert.equal(apply.error?.data?.kind, "augeas", JSON.stringify(apply));
  } finally {
    c.close();
  }
  assertAbsent("the answers", received(), ["Bad-pw-part", "Hash:with-colon", "with-colon", OLD, OLD_HASH]);
  assertAbsent("the logs", logs(), ["Bad-pw-part", "with-colon", OLD, OLD_HASH]);
  assert.equal(suite.sandbox.read("/etc/mysql/debian.cnf"), DEBIAN_CNF);
  assert.equal(suite.sandbox.read("/etc/shadow"), SHADOW);
});

test("the CLI sets a secret and prints (value hidden), never the value; get is refused", async () => {
  writeFiles();
  const NEW = "$6$newsalt$NewRootHashFromCli";
  const set = await runMachina(suite.sandbox, ["set", "/files/etc/shadow/root/password", NEW]);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /^\+\/files\/etc\/shadow\/root\/password \(value hidden\)$/m);
  assertAbsent("machina set", set.stdout + set.stderr, [NEW, OLD_HASH]);
  assert.equal(suite.sandbox.read("/etc/shadow"), SHADOW.replace(OLD_HASH, NEW), "saved: only the hash changed");
  const get = await runMachina(suite.sandbox, ["get", "/files/etc/shadow/root/password"]);
  assert.equal(get.code, 1);
  assert.match(get.stderr, /secret/);
  assertAbsent("machina get", get.stdout + get.stderr, [NEW, OLD_HASH]);
  const lastchange = await runMachina(suite.sandbox, ["get", "/files/etc/shadow/root/lastchange_date"]);
  assert.equal(lastchange.code, 1, "secret = true: every value of the file is secret");
  assertAbsent("the logs", logs(), [NEW, OLD_HASH]);
});

test("policy explain says which values are secret and what that means", async () => {
  const r = await runMachinad(["policy", "explain", suite.sandbox.policyFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /secret: +values of \*\/password are secret: they can be set, never read back, never shown in previews, diffs, errors or logs/);
  assert.match(r.stdout, /secret: +values of every node of this file are secret/);
  const bad = fs.mkdtempSync(`${suite.sandbox.dir}/bad-`);
  fs.writeFileSync(`${bad}/policy.toml`, POLICY.replace('secret = ["*/password"]', 'secret = ["*/pass[1]"]'));
  const check = await runMachinad(["policy", "check", `${bad}/policy.toml`]);
  assert.notEqual(check.code, 0);
  assert.match(check.stderr + check.stdout, /augeas\.file\[0\]\.secret\[0\]: node pattern "\*\/pass\[1\]"/);
});
