import assert from "node:assert/strict";
import { test } from "node:test";
import type { AuditRecord } from "#src/audit.js";
import { createLogger } from "#src/logger.js";
import { RefusalLog } from "#src/refusal-log.js";

function setup(limit = 3) {
  let now = 0;
  const lines: string[] = [];
  const records: AuditRecord[] = [];
  const log = new RefusalLog(
    { logger: createLogger("debug", (l) => void lines.push(l)), audit: { write: (r) => void records.push(r), flush: () => undefined, reopen: () => undefined, close: () => undefined } },
    limit,
    10_000,
    () => now,
  );
  const refuse = (uid: number, reason = "connect: not in [clients]") =>
    log.record({
      reason,
      peer: { pid: 7, uid, gid: uid },
      log: { level: "warn", message: `refused connection from uid ${uid}` },
      audit: { id: "t-0-1", session: 0, peer: { pid: 7, uid, gid: uid }, method: "(connect)", targets: [], decision: "deny", outcome: "policy-denied", durationMs: 0, reason: "not allowed" },
      summary: (count, u, seconds) => `refused ${count} more connections from uid ${u} in the last ${seconds} s`,
    });
  return { log, lines, records, refuse, advance: (ms: number) => void (now += ms) };
}

test("at most `limit` lines per reason and interval, then one summary per uid with the count", () => {
  const { log, lines, records, refuse, advance } = setup();
  for (let i = 0; i < 4312; i++) refuse(1001);
  for (let i = 0; i < 5; i++) refuse(1002);
  refuse(1001, "connect: too many waiting to authenticate");
  assert.equal(lines.length, 4, "three of the first reason, one of the second");
  assert.equal(records.length, 4);
  advance(10_000);
  refuse(1001); // a new interval: the old one is summed up first
  assert.match(lines[4]!, /refused 4309 more connections from uid 1001 in the last 10 s/);
  assert.match(lines[5]!, /refused 5 more connections from uid 1002 in the last 10 s/);
  assert.equal(records[4]!.count, 4309);
  assert.equal(records[4]!.peer.uid, 1001);
  assert.equal(records[5]!.count, 5);
  assert.equal(lines.length, 7, "then the new interval's first line");
  log.flush();
  assert.equal(lines.length, 7, "nothing suppressed in the new interval yet");
  // Everything is accounted for: lines written one by one plus the summaries' counts.
  const total = records.filter((r) => r.reason !== undefined && r.count === undefined).length + records.reduce((n, r) => n + (r.count ?? 0), 0);
  assert.equal(total, 4312 + 5 + 1 + 1);
});

test("a summary is written when its interval ends, even if nothing else comes", async () => {
  let now = 0;
  const lines: string[] = [];
  const log = new RefusalLog({ logger: createLogger("info", (l) => void lines.push(l)), audit: { write: () => undefined, flush: () => undefined, reopen: () => undefined, close: () => undefined } }, 1, 30, () => now);
  for (let i = 0; i < 3; i++) log.record({ reason: "r", peer: { pid: 1, uid: 5, gid: 5 }, log: { level: "info", message: "one" }, summary: (c, u) => `${c} more from uid ${u}` });
  now = 30;
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /2 more from uid 5/);
});
