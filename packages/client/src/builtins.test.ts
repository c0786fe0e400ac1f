/**
 * Importing @machina/client (the bundle a panel imports) loads none of the
 * built-ins it needs only to connect: node:crypto, node:net and
 * node:child_process wait for the first connection (builtins.ts, and the
 * protocol's handshake). Checked in a fresh node, by the modules it loaded.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

const LAZY = ["crypto", "net", "child_process"];

function loadedAfter(script: string): string[] {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  return JSON.parse(out) as string[];
}

const builtins = `JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13)))`;

test("importing @machina/client loads neither node:crypto, node:net nor node:child_process", () => {
  const loaded = loadedAfter(`await import("@machina/client"); console.log(${builtins});`);
  for (const name of LAZY) assert.ok(!loaded.includes(name), `${name} is loaded at import: ${loaded.join(" ")}`);
});

test("the built-ins are loaded once a connection is tried", () => {
  // A socket that does not exist: connect fails, having needed node:net (and, before it, nothing else).
  const loaded = loadedAfter(
    `const { connect } = await import("@machina/client"); await connect({ socket: "/nonexistent/machina.sock", secret: new Uint8Array(32), trustedSocketOwner: null, connectTimeoutMs: 2000 }).catch(() => undefined); console.log(${builtins});`,
  );
  assert.ok(loaded.includes("net"), `node:net is loaded by a connection attempt: ${loaded.join(" ")}`);
});
