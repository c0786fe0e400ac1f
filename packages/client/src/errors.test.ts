import { test } from "node:test";
import assert from "node:assert/strict";
import { ERROR_CODES, ERROR_KINDS, JSONRPC_CODES } from "@machina/protocol";
import {
  AugeasError,
  ConnectionError,
  InvalidParamsError,
  LimitExceededError,
  MachinaError,
  NotFoundError,
  PolicyDeniedError,
  callTimeoutError,
  errorClassFor,
  errorFromWire,
} from "#src/errors.js";

test("every wire kind has its own subclass of MachinaError", () => {
  const classes = new Set<unknown>();
  for (const kind of ERROR_KINDS) {
    const cls = errorClassFor(kind);
    assert.notEqual(cls, MachinaError, kind);
    classes.add(cls);
    const error = errorFromWire({ code: ERROR_CODES[kind], message: "m", data: { kind } });
    assert.ok(error instanceof cls);
    assert.ok(error instanceof MachinaError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, cls.name);
    assert.equal(error.kind, kind);
  }
  assert.equal(classes.size, ERROR_KINDS.length);
});

test("errors without data.kind are classified by their JSON-RPC code", () => {
  assert.ok(errorFromWire({ code: JSONRPC_CODES.methodNotFound, message: "Method not found" }) instanceof NotFoundError);
  assert.ok(errorFromWire({ code: JSONRPC_CODES.parseError, message: "Parse error" }) instanceof InvalidParamsError);
  assert.ok(errorFromWire({ code: ERROR_CODES["policy-denied"], message: "no" }) instanceof PolicyDeniedError);
  const odd = errorFromWire({ code: 0, message: "" });
  assert.equal(odd.kind, "internal");
  assert.equal(odd.message, "the daemon reported an error");
  assert.equal(errorFromWire("garbage").kind, "internal");
});

test("an unknown kind keeps its name on the base class", () => {
  const e = errorFromWire({ code: -32077, message: "over quota", data: { kind: "quota", limit: 3 } });
  assert.equal(e.constructor, MachinaError);
  assert.equal(e.kind, "quota");
  assert.deepEqual(e.data, { kind: "quota", limit: 3 });
});

test("describe() adds the key details the message lacks, on one line", () => {
  const denied = errorFromWire({
    code: ERROR_CODES["policy-denied"],
    message: "writing /files/etc/hosts/1/ipaddr is not allowed",
    data: { kind: "policy-denied", reason: "no write pattern of /etc/hosts matches 1/ipaddr", target: "/files/etc/hosts/1/ipaddr" },
  });
  assert.equal(
    denied.describe(),
    "writing /files/etc/hosts/1/ipaddr is not allowed (reason: no write pattern of /etc/hosts matches 1/ipaddr)",
  );
  const aug = errorFromWire({
    code: ERROR_CODES.augeas,
    message: "save failed",
    data: { kind: "augeas", code: "ESAVE", message: "save failed", file: "/etc/hosts", details: "line 3:\nbad" },
  });
  assert.ok(aug instanceof AugeasError);
  assert.equal(aug.describe(), "save failed (code: ESAVE, details: line 3: bad, file: /etc/hosts)");
  const change = errorFromWire({ code: ERROR_CODES.augeas, message: "m", data: { kind: "augeas", code: "EPATHX", message: "m", change: 2 } });
  assert.match(change.describe(), /change: #3/);
});

test("client-side errors", () => {
  const c = new ConnectionError("could not connect");
  assert.equal(c.kind, "connection");
  assert.equal(c.code, undefined);
  assert.deepEqual(c.data, { kind: "connection" });
  assert.equal(c.name, "ConnectionError");
  const t = callTimeoutError("augeas.get", 10);
  assert.equal(t.kind, "timeout");
  assert.equal(t.code, ERROR_CODES.timeout);
  assert.deepEqual(t.data, { kind: "timeout", timeoutMs: 10 });
});

test("limit-exceeded names its limit and value in describe()", () => {
  const e = errorFromWire({
    code: ERROR_CODES["limit-exceeded"],
    message: "pending edits would hold 16777300 bytes: more than the pending-bytes limit of 16777216 (machinad --max-pending-bytes)",
    data: { kind: "limit-exceeded", limit: "pending-bytes", max: 16777216 },
  });
  assert.ok(e instanceof LimitExceededError);
  assert.equal(e.data.limit, "pending-bytes");
  assert.equal(e.data.max, 16777216);
  assert.match(e.describe(), /\(limit: pending-bytes \(max 16777216\)\)$/);
});
