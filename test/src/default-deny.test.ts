/**
 * Invariant 1 (default deny) beyond paths, and the peer filter of invariant 6:
 * - a method whose capability the policy does not grant is `policy-denied`
 *   before its params are read, and discovery does not offer it;
 * - an unknown method is `not-found` (-32601);
 * - a peer whose uid the policy's [clients] does not list is refused
 *   (SO_PEERCRED) with `policy-denied` before anything else, and one it lists
 *   is served.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { afterEach, test } from "node:test";
import { NOBODY, spawnNodeScriptAs } from "./harness/as-user.js";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { rawSessionWhenFree } from "./harness/raw-client.js";
import { Sandbox } from "./harness/sandbox.js";

const READ_ONLY_POLICY = `version = 1

[clients]
users = ["root"]
groups = []

[[augeas.file]]
path = "/etc/hostname"
`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async (t) => {
  for (const f of cleanups.splice(0).reverse()) await f();
  void t;
});

async function daemonWith(policy: string, args: string[] = []): Promise<{ sb: Sandbox; d: DaemonProcess }> {
  const sb = Sandbox.create({ policy });
  cleanups.push(() => sb.cleanup());
  const d = await startDaemon(sb, { args });
  cleanups.push(async () => {
    await d.stop();
  });
  return { sb, d };
}

test("methods the policy does not grant are policy-denied, and discovery leaves them out", async () => {
  const { sb } = await daemonWith(READ_ONLY_POLICY);
  const before = sb.snapshot();
  await withClient(sb, async (m) => {
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
    for (const call of [
      () => m.augeas.set({ path: "/files/etc/hostname/hostname", value: "x" }),
      () => m.augeas.remove({ path: "/files/etc/hostname/hostname" }),
      () => m.augeas.save(),
      () => m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/hostname/hostname", value: "x" }] }),
      () => m.augeas.rollback({ id: "x-1-1" }),
    ]) {
      const e = await rejectsWithKind(call(), "policy-denied");
      assert.match(String(e.data.target), /^augeas\./);
    }
    // Refused before params are read: even malformed params get policy-denied, not invalid-params.
    await rejectsWithKind(m.call("augeas.set", { nonsense: 1 } as never), "policy-denied");
    const unknown = await rejectsWithKind(m.call("service.frobnicate" as never, { name: "ssh" }), "not-found");
    assert.equal((unknown as unknown as { code: number }).code, -32601);
    // No [[service]] entry: every service method is refused before its name is even validated.
    for (const call of [() => m.service.restart({ name: "ssh" }), () => m.service.status({ name: "../x" }), () => m.service.list()]) {
      const e = await rejectsWithKind(call(), "policy-denied");
      assert.match(String(e.data.target), /^service\./);
    }

    const doc = (await m.discover()) as unknown as { methods: { name: string }[] };
    const names = doc.methods.map((x) => x.name).sort();
    assert.ok(names.includes("augeas.get") && names.includes("augeas.match"), names.join(" "));
    assert.ok(!names.some((n) => n.startsWith("service.")), `no service method is offered: ${names.join(" ")}`);
    for (const w of ["augeas.set", "augeas.setm", "augeas.save", "augeas.apply", "augeas.remove", "augeas.move", "augeas.rename", "augeas.insert", "augeas.rollback"]) {
      assert.ok(!names.includes(w), `${w} is offered by discovery: ${names.join(" ")}`);
    }
  });
  sb.assertUnchanged(before);
});

/** Connects as uid/gid 65534 (nobody), says hello, and answers what the daemon sent until it closed. */
function connectAsNobody(socket: string): Promise<{ code: number | null; out: string; err: string }> {
  const script = `
    const net = require("net");
    const s = net.connect(${JSON.stringify(socket)});
    let out = "";
    s.on("data", (d) => (out += d));
    s.on("error", (e) => { console.error("ERR " + e.code); process.exit(9); });
    s.on("connect", () => s.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "session.hello", params: { protocol: 1, nonce: Buffer.alloc(32, 1).toString("base64") } }) + "\\n"));
    s.on("close", () => { process.stdout.write(out); process.exit(0); });
    setTimeout(() => { process.stdout.write(out); s.destroy(); }, 20000).unref();
  `;
  return new Promise((resolve, reject) => {
    const child = spawnNodeScriptAs(NOBODY, script);
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, out, err }));
  });
}

for (const allowed of [false, true]) {
  test(`a peer ${allowed ? "listed" : "not listed"} in [clients] is ${allowed ? "served" : "refused with policy-denied"} (SO_PEERCRED)`, async () => {
    const policy = READ_ONLY_POLICY.replace('users = ["root"]', allowed ? 'users = ["nobody"]' : 'users = ["root"]');
    // --user nobody: the socket belongs to nobody (mode 0600), so only the peer filter decides.
    const { sb } = await daemonWith(policy, ["--user", "nobody"]);
    fs.chmodSync(sb.dir, 0o755);
    assert.equal(fs.statSync(sb.socket).uid, 65534);
    const r = await connectAsNobody(sb.socket);
    assert.equal(r.code, 0, r.err);
    const first = JSON.parse(r.out.split("\n")[0]!) as { id: unknown; result?: { auth: string }; error?: { data: { kind: string } } };
    if (allowed) {
      assert.equal(first.id, 1);
      assert.equal(first.result?.auth, "hmac-sha512");
    } else {
      assert.equal(first.id, null);
      assert.equal(first.error?.data.kind, "policy-denied");
      assert.equal(r.out.split("\n").filter((l) => l !== "").length, 1, "nothing else is answered");
    }
    // Root may always connect, and the daemon is still serving.
    const c = await rawSessionWhenFree(sb.socket, sb.key);
    assert.deepEqual((await c.call("augeas.get", { path: "/files/etc/hostname/hostname" })).result, { value: "panel" });
    c.close();
  });
}
