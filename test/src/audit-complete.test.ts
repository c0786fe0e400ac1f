/**
 * Invariant 9, for the whole vocabulary: EVERY method of METHOD_NAMES (so
 * methods added later are covered without touching this file) is driven
 *
 *   - allowed: against a daemon whose policy grants every capability, with
 *     params that reach the handler (augeas methods succeed; the others get
 *     as far as their backend or resource check can go here);
 *   - refused by the policy: against a daemon whose policy grants nothing;
 *   - refused for want of authentication;
 *
 * and each call must produce exactly one audit line carrying the peer
 * (pid/uid/gid of this process, from SO_PEERCRED), the method, the targets it
 * named, the decision and the outcome the client saw. Values marked secret
 * (set values, command stdin) and the key never appear in the audit log or
 * the daemon's log.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { METHOD_NAMES, METHODS, type MethodName } from "@machina/protocol";
import { readAuditLines, type AuditLine } from "./harness/audit-log.js";
import { startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { STANDARD_POLICY } from "./harness/policies.js";
import { RawConnection, rawSessionWhenFree, type RawResponse } from "./harness/raw-client.js";
import { Sandbox } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";
import { paramsFor } from "./security/schema-params.js";

const SECRET = "audit-secret-5f3c9a-never-logged";
const ME = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };

/** Grants every capability; the resources named are harmless (nothing by these names exists). */
const GRANT_ALL_POLICY = `${STANDARD_POLICY}
[[service]]
name = "machina-audit-probe"
actions = ["status", "start", "stop", "restart", "reload"]

[package]
install = ["machina-audit-probe"]
remove = ["machina-audit-probe"]
update = false   # apt-get update would need the network: its refused path is what is audited here

[timezone]
set = true

[[command]]
name = "audit-cat"
path = "/bin/cat"
stdin = true
`;

/** Grants nothing but the connection itself. */
const GRANT_NOTHING_POLICY = `version = 1

[clients]
users = ["root"]
`;

/**
 * Params that make each augeas method succeed on the fixtures (in this order),
 * with secret values; methods not listed get params from their schema.
 */
const AUGEAS_PARAMS: Partial<Record<MethodName, Record<string, unknown>>> = {
  "augeas.get": { path: "/files/etc/hostname/hostname" },
  "augeas.match": { path: "/files/etc/hosts/*" },
  "augeas.set": { path: "/files/etc/hostname/hostname", value: SECRET },
  "augeas.setm": { base: '/files/etc/hosts/*[canonical != "x"]', sub: "canonical", value: SECRET },
  "augeas.move": { source: "/files/etc/hosts/2/alias[1]", destination: "/files/etc/hosts/1/alias" },
  "augeas.rename": { path: "/files/etc/hosts/3/alias[1]", label: "alias" },
  "augeas.remove": { path: "/files/etc/hosts/3/alias[2]" },
  "augeas.save": {},
  "augeas.preview": {},
  // (an inserted node has no value yet, so the lens could not write it: discarded right after)
  "augeas.insert": { path: "/files/etc/hosts/3/alias[1]", label: "alias" },
  "augeas.discard": {},
  "augeas.apply": { changes: [{ op: "set", path: "/files/etc/hostname/hostname", value: SECRET }], preview: true },
  "rpc.discover": {},
};

/**
 * Params for the other methods: the policy's harmless resource names for
 * what they target (package install/remove name one the policy does not
 * list, so apt is never run), the secret everywhere else.
 */
function otherParams(method: MethodName): Record<string, unknown> {
  if (method === "command.run") return { name: "audit-cat", stdin: { data: SECRET } };
  return paramsFor(method, (key) => {
    if (key === "zone") return "Etc/UTC";
    if (key === "name" || key === "names") return method === "package.install" || method === "package.remove" ? "machina-audit-unlisted" : "machina-audit-probe";
    return SECRET;
  });
}

const paramsOf = (m: MethodName) => AUGEAS_PARAMS[m] ?? otherParams(m);
const ORDER = [...METHOD_NAMES].sort((a, b) => {
  const known = Object.keys(AUGEAS_PARAMS);
  const ia = known.indexOf(a);
  const ib = known.indexOf(b);
  return (ia === -1 ? 1000 : ia) - (ib === -1 ? 1000 : ib);
});

class AuditedDaemon {
  sandbox!: Sandbox;
  daemon!: DaemonProcess;
  private seen = 0;

  async start(policy: string): Promise<void> {
    this.sandbox = Sandbox.create({ policy });
    this.daemon = await startDaemon(this.sandbox, { args: ["--verbose"] });
  }

  async stop(): Promise<void> {
    try {
      await this.daemon?.stop();
    } finally {
      this.sandbox?.cleanup();
    }
  }

  /** The audit lines written since the last call. */
  newLines(): AuditLine[] {
    const lines = readAuditLines(this.sandbox.auditLog);
    const fresh = lines.slice(this.seen);
    this.seen = lines.length;
    return fresh;
  }

  get logs(): string {
    return (fs.existsSync(this.sandbox.auditLog) ? fs.readFileSync(this.sandbox.auditLog, "utf8") : "") + this.daemon.stderr;
  }
}

const granted = new AuditedDaemon();
const refused = new AuditedDaemon();
before(async () => {
  await granted.start(GRANT_ALL_POLICY);
  await refused.start(GRANT_NOTHING_POLICY);
});
after(async () => {
  await granted.stop();
  await refused.stop();
});

const kindOf = (r: RawResponse) => (r.error ? String(r.error.data?.kind) : "ok");
const REFUSALS = new Set(["policy-denied", "unauthenticated", "auth-failed", "busy"]);

/** Calls `method` and asserts its one audit line; answers the outcome. */
async function callAndAudit(d: AuditedDaemon, c: RawConnection, method: MethodName, session: number | undefined): Promise<string> {
  const params = paramsOf(method);
  // Calls may take a while (a backend that is not there); the line is written when the answer is.
  const r = await c.call(method, params);
  const outcome = kindOf(r);
  const lines = await waitFor(() => {
    const l = d.newLines();
    return l.length > 0 ? l : undefined;
  }, `the audit line of ${method}`);
  assert.equal(lines.length, 1, `${method}: exactly one audit line, got ${JSON.stringify(lines)}`);
  const line = lines[0]!;
  assert.equal(line.type, "audit");
  assert.equal(line.method, method);
  assert.deepEqual(line.peer, ME, `${method}: the peer's pid/uid/gid`);
  if (session !== undefined) assert.equal(line.session, session);
  assert.ok(!Number.isNaN(Date.parse(line.time)));
  assert.equal(typeof line.durationMs, "number");
  assert.equal(line.outcome, outcome, `${method}: the outcome the client saw`);
  assert.equal(line.decision, REFUSALS.has(outcome) ? "deny" : "allow", `${method}: decision for ${outcome}`);
  assert.ok(Array.isArray(line.targets));
  for (const key of ["path", "base", "source", "destination", "name", "zone"]) {
    const v = params[key];
    if (typeof v === "string" && v !== SECRET) assert.ok(line.targets.includes(v), `${method}: targets ${JSON.stringify(line.targets)} lack ${key} ${v}`);
  }
  if (outcome !== "ok") assert.ok(line.reason && line.reason.length > 0, `${method}: a refusal or failure says why`);
  return outcome;
}

/** Opens an authenticated session and checks the handshake's own two lines. */
async function auditedSession(d: AuditedDaemon): Promise<{ c: RawConnection; session: number }> {
  d.newLines();
  const c = await rawSessionWhenFree(d.sandbox.socket, d.sandbox.key);
  const lines = await waitFor(() => {
    const l = d.newLines().filter((x) => x.method !== "(connect)");
    return l.length >= 2 ? l : undefined;
  }, "the handshake's audit lines");
  assert.deepEqual(lines.map((l) => [l.method, l.decision, l.outcome]), [
    ["session.hello", "allow", "ok"],
    ["session.authenticate", "allow", "ok"],
  ]);
  for (const l of lines) assert.deepEqual(l.peer, ME);
  return { c, session: lines[0]!.session };
}

test("every method, allowed: exactly one audit line each, with peer, method, targets, decision and outcome", async (t) => {
  const { c, session } = await auditedSession(granted);
  const outcomes: string[] = [];
  try {
    for (const method of ORDER) {
      if (method.startsWith("session.")) continue;
      const outcome = await callAndAudit(granted, c, method, session);
      outcomes.push(`${method}=${outcome}`);
      if (method.startsWith("augeas.") || method === "rpc.discover") assert.equal(outcome, "ok", `${method} should succeed with the standard fixtures`);
      else assert.notEqual(outcome, "unauthenticated");
    }
  } finally {
    c.close();
  }
  t.diagnostic(`allowed pass over ${METHOD_NAMES.length} methods: ${outcomes.join(", ")}`);
});

test("every method, refused by a policy that grants nothing: one deny line each", async () => {
  const { c, session } = await auditedSession(refused);
  try {
    for (const method of ORDER) {
      if (method.startsWith("session.")) continue;
      const outcome = await callAndAudit(refused, c, method, session);
      const spec = METHODS[method];
      if (spec.capability === "discover") assert.equal(outcome, "ok");
      else assert.equal(outcome, "policy-denied", `${method} under a policy that grants nothing`);
    }
  } finally {
    c.close();
  }
});

test("every method before authenticating: one line each, unauthenticated unless it is a handshake method", async () => {
  const d = granted;
  await waitFor(async () => {
    d.newLines();
    return true;
  }, "quiet");
  const c = await waitFor(async () => {
    const raw = await RawConnection.open(d.sandbox.socket);
    const r = await raw.call("rpc.discover", {});
    if (r.error?.data?.kind === "busy") {
      raw.close();
      return undefined;
    }
    return raw;
  }, "a free session slot");
  try {
    d.newLines();
    for (const method of ORDER) {
      if (method.startsWith("session.")) continue;
      const outcome = await callAndAudit(d, c, method, undefined);
      if (METHODS[method].preAuth) assert.equal(outcome, "ok");
      else assert.equal(outcome, "unauthenticated", method);
    }
  } finally {
    c.close();
  }
});

test("no secret value and no form of the key appears in any log", () => {
  for (const d of [granted, refused]) {
    const logs = d.logs;
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(SECRET), "a secret value appears in the logs");
    const key = Buffer.from(d.sandbox.key);
    for (const form of [d.sandbox.keyBase64, key.toString("hex"), key.toString("base64url"), d.sandbox.keyBase64.slice(4, 28)]) {
      assert.ok(!logs.includes(form), "the key appears in the logs");
    }
  }
});
