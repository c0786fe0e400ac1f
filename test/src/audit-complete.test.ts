/**
 * Invariant 9, for the whole vocabulary, driven by the daemon's own module
 * registry: EVERY method a capability module handles is called
 *
 *   - allowed: against a daemon whose policy grants every capability of
 *     every module (checked against the registry, so a new module or
 *     capability fails here until the policy below grants it), with params
 *     under which each call SUCCEEDS — augeas on the fixtures, services on a
 *     real init script, packages with real apt and the `hello` package, the
 *     timezone under the sandbox root, a real command;
 *   - refused by the policy: against a daemon whose policy grants nothing;
 *   - refused for want of authentication;
 *
 * and each call must produce exactly one audit line carrying the peer
 * (pid/uid/gid of this process, from SO_PEERCRED), the method, the targets
 * its module names for those params, the decision (allow exactly when the
 * call was let run) and the outcome the client saw. Values marked secret (set
 * values, command stdin) and the key never appear in the audit log or the
 * daemon's log.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { METHODS, type MethodName } from "@machina/protocol";
import { moduleIndex, parsePolicy } from "@machina/server";
import { readAuditLines, type AuditLine } from "./harness/audit-log.js";
import { startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { InitScripts } from "./harness/init-scripts.js";
import { STANDARD_POLICY } from "./harness/policies.js";
import { RawConnection, rawSessionWhenFree, type RawResponse } from "./harness/raw-client.js";
import { Sandbox } from "./harness/sandbox.js";
import { holdPackageLock, removeDirectly, TEST_PACKAGE } from "./harness/test-package.js";
import { waitFor } from "./harness/wait.js";

const SECRET = "audit-secret-5f3c9a-never-logged";
const ME = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
const SERVICE = "probe";
const BINDINGS = moduleIndex();

/** Grants every capability of every module, on resources that exist here (/etc/hostname's history and rollback too). */
const GRANT_ALL_POLICY = `${STANDARD_POLICY.replace('path = "/etc/hostname"\n', 'path = "/etc/hostname"\nhistory = 2\nrollback = true\n')}
[[service]]
name = "${SERVICE}"
actions = ["status", "start", "stop", "restart", "reload", "enable", "disable", "log"]
log = "/var/log/${SERVICE}.log"

[package]
install = ["${TEST_PACKAGE}"]
remove = ["${TEST_PACKAGE}"]
update = true

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
 * Params under which each method succeeds, in the order they are called (a
 * new method fails to compile here until it is given some). Values are the
 * secret wherever a value is sent.
 */
const PARAMS = {
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
  "augeas.history": {},
  // The id of the save above, taken from its audit line (see paramsOf).
  "augeas.rollback": { id: "0-0-0" },
  "rpc.discover": {},
  "service.list": {},
  "service.status": { name: SERVICE },
  "service.start": { name: SERVICE },
  "service.reload": { name: SERVICE },
  "service.restart": { name: SERVICE },
  "service.stop": { name: SERVICE },
  "service.log": { name: SERVICE, lines: 5 },
  "service.disable": { name: SERVICE },
  "service.enable": { name: SERVICE },
  "package.update": {},
  "package.status": { name: TEST_PACKAGE },
  "package.install": { name: TEST_PACKAGE },
  "package.remove": { name: TEST_PACKAGE },
  "system.getTimezone": {},
  "system.setTimezone": { zone: "Etc/UTC" },
  "command.run": { name: "audit-cat", stdin: { data: SECRET } },
  "session.hello": {},
  "session.authenticate": {},
} satisfies Record<MethodName, Record<string, unknown>>;

/** The audit id of the granted daemon's augeas.save: its history entry, which augeas.rollback then rolls back. */
let savedId: string | undefined;
const paramsOf = (m: MethodName): Record<string, unknown> => (m === "augeas.rollback" && savedId !== undefined ? { id: savedId } : PARAMS[m]);
/**
 * Allowed, yet failing here by design: update-rc.d works only on /etc/init.d,
 * and this daemon's init scripts are in a temporary directory, so the backend
 * refuses to enable one (a script without links is already disabled: that succeeds).
 */
const FAILS_WHEN_ALLOWED: Partial<Record<MethodName, string>> = { "service.enable": "backend-failed" };
const ORDER = Object.keys(PARAMS) as MethodName[];
/** The methods a session calls (the handshake's own lines are checked by auditedSession). */
const CALLED = ORDER.filter((m) => !m.startsWith("session."));

class AuditedDaemon {
  sandbox!: Sandbox;
  daemon!: DaemonProcess;
  private seen = 0;

  async start(policy: string, args: string[] = []): Promise<void> {
    this.sandbox = Sandbox.create({ policy });
    this.daemon = await startDaemon(this.sandbox, { args: ["--verbose", "--history-dir", `${this.sandbox.dir}/history`, ...args] });
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

const scripts = new InitScripts();
scripts.install("probe", SERVICE);
const granted = new AuditedDaemon();
const refused = new AuditedDaemon();
let packageLock: { release(): void } | undefined;
before(async () => {
  // This file installs and removes the test package: nobody else may at the same time.
  packageLock = await holdPackageLock();
  removeDirectly();
  // Lines of calls before authentication are rate-limited (20 per kind and 10 s by default, then
  // summed up); the test of every method before authenticating wants each one's own line.
  await granted.start(GRANT_ALL_POLICY, ["--service-backend", "initd", "--initd-dir", scripts.initd, "--refusal-log-limit", "1000"]);
  fs.mkdirSync(granted.sandbox.path("/var/log"), { recursive: true });
  fs.writeFileSync(granted.sandbox.path(`/var/log/${SERVICE}.log`), `${SERVICE}: started\n`);
  await refused.start(GRANT_NOTHING_POLICY);
});
after(async () => {
  try {
    await granted.stop();
    await refused.stop();
    scripts.cleanup();
    removeDirectly();
  } finally {
    packageLock?.release();
  }
});

const kindOf = (r: RawResponse) => (r.error ? String(r.error.data?.kind) : "ok");

/** Sends a request and answers its response, skipping progress notifications; apt may take minutes. */
async function callSkippingProgress(c: RawConnection, method: MethodName, params: unknown): Promise<RawResponse> {
  const id = `audit-${method}`;
  c.sendMessage({ jsonrpc: "2.0", id, method, params });
  for (;;) {
    const m = (await c.next(1_200_000)) as RawResponse | undefined;
    if (m === undefined) throw new Error(`the daemon closed the connection during ${method}`);
    if ("id" in m && m.id === id) return m;
  }
}

test("the grant-all policy grants every capability of every module in the registry", () => {
  const policy = parsePolicy(GRANT_ALL_POLICY, "grant-all.toml") as unknown as Record<string, unknown>;
  for (const [method, b] of BINDINGS) {
    assert.ok(b.capability.granted(policy[b.module.name]), `${method} (${METHODS[method].capability}): extend GRANT_ALL_POLICY to grant it`);
  }
  const none = parsePolicy(GRANT_NOTHING_POLICY, "none.toml") as unknown as Record<string, unknown>;
  for (const [method, b] of BINDINGS) {
    const always = METHODS[method].preAuth === true;
    assert.equal(b.capability.granted(none[b.module.name]), always, `${method} under a policy that grants nothing`);
  }
});

/** Calls `method` and asserts its one audit line; answers the outcome. */
async function callAndAudit(d: AuditedDaemon, c: RawConnection, method: MethodName, session: number | undefined): Promise<string> {
  const params = paramsOf(method);
  const r = await callSkippingProgress(c, method, params);
  const outcome = kindOf(r);
  const lines = await waitFor(() => {
    const l = d.newLines();
    return l.length > 0 ? l : undefined;
  }, `the audit line of ${method}`);
  assert.equal(lines.length, 1, `${method}: exactly one audit line, got ${JSON.stringify(lines)}`);
  const line = lines[0]!;
  assert.equal(line.type, "audit");
  assert.equal(line.method, method);
  assert.match(line.id, /^[0-9a-z]+-[0-9]+-[0-9]+$/, `${method}: the call's audit id`);
  if (method === "augeas.save" && d === granted && outcome === "ok") savedId = line.id;
  assert.deepEqual(line.peer, ME, `${method}: the peer's pid/uid/gid`);
  if (session !== undefined) assert.equal(line.session, session);
  assert.ok(!Number.isNaN(Date.parse(line.time)));
  assert.equal(typeof line.durationMs, "number");
  assert.equal(line.outcome, outcome, `${method}: the outcome the client saw`);
  // Allowed exactly when the call was let run: every outcome here is ok or a refusal, but for FAILS_WHEN_ALLOWED.
  assert.equal(line.decision, outcome === "ok" || outcome === FAILS_WHEN_ALLOWED[method] ? "allow" : "deny", `${method}: decision for ${outcome}`);
  assert.ok(Array.isArray(line.targets));
  // The targets the method's module names for these params (never a value).
  for (const t of BINDINGS.get(method)!.entry.targets(params as never)) {
    assert.ok(line.targets.includes(t), `${method}: targets ${JSON.stringify(line.targets)} lack ${t}`);
  }
  assert.ok(!line.targets.includes(SECRET), `${method}: a value among the targets`);
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

test("every method, allowed: it succeeds, with exactly one audit line carrying peer, method, targets, decision and outcome", async () => {
  const { c, session } = await auditedSession(granted);
  try {
    assert.deepEqual(new Set([...CALLED, "session.hello", "session.authenticate"]), new Set(BINDINGS.keys()), "every method of the registry is called");
    for (const method of CALLED) {
      const outcome = await callAndAudit(granted, c, method, session);
      assert.equal(outcome, FAILS_WHEN_ALLOWED[method] ?? "ok", `${method} should succeed under the grant-all policy`);
    }
  } finally {
    c.close();
  }
});

test("every method, refused by a policy that grants nothing: one deny line each", async () => {
  const { c, session } = await auditedSession(refused);
  try {
    for (const method of CALLED) {
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
    for (const method of CALLED) {
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
