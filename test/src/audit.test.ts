/**
 * Invariants 8 and 9: one structured audit line per call (method, decision,
 * outcome, peer pid/uid/gid, targets, duration), refusals included; and the
 * secret never appears in the audit log or the daemon's stderr (even with
 * -v), nor do the values a client sets.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { generateKey } from "@machina/protocol";
import { readAuditLines, type AuditLine } from "./harness/audit-log.js";
import { connectClient, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { RawConnection, helloWhenFree, rawSessionWhenFree } from "./harness/raw-client.js";
import { waitFor } from "./harness/wait.js";

const suite = daemonSuite({ args: ["--verbose"] });

function auditLines(): AuditLine[] {
  return readAuditLines(suite.sandbox.auditLog);
}

const ME = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
const SECRET_VALUE = "s3cret-value-that-must-not-be-logged";

test("every call gets exactly one audit line with method, decision, outcome and peer", async () => {
  const start = auditLines().length;
  const c = await rawSessionWhenFree(suite.sandbox.socket, suite.sandbox.key);
  try {
    assert.ok((await c.call("augeas.get", { path: "/files/etc/hostname/hostname" })).result);
    assert.equal((await c.call("augeas.set", { path: "/files/etc/default/locale/LANG", value: "C" })).error?.data?.kind, "policy-denied");
    assert.ok((await c.call("augeas.set", { path: "/files/etc/hostname/hostname", value: SECRET_VALUE })).result);
    assert.equal((await c.call("augeas.get", { path: "/files/etc/hosts/42/ipaddr" })).error?.data?.kind, "not-found");
    assert.deepEqual(((await c.call("augeas.save")).result as { files: string[] }).files, ["/etc/hostname"]);
    assert.equal((await c.call("no.such.method")).error?.data?.kind, "not-found");
  } finally {
    c.close();
  }
  // (Busy refusals while the previous test's session wound down would show as "(connect)".)
  const lines = auditLines()
    .slice(start)
    .filter((l) => l.method !== "(connect)");
  assert.deepEqual(
    lines.map((l) => [l.method, l.decision, l.outcome]),
    [
      ["session.hello", "allow", "ok"],
      ["session.authenticate", "allow", "ok"],
      ["augeas.get", "allow", "ok"],
      ["augeas.set", "deny", "policy-denied"],
      ["augeas.set", "allow", "ok"],
      ["augeas.get", "allow", "not-found"],
      ["augeas.save", "allow", "ok"],
      ["no.such.method", "deny", "not-found"],
    ],
  );
  for (const l of lines) {
    assert.equal(l.type, "audit");
    assert.deepEqual(l.peer, ME);
    assert.equal(l.session, lines[0]!.session);
    assert.ok(!Number.isNaN(Date.parse(l.time)), l.time);
    assert.equal(typeof l.durationMs, "number");
    assert.ok(Array.isArray(l.targets));
  }
  assert.ok(lines[2]!.targets.includes("/files/etc/hostname/hostname"), JSON.stringify(lines[2]));
  assert.ok(lines[3]!.targets.some((t) => t.startsWith("/files/etc/default/locale")), JSON.stringify(lines[3]));
  assert.ok(lines[3]!.reason && lines[3]!.reason.length > 0, "a refusal says why");
  assert.ok(lines[6]!.targets.includes("/etc/hostname"), JSON.stringify(lines[6]));
  // The audit log is private.
  assert.equal(fs.statSync(suite.sandbox.auditLog).mode & 0o777, 0o600);
});

test("refusals before a session exists are audited too: unauthenticated, auth-failed, busy", async () => {
  const start = auditLines().length;
  // unauthenticated, then a wrong proof.
  const c = await waitFor(async () => {
    const raw = await RawConnection.open(suite.sandbox.socket);
    const r = await raw.call("augeas.save");
    if (r.error?.data?.kind === "busy") {
      raw.close();
      return undefined;
    }
    return raw;
  }, "a free session slot");
  await c.hello();
  assert.equal((await c.authenticateWith(generateKey())).error?.data?.kind, "auth-failed");
  await c.waitClosed();
  // busy: a second connection that authenticates while a session is open.
  const m = await connectClient(suite.sandbox);
  try {
    const busy = await RawConnection.open(suite.sandbox.socket);
    assert.ok((await busy.hello()).result);
    assert.equal((await busy.authenticateWith(suite.sandbox.key)).error?.data?.kind, "busy");
    await busy.waitClosed();
  } finally {
    await m.close();
  }
  const lines = auditLines().slice(start);
  const summary = lines.map((l) => [l.method, l.decision, l.outcome]);
  // Lines from earlier busy retries (if any) come first; then exactly these.
  const firstSave = summary.findIndex((s) => s[0] === "augeas.save" && s[2] === "unauthenticated");
  assert.ok(firstSave >= 0, JSON.stringify(summary));
  assert.deepEqual(summary.slice(firstSave, firstSave + 3), [
    ["augeas.save", "deny", "unauthenticated"],
    ["session.hello", "allow", "ok"],
    ["session.authenticate", "deny", "auth-failed"],
  ]);
  const busyLine = lines.slice(firstSave + 3).find((l) => l.outcome === "busy");
  assert.ok(busyLine, JSON.stringify(summary));
  assert.equal(busyLine.method, "session.authenticate");
  assert.equal(busyLine.decision, "deny");
  assert.deepEqual(busyLine.peer, ME);
});

test("the secret never appears in the audit log or the daemon's stderr, nor do values", async () => {
  // Exercise everything once more, including a failed authentication and a refused write.
  const bad = await helloWhenFree(suite.sandbox.socket);
  await bad.authenticateWith(generateKey());
  bad.close();
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: SECRET_VALUE }).catch(() => undefined);
    await m.augeas.set({ path: "/files/etc/default/locale/LANG", value: SECRET_VALUE }).catch(() => undefined);
    await m.augeas.preview();
  });
  const audit = fs.readFileSync(suite.sandbox.auditLog, "utf8");
  const stderr = suite.daemon.stderr;
  assert.ok(audit.length > 0 && stderr.length > 0);
  const keyForms = [
    suite.sandbox.keyBase64,
    Buffer.from(suite.sandbox.key).toString("hex"),
    Buffer.from(suite.sandbox.key).toString("base64url"),
    // A long-enough slice catches partial dumps.
    suite.sandbox.keyBase64.slice(4, 28),
  ];
  for (const form of keyForms) {
    assert.ok(!audit.includes(form), "the key appears in the audit log");
    assert.ok(!stderr.includes(form), "the key appears in the daemon's stderr");
  }
  assert.ok(!audit.includes(SECRET_VALUE), "a set value appears in the audit log");
});
