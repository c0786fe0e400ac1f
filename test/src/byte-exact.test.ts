/**
 * Byte-exact files through the real daemon. Files whose bytes are not UTF-8
 * (Latin-1 /etc/hosts, sshd_config and php.ini) survive every read-modify-
 * write byte for byte: an edit of one node leaves every other byte as it was;
 * a value that is not UTF-8 is answered as `{ base64 }` with its exact bytes
 * and written back unchanged; labels that are not UTF-8 are answered as
 * `%HH` paths that resolve to the same node; previews compare bytes and show
 * such lines escaped, without touching the files; a NUL is refused. Every
 * check compares Buffers read from disk. The `machina` CLI's get/set with
 * bytes run against the same daemon.
 *
 * Modelled in part on the upstream API tests (libaugeas tests/test-api.c,
 * python-augeas test/test_augeas.py): get/set round trips of every node,
 * setm over several nodes, match then get of each path.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { augeasValueBytes, augeasValueFromBytes, type AugeasValue, type MachinaClient } from "@machina/client";
import { readAuditLines } from "./harness/audit-log.js";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { MACHINA, cleanEnv } from "./harness/daemon.js";
import { fixtureText } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";

const POLICY = `version = 1

[clients]
users = ["root"]

[[augeas.file]]
path = "/etc/hosts"
lens = "Hosts.lns"
read = ["**"]
write = ["*", "*/ipaddr", "*/canonical", "*/alias"]

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]

[[augeas.file]]
path = "/etc/ssh/sshd_config"
read = ["#comment", "Include", "Port", "PermitRootLogin", "PasswordAuthentication", "X11Forwarding"]
write = ["Port", "PermitRootLogin"]

[[augeas.file]]
path = "/etc/php.ini"
lens = "Php.lns"
read = ["**"]
write = ["*", "*/*"]

[[augeas.file]]
path = "/etc/app.ini"
lens = "Php.lns"
read = ["**"]
write = ["plain/key"]
`;

const suite = daemonSuite({ policy: POLICY });

const L = (text: string) => Buffer.from(text, "latin1");
const b64 = (text: string) => ({ base64: L(text).toString("base64") });

/** A Latin-1 hosts file: an alias and a comment that are not UTF-8. */
const HOSTS = L("127.0.0.1\tlocalhost\n192.0.2.7\tcaf\xe9.example.org\tcaf\xe9 cr\xe8me\n# r\xe9seau du bureau\n10.0.0.1\tbox\n");
/** The fixture sshd_config with a Latin-1 comment at the top. */
const SSHD = Buffer.concat([L("# Mod\xe8le \xe9dit\xe9 \xe0 la main\n"), Buffer.from(fixtureText("ssh/sshd_config"))]);
/** A php.ini with a Latin-1 section, a UTF-8 section holding U+FFFD (the look-alike of a lossy decoding), values of both. */
const PHP = Buffer.concat([L("[caf\xe9]\nkey = v\xe9l\nother = x\n"), Buffer.from("[caf\ufffd]\nkey = utf8 ✓\n"), L("[plain]\nkey = p\n")]);

function writeFiles(): void {
  fs.writeFileSync(suite.sandbox.path("/etc/hosts"), HOSTS);
  fs.writeFileSync(suite.sandbox.path("/etc/ssh/sshd_config"), SSHD);
  fs.writeFileSync(suite.sandbox.path("/etc/php.ini"), PHP);
  fs.writeFileSync(suite.sandbox.path("/etc/app.ini"), PHP);
}

const bytesOf = (file: string): Buffer => fs.readFileSync(suite.sandbox.path(file));

/** `bytes` with exactly one occurrence of `from` replaced (fails if absent or repeated). */
function replaceOnce(bytes: Buffer, from: Buffer, to: Buffer): Buffer {
  const at = bytes.indexOf(from);
  assert.ok(at >= 0 && bytes.indexOf(from, at + 1) < 0, `${JSON.stringify(from.toString("latin1"))} occurs exactly once`);
  return Buffer.concat([bytes.subarray(0, at), to, bytes.subarray(at + from.length)]);
}

test("an edit of one node leaves every other byte of a Latin-1 file unchanged", async () => {
  writeFiles();
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/3/canonical", value: "nas" });
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/Port", value: "2222" });
    await m.augeas.set({ path: "/files/etc/php.ini/plain/key", value: "q" });
    assert.deepEqual((await m.augeas.save()).files.sort(), ["/etc/hosts", "/etc/php.ini", "/etc/ssh/sshd_config"]);
  });
  assert.deepEqual(bytesOf("/etc/hosts"), replaceOnce(HOSTS, L("\tbox\n"), L("\tnas\n")));
  assert.deepEqual(bytesOf("/etc/ssh/sshd_config"), replaceOnce(SSHD, L("\nPort 22\n"), L("\nPort 2222\n")));
  assert.deepEqual(bytesOf("/etc/php.ini"), replaceOnce(PHP, L("key = p\n"), L("key = q\n")));
});

test("get answers a value that is not UTF-8 as { base64 } with its exact bytes, and UTF-8 values as strings", async () => {
  writeFiles();
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/2/alias[1]" }), { value: b64("caf\xe9") });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/2/canonical" }), { value: b64("caf\xe9.example.org") });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/1/canonical" }), { value: "localhost" });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/ssh/sshd_config/#comment[1]" }), { value: b64("Mod\xe8le \xe9dit\xe9 \xe0 la main") });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/php.ini/caf%EF%BF%BD/key" }), { value: "utf8 ✓" });
    // The typed client's helper gives the bytes.
    const { value } = await m.augeas.get({ path: "/files/etc/hosts/2/alias[2]" });
    assert.deepEqual(augeasValueBytes(value), L("cr\xe8me"));
  });
});

/** Every readable node's value, read and written back unchanged (a panel that re-sends a whole form). */
async function rewriteEveryValue(m: MachinaClient, base: string): Promise<number> {
  const paths = [...(await m.augeas.match({ path: `${base}/*` })).paths, ...(await m.augeas.match({ path: `${base}/*/*` })).paths];
  const values: [string, AugeasValue][] = [];
  for (const p of paths) values.push([p, (await m.augeas.get({ path: p })).value]);
  const changes = values.filter(([, v]) => v !== null).map(([p, v]) => ({ op: "set" as const, path: p, value: v }));
  await m.augeas.apply({ changes });
  return changes.length;
}

test("every value read and set back unchanged leaves the files identical, byte for byte", async () => {
  writeFiles();
  await withClient(suite.sandbox, async (m) => {
    assert.ok((await rewriteEveryValue(m, "/files/etc/hosts")) >= 9);
    assert.ok((await rewriteEveryValue(m, "/files/etc/php.ini")) >= 4);
    const { value } = await m.augeas.get({ path: "/files/etc/ssh/sshd_config/#comment[1]" });
    // The string form of the same bytes would be lossy; the byte form, sent back, is exact.
    await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/ssh/sshd_config/PermitRootLogin", value: "prohibit-password" }] });
    assert.deepEqual(augeasValueBytes(value), L("Mod\xe8le \xe9dit\xe9 \xe0 la main"));
  });
  assert.deepEqual(bytesOf("/etc/hosts"), HOSTS);
  assert.deepEqual(bytesOf("/etc/php.ini"), PHP);
  assert.deepEqual(bytesOf("/etc/ssh/sshd_config"), SSHD);
});

test("set, setm and apply take { base64 } and write exactly those bytes", async () => {
  writeFiles();
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hosts/2/alias[2]", value: b64("cr\xeame") });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/2/alias[2]" }), { value: b64("cr\xeame") });
    // The byte form of bytes that are UTF-8 is answered as a string.
    await m.augeas.set({ path: "/files/etc/hosts/3/canonical", value: { base64: Buffer.from("bôx").toString("base64") } });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/3/canonical" }), { value: "bôx" });
    assert.deepEqual(await m.augeas.setm({ base: "/files/etc/php.ini/*", sub: "key", value: b64("\xfcber") }), { count: 3 });
    await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/ssh/sshd_config/PermitRootLogin", value: augeasValueFromBytes(L("n\xf6")) }] });
  });
  assert.deepEqual(bytesOf("/etc/hosts"), replaceOnce(replaceOnce(HOSTS, L("cr\xe8me"), L("cr\xeame")), L("\tbox\n"), Buffer.from("\tbôx\n")));
  const php = bytesOf("/etc/php.ini");
  assert.equal(php.toString("latin1").split("key = \xfcber\n").length, 4, php.toString("latin1"));
  assert.deepEqual(bytesOf("/etc/ssh/sshd_config"), replaceOnce(SSHD, L("PermitRootLogin prohibit-password"), L("PermitRootLogin n\xf6")));
});

test("a value holding NUL is refused in either form, and nothing changes", async () => {
  writeFiles();
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    const set = await rejectsWithKind(m.augeas.set({ path: "/files/etc/hosts/2/alias[1]", value: b64("a\0b") }), "invalid-params");
    assert.equal(set.data["param"], "/value");
    assert.match(set.message, /NUL/);
    await rejectsWithKind(m.augeas.set({ path: "/files/etc/hosts/2/alias[1]", value: "a\u0000b" }), "invalid-params");
    const apply = await rejectsWithKind(
      m.augeas.apply({
        changes: [
          { op: "set", path: "/files/etc/hosts/3/canonical", value: "fine" },
          { op: "setm", base: "/files/etc/php.ini/*", sub: "key", value: b64("\0") },
        ],
      }),
      "invalid-params",
    );
    assert.equal(apply.data["change"], 1);
    assert.equal(apply.data["param"], "/changes/1/value");
    assert.deepEqual(await m.augeas.preview(), { changes: [] }, "the refused batch left nothing pending");
  });
  suite.sandbox.assertUnchanged(before);
});

test("previews compare bytes, show lines that are not UTF-8 escaped, and change nothing on disk", async () => {
  writeFiles();
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    const text = await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/hosts/2/alias[1]", value: b64("caf\xe8") }], preview: true });
    assert.deepEqual(text.changes.map(({ tag: _tag, ...rest }) => rest), [
      {
        file: "/etc/hosts",
        scope: "text",
        diff:
          "--- a/etc/hosts\n+++ b/etc/hosts\n@@ -1,4 +1,4 @@\n 127.0.0.1\tlocalhost\n-192.0.2.7\tcaf\\xE9.example.org\tcaf\\xE9 cr\\xE8me\n" +
          "+192.0.2.7\tcaf\\xE9.example.org\tcaf\\xE8 cr\\xE8me\n # r\\xE9seau du bureau\n 10.0.0.1\tbox\n",
      },
    ]);
    // sshd_config is not readable whole: the readable node changes, values as the protocol has them.
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/PermitRootLogin", value: b64("n\xf6") });
    const { changes } = await m.augeas.preview();
    const sshd = changes.find((c) => c.file === "/etc/ssh/sshd_config")!;
    assert.equal(sshd.scope, "nodes");
    assert.deepEqual(sshd.nodes, [{ node: "/files/etc/ssh/sshd_config/PermitRootLogin", before: "prohibit-password", after: b64("n\xf6"), change: "changed" }]);
    assert.match(sshd.diff, /^\+\/files\/etc\/ssh\/sshd_config\/PermitRootLogin = "n\\xF6"$/m);
    await m.augeas.discard();
  });
  suite.sandbox.assertUnchanged(before);
});

test("two values that differ only in bytes that are not UTF-8 are a change in a node preview", async () => {
  writeFiles();
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/ssh/sshd_config/PermitRootLogin", value: b64("n\xf6") }] });
  });
  await withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/ssh/sshd_config/PermitRootLogin", value: b64("n\xf8") }], preview: true });
    assert.deepEqual(r.changes[0]?.nodes, [{ node: "/files/etc/ssh/sshd_config/PermitRootLogin", before: b64("n\xf6"), after: b64("n\xf8"), change: "changed" }]);
  });
});

test("match answers %HH paths for labels that are not UTF-8, and each resolves to the node it names", async () => {
  writeFiles();
  await withClient(suite.sandbox, async (m) => {
    const { paths } = await m.augeas.match({ path: "/files/etc/php.ini/*" });
    assert.deepEqual(paths, ["/files/etc/php.ini/caf%E9", "/files/etc/php.ini/caf%EF%BF%BD", "/files/etc/php.ini/plain"]);
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/php.ini/caf%E9/key" }), { value: b64("v\xe9l") });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/php.ini/caf%e9/other" }), { value: "x" }, "either case of hex digits");
    const keys = await m.augeas.match({ path: "/files/etc/php.ini/*/key" });
    const values = [];
    for (const p of keys.paths) values.push((await m.augeas.get({ path: p })).value);
    assert.deepEqual(values, [b64("v\xe9l"), "utf8 ✓", "p"]);
    // A path set through names exactly that section; a predicate may name it too.
    await m.augeas.set({ path: "/files/etc/php.ini/caf%E9/key", value: "new" });
    assert.deepEqual((await m.augeas.match({ path: '/files/etc/php.ini/*[caf%E9 = "x"]' })).paths, []);
    assert.deepEqual((await m.augeas.match({ path: '/files/etc/php.ini/*[key = "new"]' })).paths, ["/files/etc/php.ini/caf%E9"]);
    // A new section gets exactly the bytes its path spells.
    await m.augeas.set({ path: "/files/etc/php.ini/%FCber/key", value: "k" });
    await m.augeas.save();
  });
  assert.deepEqual(bytesOf("/etc/php.ini"), Buffer.concat([replaceOnce(PHP, L("key = v\xe9l\n"), L("key = new\n")), L("[\xfcber]\nkey=k\n")]));
  // The audit log names the nodes as the client does.
  const sets = readAuditLines(suite.sandbox.auditLog).filter((l) => l.method === "augeas.set").slice(-2);
  assert.deepEqual(sets.map((l) => l.targets), [["/files/etc/php.ini/caf%E9/key"], ["/files/etc/php.ini/%FCber/key", "/files/etc/php.ini/%FCber"]]);
});

test("authorisation sees exact labels: a section no write pattern names is refused, named in %HH", async () => {
  writeFiles();
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.augeas.set({ path: "/files/etc/app.ini/caf%E9/key", value: "x" }), "policy-denied");
    assert.equal(e.data["target"], "/files/etc/app.ini/caf%E9/key");
    assert.match(e.message, /caf%E9/);
    assert.ok(!/[\ud800-\udfff\ufffd]/.test(JSON.stringify(e)), "no lone surrogate or U+FFFD in the error");
    await m.augeas.set({ path: "/files/etc/app.ini/plain/key", value: "ok" });
    await m.augeas.discard();
  });
  suite.sandbox.assertUnchanged(before);
});

/** Runs the machina CLI against the suite's daemon, keeping stdout's bytes. */
function machinaBytes(args: string[], input?: Buffer): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return waitFor(
    () =>
      new Promise<{ code: number | null; stdout: Buffer; stderr: string } | undefined>((resolve, reject) => {
        const child = spawn(process.execPath, [MACHINA, "--socket", suite.sandbox.socket, "--secret-file", suite.sandbox.secretFile, ...args], { env: cleanEnv() });
        const out: Buffer[] = [];
        let stderr = "";
        child.stdout.on("data", (b: Buffer) => out.push(b));
        child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
        child.once("error", reject);
        child.once("close", (code) => resolve(code === 3 && /^machina: busy/.test(stderr) ? undefined : { code, stdout: Buffer.concat(out), stderr }));
        child.stdin.end(input ?? Buffer.alloc(0));
      }),
    "the daemon's session slot to be free",
  );
}

test("machina get prints a value's exact bytes, and set --bytes-from / --base64 write them back", async () => {
  writeFiles();
  const got = await machinaBytes(["get", "-n", "/files/etc/hosts/2/alias[1]"]);
  assert.equal(got.code, 0, got.stderr);
  assert.deepEqual(got.stdout, L("caf\xe9"));
  assert.deepEqual((await machinaBytes(["get", "/files/etc/php.ini/caf%E9/key"])).stdout, L("v\xe9l\n"));
  const json = await machinaBytes(["--json", "get", "/files/etc/hosts/2/alias[1]"]);
  assert.deepEqual(JSON.parse(json.stdout.toString("utf8")), { value: b64("caf\xe9") });
  const file = path.join(suite.sandbox.dir, "alias.bin");
  fs.writeFileSync(file, got.stdout);
  const set = await machinaBytes(["set", "/files/etc/hosts/2/alias[1]", "--bytes-from", file]);
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(bytesOf("/etc/hosts"), HOSTS, "the value written back is the value read");
  assert.equal((await machinaBytes(["set", "--base64", "/files/etc/hosts/2/alias[1]", L("s\xfc\xdf").toString("base64")])).code, 0);
  assert.equal((await machinaBytes(["set", "/files/etc/hosts/3/canonical", "--bytes-from", "-"], L("b\xf6x"))).code, 0);
  assert.deepEqual(bytesOf("/etc/hosts"), replaceOnce(replaceOnce(HOSTS, L("\tcaf\xe9 "), L("\ts\xfc\xdf ")), L("\tbox\n"), L("\tb\xf6x\n")));
  const match = await machinaBytes(["match", "/files/etc/php.ini/*"]);
  assert.equal(match.stdout.toString("utf8"), "/files/etc/php.ini/caf%E9\n/files/etc/php.ini/caf%EF%BF%BD\n/files/etc/php.ini/plain\n");
});
