/**
 * `machina get` and `machina set` with values that are not UTF-8: get writes
 * the exact bytes (its --json the protocol's form), set sends text as typed
 * and bytes given with --base64 or --bytes-from exactly, in the daemon's own
 * form (a string when they are UTF-8, { base64 } otherwise). Against a fake
 * daemon speaking the real protocol; the real daemon's side is in
 * test/src/byte-exact.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { FakeServer, wireError, type FakeRequest } from "../testing/fake-server.js";
import { runCli } from "#src/cli/program.js";
import { augeasValueBytes, augeasValueFromBytes, augeasValueText } from "#src/augeas-values.js";

const LATIN1 = Buffer.from("caf\xe9", "latin1");

interface Outcome {
  code: number;
  stdout: Buffer;
  stderr: string;
}

async function withDaemon(body: (args: string[], calls: FakeRequest[], dir: string) => Promise<void>): Promise<void> {
  const calls: FakeRequest[] = [];
  const server = await FakeServer.start({
    onCall: (request) => {
      calls.push(request);
      const params = request.params as Record<string, unknown>;
      if (request.method === "augeas.get") {
        if (params["path"] === "/files/etc/hosts/1/alias") return { result: { value: { base64: LATIN1.toString("base64") } } };
        return { result: { value: "box" } };
      }
      if (request.method === "augeas.apply") return { result: { changes: [], saved: true, files: ["/etc/hosts"] } };
      return wireError("not-found", `no method ${request.method}`);
    },
  });
  const secretFile = path.join(server.dir, "secret");
  await writeFile(secretFile, server.secret + "\n", { mode: 0o600 });
  try {
    await body(["--socket", server.socketPath, "--secret-file", secretFile, "--socket-owner", "any"], calls, server.dir);
  } finally {
    await server.stop();
  }
}

/** Runs the CLI in-process, keeping stdout's bytes as written. */
async function run(argv: string[], stdin: Buffer = Buffer.alloc(0)): Promise<Outcome> {
  const out: Buffer[] = [];
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (d: string | Uint8Array) => out.push(Buffer.from(d)) },
    stderr: { write: (d: string | Uint8Array) => (stderr += String(d)) },
    stdin: Readable.from([stdin]),
    env: {},
  });
  return { code, stdout: Buffer.concat(out), stderr };
}

const sentValues = (calls: FakeRequest[]) =>
  calls.filter((c) => c.method === "augeas.apply").map((c) => ((c.params as { changes: { value: unknown }[] }).changes[0]!.value));

test("get prints a value that is not UTF-8 byte for byte; -n leaves out the newline; --json shows the protocol form", async () => {
  await withDaemon(async (args) => {
    const plain = await run([...args, "get", "/files/etc/hosts/1/alias"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(plain.stdout, Buffer.concat([LATIN1, Buffer.from("\n")]));
    assert.deepEqual((await run([...args, "get", "-n", "/files/etc/hosts/1/alias"])).stdout, LATIN1);
    assert.deepEqual((await run([...args, "get", "--no-newline", "/files/etc/hostname/hostname"])).stdout, Buffer.from("box"));
    const json = await run([...args, "--json", "get", "/files/etc/hosts/1/alias"]);
    assert.deepEqual(JSON.parse(json.stdout.toString("utf8")), { value: { base64: "Y2Fm6Q==" } });
  });
});

test("set sends text as typed, and exact bytes from --base64 or --bytes-from in the daemon's form", async () => {
  await withDaemon(async (args, calls, dir) => {
    const file = path.join(dir, "value.bin");
    await writeFile(file, LATIN1);
    const utf8File = path.join(dir, "utf8.bin");
    await writeFile(utf8File, "café\n");
    for (const argv of [
      ["set", "/files/etc/hosts/1/alias", "caf\\xe9"],
      ["set", "--base64", "/files/etc/hosts/1/alias", "Y2Fm6Q=="],
      ["set", "/files/etc/hosts/1/alias", "--bytes-from", file],
      ["set", "/files/etc/hosts/1/alias", "--bytes-from", utf8File],
      ["set", "/files/etc/hosts/1/alias", "--bytes-from", "-"],
    ]) {
      const outcome = await run([...args, ...argv], LATIN1);
      assert.equal(outcome.code, 0, `${argv.join(" ")}: ${outcome.stderr}`);
    }
    assert.deepEqual(sentValues(calls), ["caf\\xe9", { base64: "Y2Fm6Q==" }, { base64: "Y2Fm6Q==" }, "café\n", { base64: "Y2Fm6Q==" }]);
  });
});

test("set refuses a VALUE together with --bytes-from, a missing value and malformed base64 (exit 2, nothing sent)", async () => {
  await withDaemon(async (args, calls) => {
    for (const [argv, message] of [
      [["set", "/files/a", "x", "--bytes-from", "/dev/null"], "machina: give the value either as VALUE or with --bytes-from, not both"],
      [["set", "--base64", "/files/a", "--bytes-from", "/dev/null"], "machina: give the value either as VALUE or with --bytes-from, not both"],
      [["set", "/files/a"], "machina: missing required argument 'VALUE'"],
      [["set", "--base64", "/files/a", "Y2Fm6Q"], "machina: VALUE with --base64: not standard base64"],
      [["set", "/files/a", "--bytes-from", "/nonexistent/value"], "machina: cannot read /nonexistent/value: no such file"],
    ] as const) {
      const outcome = await run([...args, ...argv]);
      assert.equal(outcome.code, 2, argv.join(" "));
      assert.ok(outcome.stderr.startsWith(message), outcome.stderr);
    }
    assert.equal(calls.filter((c) => c.method === "augeas.apply").length, 0);
  });
});

test("the client's value helpers turn values into bytes and back", () => {
  assert.deepEqual(augeasValueBytes({ base64: "Y2Fm6Q==" }), LATIN1);
  assert.equal(augeasValueBytes(null), null);
  assert.deepEqual(augeasValueFromBytes(LATIN1), { base64: "Y2Fm6Q==" });
  assert.equal(augeasValueFromBytes(Buffer.from("café")), "café");
  assert.equal(augeasValueText({ base64: "Y2Fm6Q==" }), "caf\ufffd");
});
