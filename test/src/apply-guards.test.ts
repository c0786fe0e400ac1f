/**
 * Guards in `augeas.apply` change lists, against the real daemon: evaluated
 * on the pending tree where they stand, inside the same all-or-nothing step.
 * One that holds lets the list apply; one that does not is no error — the
 * answer says `applied: false` and which guard, nothing is written, and
 * nothing of the call stays pending. Guards read only what `augeas.get` and
 * `augeas.match` would show. Also `touch` and the change script's `onlyif`,
 * `clearm` and `touch` lines through the `machina` CLI.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AugeasChange } from "@machina/client";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { MACHINA, cleanEnv, run, type RunResult } from "./harness/daemon.js";
import { fixtureText } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";

const suite = daemonSuite();
const HOSTS = fixtureText("hosts");
const SSHD = fixtureText("ssh/sshd_config");

const HOSTNAME = "/files/etc/hostname/hostname";
const RENAME: AugeasChange = { op: "set", path: HOSTNAME, value: "box" };
const NOT_APPLIED = { saved: false, files: [], changed: false, tags: {}, changes: [] };

test("a guard that holds lets the list apply and save", async () => {
  await withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({
      changes: [
        { op: "guard", get: HOSTNAME, is: "==", value: "panel" },
        { op: "guard", get: "/files/etc/hosts/1/canonical", is: "!=", value: "panel.example.org" },
        // Five entries and a comment.
        { op: "guard", match: "/files/etc/hosts/*", size: "==", count: 6 },
        { op: "guard", match: "/files/etc/hosts/*/alias", size: ">", count: 2 },
        { op: "guard", exists: '/files/etc/hosts/*[canonical = "panel.example.org"]' },
        { op: "guard", missing: '/files/etc/hosts/*[canonical = "box.example.org"]' },
        // No node matches: `!=` holds, `==` would not.
        { op: "guard", get: "/files/etc/hosts/9/ipaddr", is: "!=", value: "10.0.0.1" },
        // An entry node has no value.
        { op: "guard", get: "/files/etc/hosts/1", is: "==", value: null },
        RENAME,
      ],
    });
    assert.deepEqual([r.applied, r.guard, r.saved, r.files, r.changed], [true, undefined, true, ["/etc/hostname"], true]);
  });
  assert.equal(suite.sandbox.read("/etc/hostname"), "box\n");
});

test("a guard that does not hold: applied false, which guard and why, nothing written, nothing of the call pending", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    // An edit pending from before the call stays pending; the call's own edits do not.
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/Port", value: "2222" });
    const pending = await m.augeas.preview();
    const cases: [AugeasChange, string][] = [
      [{ op: "guard", get: HOSTNAME, is: "==", value: "other" }, '/files/etc/hostname/hostname is "panel", and the guard wants "other"'],
      [{ op: "guard", get: HOSTNAME, is: "!=", value: "panel" }, '/files/etc/hostname/hostname is "panel", and the guard wants anything but "panel"'],
      [{ op: "guard", get: "/files/etc/hosts/1", is: "!=", value: null }, "/files/etc/hosts/1 has no value, and the guard wants anything but no value"],
      [{ op: "guard", get: "/files/etc/hosts/9/ipaddr", is: "==", value: "10.0.0.1" }, "no node matches /files/etc/hosts/9/ipaddr"],
      [{ op: "guard", match: "/files/etc/hosts/*", size: "<", count: 6 }, "/files/etc/hosts/* matches 6 nodes, and the guard wants size < 6"],
      [{ op: "guard", match: "/files/etc/hosts/2/alias", size: ">=", count: 2 }, "/files/etc/hosts/2/alias matches 1 node, and the guard wants size >= 2"],
      // The guard sees the set before it.
      [{ op: "guard", missing: "/files/etc/hosts/1/alias" }, "/files/etc/hosts/1/alias matches 1 node"],
      [{ op: "guard", exists: "/files/etc/hosts/9" }, "no node matches /files/etc/hosts/9"],
      [{ op: "guard", missing: "/files/etc/hosts/3/alias" }, "/files/etc/hosts/3/alias matches 2 nodes"],
    ];
    for (const [guard, reason] of cases) {
      const r = await m.augeas.apply({ changes: [{ op: "set", path: "/files/etc/hosts/1/alias", value: "lo" }, guard, RENAME] });
      assert.deepEqual(r, { applied: false, guard: { change: 1, reason }, ...NOT_APPLIED }, JSON.stringify(guard));
      assert.deepEqual(await m.augeas.preview(), pending);
    }
    // With preview too.
    const r = await m.augeas.apply({ changes: [RENAME, { op: "guard", exists: "/files/etc/hosts/9" }], preview: true });
    assert.deepEqual([r.applied, r.guard?.change, r.changes], [false, 1, []]);
    assert.deepEqual(await m.augeas.preview(), pending);
    await m.augeas.discard();
  });
  suite.sandbox.assertUnchanged(before);
});

test("a guard sees the changes before it, not the ones after it", async () => {
  await withClient(suite.sandbox, async (m) => {
    const after = await m.augeas.apply({ changes: [{ op: "guard", get: HOSTNAME, is: "==", value: "box" }, RENAME] });
    assert.deepEqual([after.applied, after.guard?.change], [false, 0]);
    assert.equal(suite.sandbox.read("/etc/hostname"), "panel\n");
    const r = await m.augeas.apply({
      changes: [
        { op: "set", path: "/files/etc/hosts/01/ipaddr", value: "192.0.2.7" },
        { op: "set", path: "/files/etc/hosts/01/canonical", value: "new.example.org" },
        { op: "guard", match: "/files/etc/hosts/*", size: "==", count: 7 },
        { op: "guard", exists: '/files/etc/hosts/*[canonical = "new.example.org"]' },
        RENAME,
        { op: "guard", get: HOSTNAME, is: "==", value: "box" },
      ],
    });
    assert.deepEqual([r.applied, [...r.files].sort()], [true, ["/etc/hostname", "/etc/hosts"]]);
  });
  assert.equal(suite.sandbox.read("/etc/hostname"), "box\n");
  assert.equal(suite.sandbox.read("/etc/hosts"), HOSTS + "192.0.2.7\tnew.example.org\n");
});

test("guards read only what get and match show: an unreadable path is policy-denied, unreadable nodes are not counted", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    // sshd's Subsystem is not readable in this policy (nor is anything but the listed settings).
    for (const guard of [
      { op: "guard", get: "/files/etc/ssh/sshd_config/Subsystem/sftp", is: "==", value: "/usr/lib/openssh/sftp-server" },
      { op: "guard", exists: "/files/etc/ssh/sshd_config/Subsystem" },
      { op: "guard", missing: "/files/etc/ssh/sshd_config/Ciphers" },
      { op: "guard", match: '/files/etc/ssh/sshd_config/*[Subsystem = "x"]', size: "==", count: 0 },
    ] as AugeasChange[]) {
      const e = await rejectsWithKind(m.augeas.apply({ changes: [RENAME, guard] }), "policy-denied");
      assert.equal(e.data.change, 1, JSON.stringify(guard));
      assert.match(e.message, /^change 2: /);
      assert.ok(!e.message.includes("sftp-server"), e.message);
      assert.deepEqual(await m.augeas.preview(), { changes: [] });
    }
    // match counts the readable nodes only, as augeas.match lists them: the Subsystem line is not one.
    const readable = (await m.augeas.match({ path: "/files/etc/ssh/sshd_config/*" })).paths.length;
    assert.ok(readable > 0);
    for (const [path, size, count, applied] of [
      ["/files/etc/ssh/sshd_config/*", "==", readable, true],
      ["/files/etc/ssh/sshd_config/*", ">", readable, false],
      ["/files/etc/ssh/sshd_config/Subsystem", "==", 0, true],
    ] as const) {
      const r = await m.augeas.apply({ changes: [{ op: "guard", match: path, size, count }, RENAME], preview: true });
      assert.equal(r.applied, applied, `${path} size ${size} ${count}`);
    }
    // A get guard needs at most one node, as augeas.get does.
    const e = await rejectsWithKind(m.augeas.apply({ changes: [{ op: "guard", get: "/files/etc/hosts/3/alias", is: "==", value: "x" }, RENAME] }), "augeas");
    assert.deepEqual([e.data.code, e.data.change], ["EMMATCH", 0]);
    // Malformed guards are invalid params.
    for (const guard of [
      { op: "guard", get: HOSTNAME, is: "<", value: "x" },
      { op: "guard", get: HOSTNAME, is: "==" },
      { op: "guard", get: HOSTNAME, exists: HOSTNAME },
      { op: "guard", match: HOSTNAME, size: ">", count: -1 },
      { op: "guard" },
    ]) {
      await rejectsWithKind(m.call("augeas.apply", { changes: [guard] } as never), "invalid-params");
    }
  });
  suite.sandbox.assertUnchanged(before);
});

test("touch creates a missing node without a value and keeps an existing one as it is", async () => {
  await withClient(suite.sandbox, async (m) => {
    const r = await m.augeas.apply({
      changes: [
        { op: "touch", path: "/files/etc/hosts/2/alias" },
        { op: "touch", path: "/files/etc/hosts/01/ipaddr" },
        { op: "set", path: "/files/etc/hosts/01/canonical", value: "touched.example.org" },
        { op: "guard", get: "/files/etc/hosts/2/alias", is: "==", value: "panel" },
        { op: "guard", get: "/files/etc/hosts/01/ipaddr", is: "==", value: null },
        { op: "set", path: "/files/etc/hosts/01/ipaddr", value: "192.0.2.8" },
        { op: "touch", path: "/files/etc/hosts/01/ipaddr" },
      ],
    });
    assert.equal(r.applied, true);
    // touch is authorised as a set.
    await rejectsWithKind(m.augeas.apply({ changes: [{ op: "touch", path: "/files/etc/default/locale/LANG" }] }), "policy-denied");
  });
  assert.equal(suite.sandbox.read("/etc/hosts"), HOSTS + "192.0.2.8\ttouched.example.org\n");
});

/** Runs the `machina` CLI against the suite's daemon (busy: retried); answers its exit code and output. */
async function machina(args: string[], input?: string): Promise<Pick<RunResult, "code" | "stdout" | "stderr">> {
  const { code, stdout, stderr } = await waitFor(async () => {
    const r = await run(MACHINA, ["--socket", suite.sandbox.socket, "--secret-file", suite.sandbox.secretFile, ...args], {
      ...(input !== undefined ? { input } : {}),
      env: cleanEnv(),
    });
    return r.code === 3 && /^machina: busy/.test(r.stderr) ? undefined : r;
  }, "the daemon's session slot to be free");
  return { code, stdout, stderr };
}

test("the CLI: a script's onlyif that does not hold applies nothing and exits 0; one that holds applies the script, touch included", async () => {
  const before = suite.sandbox.snapshot();
  const script = [
    "# rename the box, unless it was renamed already",
    "onlyif get /files/etc/hostname/hostname == panel",
    "set /files/etc/hostname/hostname box",
    "clearm /files/etc/ssh/sshd_config Port",
    "touch /files/etc/ssh/sshd_config/MaxAuthTries",
    "set /files/etc/ssh/sshd_config/MaxAuthTries 3",
    "onlyif match /files/etc/ssh/sshd_config/MaxAuthTries size == 2",
    "",
  ].join("\n");
  const refused = await machina(["apply", "-"], script);
  assert.deepEqual(refused, {
    code: 0,
    stdout: "",
    stderr: "not applied: guard on line 7 failed: /files/etc/ssh/sshd_config/MaxAuthTries matches 1 node, and the guard wants size == 2\n",
  });
  const json = await machina(["--json", "apply", "-"], script);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), {
    applied: false,
    guard: { change: 5, reason: "/files/etc/ssh/sshd_config/MaxAuthTries matches 1 node, and the guard wants size == 2" },
    ...NOT_APPLIED,
  });
  suite.sandbox.assertUnchanged(before);

  // (sshd's lens cannot write a setting without a value: the clearm goes, the touch stays.)
  const good = script.replace("size == 2", "size == 1").replace("clearm /files/etc/ssh/sshd_config Port\n", "");
  const applied = await machina(["apply", "-"], good);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(suite.sandbox.read("/etc/hostname"), "box\n");
  assert.equal(suite.sandbox.read("/etc/ssh/sshd_config"), SSHD + "MaxAuthTries 3\n");
  // Run again, the first guard no longer holds: nothing to do, exit 0.
  const again = await machina(["apply", "-"], good);
  assert.deepEqual(again, { code: 0, stdout: "", stderr: 'not applied: guard on line 2 failed: /files/etc/hostname/hostname is "box", and the guard wants "panel"\n' });
});
