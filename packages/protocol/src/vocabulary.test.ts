import { test } from "node:test";
import assert from "node:assert/strict";
import { METHODS, METHOD_NAMES, isMethodName } from "#src/vocabulary.js";
import { validateParams } from "#src/validation.js";
import { buildOpenRpcDocument, buildOpenRpcNameList } from "#src/openrpc.js";
import { ERROR_CODES, ERROR_KINDS, isErrorKind } from "#src/errors.js";

test("every method is documented, keyed by its own name, with object params refusing extras", () => {
  for (const name of METHOD_NAMES) {
    const spec = METHODS[name];
    assert.equal(spec.name, name);
    assert.ok(spec.summary.length > 10 && spec.description.length > 20, `${name} is documented`);
    assert.equal(spec.params.type, "object");
    assert.equal((spec.params as { additionalProperties?: boolean }).additionalProperties, false, `${name} refuses extra params`);
  }
});

test("only session.* and rpc.discover are callable before authentication", () => {
  const pre = METHOD_NAMES.filter((n) => METHODS[n].preAuth === true).sort();
  assert.deepEqual(pre, ["rpc.discover", "session.authenticate", "session.hello"]);
});

test("validation accepts good params and names the offending one otherwise", () => {
  assert.deepEqual(validateParams("augeas.get", { path: "/files/etc/hosts" }), { ok: true, params: { path: "/files/etc/hosts" } });
  const missing = validateParams("augeas.get", {});
  assert.equal(missing.ok, false);
  const extra = validateParams("augeas.get", { path: "/files/x", evil: 1 });
  assert.equal(extra.ok, false);
  const wrong = validateParams("augeas.set", { path: "/files/x", value: 5 });
  assert.ok(!wrong.ok && wrong.problems.some((p) => p.pointer === "/value"));
  assert.equal(validateParams("augeas.set", { path: "/files/x", value: null }).ok, true);
  assert.equal(validateParams("augeas.save", undefined).ok, true);
  assert.equal(validateParams("augeas.save", ["x"]).ok, false);
  const badChange = validateParams("augeas.apply", { changes: [{ op: "set", path: "/files/a", value: "1" }, { op: "exec", path: "/x" }] });
  assert.equal(badChange.ok, false);
  assert.equal(validateParams("augeas.apply", { changes: [] }).ok, false, "an empty change list is refused");
});

test("the OpenRPC document lists exactly the allowed methods, as plain JSON Schema", () => {
  const doc = buildOpenRpcDocument({
    serverVersion: "0.1.0",
    allowed: ["augeas.get", "rpc.discover"],
    policyFor: (m) => (m === "augeas.get" ? { files: ["/etc/hosts"] } : undefined),
  });
  assert.deepEqual(doc.methods.map((m) => m.name), ["rpc.discover", "augeas.get"]);
  const get = doc.methods[1]!;
  assert.deepEqual(get["x-policy"], { files: ["/etc/hosts"] });
  assert.deepEqual(get.params.map((p) => [p.name, p.required]), [["path", true]]);
  assert.equal(JSON.stringify(doc).includes("TypeBox"), false);
  assert.equal(doc.openrpc, "1.2.6");
});

test("the pre-authentication name list holds the allowed methods' names and nothing else", () => {
  const doc = buildOpenRpcNameList({ serverVersion: "0.1.0", allowed: ["augeas.get", "rpc.discover"] });
  assert.deepEqual(doc.methods, [{ name: "rpc.discover" }, { name: "augeas.get" }]);
  assert.equal(doc.openrpc, "1.2.6");
  assert.ok(!JSON.stringify(doc).includes("x-policy") && !JSON.stringify(doc).includes("schema"));
});

test("every error kind has a distinct code", () => {
  const codes = ERROR_KINDS.map((k) => ERROR_CODES[k]);
  assert.equal(new Set(codes).size, codes.length);
  for (const k of ERROR_KINDS) assert.ok(isErrorKind(k));
  assert.equal(isErrorKind("nope"), false);
  for (const k of ERROR_KINDS) {
    const c = ERROR_CODES[k];
    assert.ok(c === -32602 || c === -32603 || (c <= -32000 && c >= -32099), `${k} code in range`);
  }
});

test("isMethodName does not accept prototype properties", () => {
  assert.equal(isMethodName("toString"), false);
  assert.equal(isMethodName("__proto__"), false);
  assert.equal(isMethodName("augeas.get"), true);
});
