import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { createLogger } from "#src/logger.js";
import { createServiceBackend, resolveBackendKind } from "#src/service/select-backend.js";

test("auto picks systemd exactly when its runtime directory exists; explicit choices are kept", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-sd-"));
  try {
    const run = path.join(dir, "system");
    assert.equal(resolveBackendKind("auto", run), "initd");
    fs.writeFileSync(run, "");
    assert.equal(resolveBackendKind("auto", run), "initd", "a file is not a running systemd");
    fs.rmSync(run);
    fs.mkdirSync(run);
    assert.equal(resolveBackendKind("auto", run), "systemd");
    assert.equal(resolveBackendKind("initd", run), "initd");
    assert.equal(resolveBackendKind("systemd", path.join(dir, "missing")), "systemd");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the backend created matches the choice, and validates names its own way", () => {
  const logger = createLogger("error");
  const initd = createServiceBackend({ choice: "initd", timeoutMs: 1000, logger });
  const systemd = createServiceBackend({ choice: "systemd", timeoutMs: 1000, logger });
  assert.equal(initd.kind, "initd");
  assert.equal(systemd.kind, "systemd");
  assert.equal(initd.canonicalName("nginx"), "nginx");
  assert.equal(systemd.canonicalName("nginx"), "nginx.service");
  assert.equal(initd.canonicalName("example@0042.service"), undefined);
  systemd.close();
});
