import assert from "node:assert/strict";
import { test } from "node:test";
import { PendingConnections, type Admission } from "#src/transport/pending.js";

function pool(maxPending = 4, maxPendingPerUid = 2) {
  let clock = 1000;
  const evicted: string[] = [];
  const p = new PendingConnections({ maxPending, maxPendingPerUid }, () => clock++);
  const admit = (uid: number, pid: number, name: string): Admission => p.admit({ uid, pid }, (message) => evicted.push(`${name}: ${message}`));
  return { p, admit, evicted };
}

test("connections wait up to the per-uid and total bounds; beyond them a newcomer is refused with a reason", () => {
  const { p, admit } = pool();
  assert.ok(admit(1000, 10, "a").admitted);
  assert.ok(admit(1000, 11, "b").admitted);
  const third = admit(1000, 12, "c");
  assert.ok(!third.admitted);
  assert.match(third.message, /2 connections of uid 1000 are already waiting to authenticate \(at most 2\)/);
  assert.ok(admit(33, 20, "d").admitted);
  assert.ok(admit(34, 21, "e").admitted);
  const sixth = admit(35, 22, "f");
  assert.ok(!sixth.admitted);
  assert.match(sixth.message, /4 connections are already waiting to authenticate \(at most 4\)/);
  assert.equal(p.size, 4);
});

test("a process holding two places more than the newcomer's gives up its oldest; the newcomer's own are never taken", () => {
  const { p, admit, evicted } = pool(16, 3);
  const a1 = admit(0, 10, "a1");
  admit(0, 10, "a2");
  admit(0, 10, "a3");
  // The panel (another process of the same uid, no place yet) takes a place from the greedy process.
  const panel = admit(0, 99, "panel");
  assert.ok(panel.admitted && panel.evicted?.pid === 10, JSON.stringify(panel));
  assert.equal(evicted.length, 1);
  assert.match(evicted[0]!, /^a1: busy: this process holds 3 of the connections waiting/);
  // The greedy process cannot take it back: it holds 2, the panel 1.
  const again = admit(0, 10, "a4");
  assert.ok(!again.admitted);
  assert.equal(evicted.length, 1);
  assert.equal(p.countFor(0), 3);
  // Its oldest place went: a1 is no longer counted (releasing it is harmless).
  if (a1.admitted) p.release(a1.place);
  assert.equal(p.countFor(0), 3);
});

test("processes holding one place each are not evicted: the newcomer is refused", () => {
  const { admit, evicted } = pool(16, 3);
  admit(0, 10, "a");
  admit(0, 11, "b");
  admit(0, 12, "c");
  assert.ok(!admit(0, 99, "panel").admitted);
  assert.deepEqual(evicted, []);
});

test("the whole pool's bound takes a place from the greediest process of any uid", () => {
  const { admit, evicted } = pool(4, 4);
  for (let i = 0; i < 4; i++) admit(1000, 10, `a${i}`);
  const other = admit(2000, 20, "other");
  assert.ok(other.admitted && other.evicted?.uid === 1000);
  assert.equal(evicted.length, 1);
});

test("a place held after a wrong proof counts until its penalty passes, and is the first one given up", async () => {
  const { p, admit, evicted } = pool(16, 2);
  const a = admit(0, 10, "a");
  const b = admit(0, 10, "b");
  assert.ok(a.admitted && b.admitted);
  p.hold(b.place, 30);
  p.release(b.place); // its connection closes: the place stays held
  assert.equal(p.countFor(0), 2);
  // A newcomer of another process takes the held place first (no connection to end), not a's.
  const c = admit(0, 11, "c");
  assert.ok(c.admitted);
  assert.deepEqual(evicted, []);
  assert.equal(p.countFor(0), 2);
  // A held place frees itself when its penalty has passed.
  const d = admit(0, 10, "d"); // process 10 holds 1, process 11 holds 1: refused
  assert.ok(!d.admitted);
  p.hold(a.place, 20);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(p.countFor(0), 1);
  assert.ok(admit(0, 10, "e").admitted);
});

test("impossible bounds are refused", () => {
  assert.throws(() => new PendingConnections({ maxPending: 4, maxPendingPerUid: 5 }), RangeError);
  assert.throws(() => new PendingConnections({ maxPending: 0, maxPendingPerUid: 0 }), RangeError);
});
