/**
 * Invariant 7 under the worst fault: machinad killed with SIGKILL while it is
 * saving. A client pipelines many set + save pairs touching two files at once
 * (a large /etc/hosts, so a write takes a while, and /etc/hostname); the
 * daemon is SIGKILLed after a random number of answers. Afterwards each file
 * must be exactly its old text or exactly one of the texts a save would have
 * written — never partial, never a mixture — and a new daemon on the same
 * files serves the next client. Repeated many times, at different moments.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { assertServesNextRawClient } from "../harness/clients.js";
import { startDaemon } from "../harness/daemon.js";
import { rawSessionWhenFree, type RawResponse } from "../harness/raw-client.js";
import { Sandbox } from "../harness/sandbox.js";

const ROUNDS = 25;
const SAVES_PER_ROUND = 20;
const sandbox = Sandbox.create();
after(() => sandbox.cleanup());

/** A large hosts file: the first line is the one the test edits. */
function bigHosts(): string {
  const lines = ["127.0.0.1\tlocalhost"];
  for (let i = 0; i < 1500; i++) lines.push(`10.${(i >> 8) & 255}.${i & 255}.1\thost-${i}.example.org\thost-${i} alias-${i}`);
  return lines.join("\n") + "\n";
}

const HOSTS = bigHosts();
const HOSTNAME = "panel\n";
const valueOf = (round: number, k: number) => `r${round}v${k}`;
/** Which save of the round wrote this /etc/hostname (-1: none yet). */
const versionOf = (hostname: string, round: number) => Array.from({ length: SAVES_PER_ROUND }, (_, k) => `${valueOf(round, k)}\n`).indexOf(hostname);
const hostsWith = (v: string) => HOSTS.replace("127.0.0.1\tlocalhost\n", `127.0.0.1\t${v}\n`);

test(`SIGKILL during saves leaves every file old or new, never partial (${ROUNDS} rounds)`, async (t) => {
  let killedMidway = 0;
  const strays = new Set<string>();
  for (let round = 0; round < ROUNDS; round++) {
    sandbox.write("/etc/hosts", HOSTS);
    sandbox.write("/etc/hostname", HOSTNAME);
    const daemon = await startDaemon(sandbox);
    const c = await rawSessionWhenFree(sandbox.socket, sandbox.key);
    const batch: string[] = [];
    for (let k = 0; k < SAVES_PER_ROUND; k++) {
      const v = valueOf(round, k);
      batch.push(JSON.stringify({ jsonrpc: "2.0", id: `h${k}`, method: "augeas.set", params: { path: "/files/etc/hosts/1/canonical", value: v } }));
      batch.push(JSON.stringify({ jsonrpc: "2.0", id: `n${k}`, method: "augeas.set", params: { path: "/files/etc/hostname/hostname", value: v } }));
      batch.push(JSON.stringify({ jsonrpc: "2.0", id: `s${k}`, method: "augeas.save", params: {} }));
    }
    c.send(batch.join("\n") + "\n");
    // Kill after a different number of answers each round (from "before the first save" to "near the end").
    const answersBeforeKill = Math.floor(((round * 7919) % ROUNDS) * ((SAVES_PER_ROUND * 3) / ROUNDS));
    let saved = 0;
    for (let i = 0; i < answersBeforeKill; i++) {
      const r = (await c.next(120_000)) as RawResponse;
      assert.ok(!r.error, `${JSON.stringify(r)}\n${daemon.describe()}`);
      if (String(r.id).startsWith("s")) saved++;
    }
    daemon.signal("SIGKILL");
    const versionAtKill = versionOf(sandbox.read("/etc/hostname"), round);
    const exit = await daemon.exited;
    c.close();
    assert.equal(exit.signal, "SIGKILL");
    if (saved < SAVES_PER_ROUND) killedMidway++;

    const hosts = sandbox.read("/etc/hosts");
    const hostname = sandbox.read("/etc/hostname");
    const candidates = Array.from({ length: SAVES_PER_ROUND }, (_, k) => valueOf(round, k));
    assert.ok(hosts === HOSTS || candidates.some((v) => hosts === hostsWith(v)), `round ${round}: /etc/hosts is neither old nor a saved version (${hosts.length} bytes, first line ${JSON.stringify(hosts.split("\n")[0])})`);
    assert.ok(hostname === HOSTNAME || candidates.some((v) => hostname === `${v}\n`), `round ${round}: /etc/hostname is ${JSON.stringify(hostname)}`);
    // Nothing runs once the daemon is dead: its Augeas host finishes the call in progress and none
    // of those it had queued (at most one more save than was on disk when the daemon died; the
    // kernel reparents the host a moment after the kill).
    assert.ok(versionOf(hostname, round) - versionAtKill <= 2, `round ${round}: version ${versionAtKill} on disk at the kill, ${versionOf(hostname, round)} once the host had gone`);
    // Every save the client saw answered is on disk (the last answered one, or a later one).
    if (saved > 0) {
      const k = candidates.findIndex((v) => hostname === `${v}\n`);
      assert.ok(k >= saved - 1, `round ${round}: ${saved} saves were answered, but the file holds version ${k}`);
    }
    for (const name of fs.readdirSync(sandbox.path("/etc"))) if (!["hosts", "hostname", "ssh", "default"].includes(name)) strays.add(name);
    for (const name of strays) fs.rmSync(path.join(sandbox.path("/etc"), name), { force: true, recursive: true });
  }
  // A daemon started on whatever the last kill left serves normally.
  const daemon = await startDaemon(sandbox);
  try {
    await assertServesNextRawClient(sandbox);
  } finally {
    await daemon.stop();
  }
  t.diagnostic(`${ROUNDS} rounds, ${killedMidway} killed before their last save; temporary files left behind by a kill: ${strays.size ? [...strays].join(", ") : "none"}`);
  assert.ok(killedMidway >= ROUNDS / 2, "most rounds must kill the daemon before it has answered every save");
});
