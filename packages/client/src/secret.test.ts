import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { encodeBase64, formatKey, generateKey } from "@machina/protocol";
import { ConnectionError } from "#src/errors.js";
import { loadKey } from "#src/secret.js";

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "machina-secret-"));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("reads a secret file, an inline base64 secret, and raw bytes", async () => {
  await inTempDir(async (dir) => {
    const key = generateKey();
    const file = path.join(dir, "secret");
    await writeFile(file, formatKey(key));
    assert.deepEqual(await loadKey({ secretFile: file }), key);
    assert.deepEqual(await loadKey({ secret: encodeBase64(key) }), key);
    const copy = await loadKey({ secret: key });
    assert.deepEqual(copy, key);
    assert.notEqual(copy, key, "a copy, so the caller's bytes are not wiped");
  });
});

test("a missing, unreadable or malformed secret is a ConnectionError naming the file but not its contents", async () => {
  await inTempDir(async (dir) => {
    const missing = path.join(dir, "missing");
    await assert.rejects(loadKey({ secretFile: missing }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.equal(e.message, `cannot read the secret file ${missing}: no such file`);
      return true;
    });
    await mkdir(path.join(dir, "adir"));
    await assert.rejects(loadKey({ secretFile: path.join(dir, "adir") }), /it is a directory/);
    const bad = path.join(dir, "bad");
    const contents = "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFr";
    await writeFile(bad, contents);
    await assert.rejects(loadKey({ secretFile: bad }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.ok(e.message.includes(bad));
      assert.ok(!e.message.includes(contents));
      assert.match(e.message, /malformed/);
      return true;
    });
    await assert.rejects(loadKey({ secret: contents }), (e: unknown) => e instanceof ConnectionError && !e.message.includes(contents));
    await assert.rejects(loadKey({ secret: new Uint8Array(31) }), ConnectionError);
  });
});

test("an unreadable secret file says permission denied", async () => {
  await inTempDir(async (dir) => {
    const file = path.join(dir, "secret");
    await writeFile(file, formatKey(generateKey()), { mode: 0o000 });
    if (process.geteuid?.() !== 0) {
      await assert.rejects(loadKey({ secretFile: file }), /permission denied/);
      return;
    }
    // Root reads any file through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so ask as root without
    // them, in a child process. (Not as another user: that one could not import this module when
    // the checkout lies below a directory only root may enter, as /root is.)
    const noDac = "-dac_override,-dac_read_search";
    const script = `import("${import.meta.resolve("#src/secret.js")}").then((m) => m.loadKey({ secretFile: ${JSON.stringify(file)} })).then(() => console.log("read"), (e) => console.log(e.message))`;
    const out = execFileSync("setpriv", [`--inh-caps=${noDac}`, `--bounding-set=${noDac}`, "--", process.execPath, "-e", script], { encoding: "utf8" });
    assert.match(out, /permission denied/);
  });
});
