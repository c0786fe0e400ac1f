/**
 * The Augeas host process answers requests that came in one write in order,
 * and holds the answers to calls back to send them together — but never the
 * answer to a reset or a policy: the daemon starts a request's time limit
 * when the answer before it arrives, so a reset's answer held back behind a
 * slow call sent with it (a session's first call comes in the same write as
 * its reset) would leave that call running under the long loading limit
 * instead of --call-timeout.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type net from "node:net";
import { after, test } from "node:test";
import { parsePolicy } from "#src/policy/load-policy.js";
import { DEFAULT_SESSION_LIMITS } from "#src/limits.js";
import { spawnHostProcess } from "#src/augeas/host/host-process.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "machina-host-main-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const POLICY = `version = 1
[clients]
users = ["root"]
[[augeas.file]]
path = "/etc/hosts"
read = ["**"]
`;
// Seconds of libaugeas work on 10 000 entries.
const SLOW_MATCH = '/files/etc/hosts/*[canonical != "none of them"]';

test("a reset's answer leaves at once, not behind a slow call that came in the same write", async () => {
  fs.mkdirSync(path.join(root, "etc"));
  fs.writeFileSync(path.join(root, "etc/hosts"), Array.from({ length: 10_000 }, (_, i) => `10.1.${i >> 8}.${i & 255} host${i}`).join("\n") + "\n");
  const { child } = spawnHostProcess();
  try {
    const channel = child.stdio[3] as net.Socket;
    const arrived: { id: number; at: number }[] = [];
    let buffered = "";
    channel.setEncoding("utf8");
    const allThree = new Promise<void>((resolve) =>
      channel.on("data", (chunk: string) => {
        buffered += chunk;
        for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
          const message = JSON.parse(buffered.slice(0, end)) as { id?: number };
          buffered = buffered.slice(end + 1);
          if (message.id !== undefined) arrived.push({ id: message.id, at: Date.now() });
          if (arrived.length === 3) resolve();
        }
      }),
    );
    const lines = [
      { id: 1, op: "policy", root, section: parsePolicy(POLICY, "test.toml").augeas, limits: DEFAULT_SESSION_LIMITS, history: { dir: path.join(root, "history"), maxBytes: 1 << 20 }, tagKey: Buffer.alloc(32).toString("base64") },
      { id: 2, op: "reset" },
      { id: 3, op: "call", method: "augeas.match", params: { path: SLOW_MATCH }, call: { id: "t-1", time: new Date().toISOString(), peer: { pid: 1, uid: 0, gid: 0 } } },
    ];
    // One write: the host reads all three together.
    channel.write(lines.map((l) => JSON.stringify(l) + "\n").join(""));
    await allThree;
    assert.deepEqual(arrived.map((a) => a.id), [1, 2, 3], "answered in order");
    const [, reset, call] = arrived;
    assert.ok(call!.at - reset!.at > 500, `the reset's answer came while the slow match ran (${call!.at - reset!.at} ms before the match's), not with it`);
  } finally {
    child.kill("SIGKILL");
  }
});
