/**
 * Invariant 7: a client killed (SIGKILL, so it cannot even close politely)
 * in the middle of its changes leaves nothing pending for the next session —
 * neither after edits it had made and seen answered, nor while a pipeline of
 * edits was still arriving — and nothing on disk changed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { withClient } from "../harness/clients.js";
import { daemonSuite } from "../harness/daemon-suite.js";
import { cleanEnv } from "../harness/daemon.js";
import { waitFor } from "../harness/wait.js";

const suite = daemonSuite();
const CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../packages/client/bundle/client.js");

/**
 * A separate client process: connects with @machina/client, makes `edits`
 * (awaited one by one, or all sent at once when `pipelined`), prints "ready"
 * and waits to be killed.
 */
function clientScript(pipelined: boolean): string {
  return `
import { connect } from ${JSON.stringify(CLIENT)};
const m = await connect({ socket: process.env.SOCK, secretFile: process.env.SECRET });
const edits = [];
for (let i = 0; i < 300; i++) edits.push(["/files/etc/hosts/" + (1 + (i % 3)) + "/canonical", "killed-" + i]);
edits.push(["/files/etc/hostname/hostname", "killed"]);
if (${pipelined}) {
  for (const [p, v] of edits) m.augeas.set({ path: p, value: v }).catch(() => {});
  process.stdout.write("ready\\n");
} else {
  for (const [p, v] of edits.slice(-20)) await m.augeas.set({ path: p, value: v });
  const { changes } = await m.augeas.preview();
  process.stdout.write(changes.length === 2 ? "ready\\n" : "preview had " + changes.length + " files\\n");
}
setInterval(() => {}, 1000);
`;
}

async function killClientMidChange(pipelined: boolean): Promise<void> {
  const script = path.join(suite.sandbox.dir, `client-${pipelined ? "pipelined" : "awaited"}.mjs`);
  fs.writeFileSync(script, clientScript(pipelined));
  const before = suite.sandbox.snapshot();
  const child = spawn(process.execPath, [script], { env: cleanEnv({ SOCK: suite.sandbox.socket, SECRET: suite.sandbox.secretFile }), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (out += s));
  const exited = new Promise((r) => child.once("close", r));
  try {
    await waitFor(() => out.includes("\n") || child.exitCode !== null, "the client to make its changes", () => out);
    assert.equal(out, "ready\n");
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.preview(), { changes: [] });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
    assert.deepEqual(await m.augeas.match({ path: '/files/etc/hosts/*[canonical = "killed-299"]' }), { paths: [] });
    // A save in the next session writes nothing of the dead client's edits.
    assert.deepEqual((await m.augeas.save()).files, []);
  });
  suite.sandbox.assertUnchanged(before);
}

test("a client SIGKILLed after its edits were answered leaves nothing pending", async () => {
  await killClientMidChange(false);
});

test("a client SIGKILLed while its pipelined edits are still arriving leaves nothing pending", async () => {
  await killClientMidChange(true);
});
