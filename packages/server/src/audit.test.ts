import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { newAuditId, openAuditLog, type AuditRecord } from "#src/audit.js";

const record = (method: string): AuditRecord => ({ id: newAuditId(1), session: 1, peer: { pid: 1, uid: 0, gid: 0 }, method, targets: ["/files/etc/hosts"], decision: "allow", outcome: "ok", durationMs: 0.1 });

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "machina-audit-")), "audit.log");
}

const methods = (file: string) =>
  fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as AuditRecord).method);

test("lines are queued and written together by flush(), in order", () => {
  const file = tmpFile();
  const log = openAuditLog(file);
  log.write(record("augeas.get"));
  log.write(record("augeas.set"));
  assert.deepEqual(methods(file), [], "not written before the flush (the session flushes before answers leave)");
  log.flush();
  assert.deepEqual(methods(file), ["augeas.get", "augeas.set"]);
  log.write(record("augeas.save"));
  log.close();
  assert.deepEqual(methods(file), ["augeas.get", "augeas.set", "augeas.save"], "close() writes what is queued");
});

test("queued lines are written on the next turn of the event loop without a flush", async () => {
  const file = tmpFile();
  const log = openAuditLog(file);
  log.write(record("augeas.get"));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(methods(file), ["augeas.get"]);
  log.close();
});

test("a process that dies of an uncaught exception, or exits, still writes its queued lines", () => {
  const audit = new URL("./audit.js", import.meta.resolve("#src/audit.js")).href;
  for (const ending of ["throw new Error('boom')", "process.exit(3)"]) {
    const file = tmpFile();
    const script = `import { openAuditLog } from ${JSON.stringify(audit)};
const log = openAuditLog(${JSON.stringify(file)});
log.write(${JSON.stringify(record("augeas.apply"))});
${ending};`;
    try {
      execFileSync(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
      assert.fail("the child was meant to fail");
    } catch (e) {
      assert.notEqual((e as { status?: number }).status, 0, ending);
    }
    assert.deepEqual(methods(file), ["augeas.apply"], ending);
  }
});

test("audit ids are distinct, name their session, and are safe as file names", () => {
  const ids = Array.from({ length: 1000 }, (_, i) => newAuditId(i % 3));
  assert.equal(new Set(ids).size, ids.length);
  for (const [i, id] of ids.entries()) {
    assert.match(id, /^[0-9a-z]+-[0-9]+-[0-9]+$/);
    assert.equal(id.split("-")[1], String(i % 3));
  }
  // The first part is this process's start time: ids of a later start differ from every id of this one.
  assert.ok(Math.abs(parseInt(ids[0]!.split("-")[0]!, 36) - Date.now()) < 3_600_000);
});

test("the audit line carries the record's id", () => {
  const file = tmpFile();
  const log = openAuditLog(file);
  const r = record("augeas.save");
  log.write(r);
  log.close();
  assert.equal((JSON.parse(fs.readFileSync(file, "utf8")) as AuditRecord).id, r.id);
});
