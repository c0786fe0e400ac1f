/**
 * Reading through the typed client against the real daemon: get, match (with
 * unreadable nodes filtered out), not-found, and EMMATCH for several matches.
 * Reads never touch the disk.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertServesNextClient, rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";

const suite = daemonSuite();

test("get answers a node's value", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/2/canonical" }), { value: "panel.example.org" });
    assert.deepEqual(await m.augeas.get({ path: '/files/etc/hosts/*[canonical = "panel.example.org"]/ipaddr' }), { value: "127.0.1.1" });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/3/alias[2]" }), { value: "ip6-loopback" });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/*[last()]/canonical" }), { value: "ip6-allrouters" });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/ssh/sshd_config/PermitRootLogin" }), { value: "prohibit-password" });
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/default/locale/LANG" }), { value: '"en_GB.UTF-8"' });
    // A node without a value answers null.
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hosts/1" }), { value: null });
  });
  suite.sandbox.assertUnchanged(before);
});

test("match answers the readable nodes and leaves unreadable ones out", async () => {
  await withClient(suite.sandbox, async (m) => {
    assert.deepEqual(await m.augeas.match({ path: "/files/etc/hosts/*/ipaddr" }), {
      paths: ["/files/etc/hosts/1/ipaddr", "/files/etc/hosts/2/ipaddr", "/files/etc/hosts/3/ipaddr", "/files/etc/hosts/4/ipaddr", "/files/etc/hosts/5/ipaddr"],
    });
    assert.deepEqual(await m.augeas.match({ path: "/files/etc/hosts/3/alias" }), {
      paths: ["/files/etc/hosts/3/alias[1]", "/files/etc/hosts/3/alias[2]"],
    });
    // sshd_config: Subsystem (and its sftp child) are not readable under the policy.
    const all = (await m.augeas.match({ path: "/files/etc/ssh/sshd_config/*" })).paths;
    assert.ok(all.includes("/files/etc/ssh/sshd_config/PermitRootLogin"), all.join("\n"));
    assert.ok(all.includes("/files/etc/ssh/sshd_config/AcceptEnv"), all.join("\n"));
    assert.ok(!all.some((p) => p.includes("Subsystem")), `unreadable Subsystem listed:\n${all.join("\n")}`);
    assert.deepEqual(await m.augeas.match({ path: "/files/etc/ssh/sshd_config/Subsystem" }), { paths: [] });
    assert.deepEqual(await m.augeas.match({ path: "/files/etc/ssh/sshd_config/AcceptEnv/*" }), {
      paths: ["/files/etc/ssh/sshd_config/AcceptEnv/1", "/files/etc/ssh/sshd_config/AcceptEnv/2"],
    });
    // Nothing matches: an empty list, not an error.
    assert.deepEqual(await m.augeas.match({ path: "/files/etc/hosts/*/nosuchlabel" }), { paths: [] });
  });
});

test("get of an unreadable node is policy-denied", async () => {
  await withClient(suite.sandbox, async (m) => {
    await rejectsWithKind(m.augeas.get({ path: "/files/etc/ssh/sshd_config/Subsystem/sftp" }), "policy-denied");
    await rejectsWithKind(m.augeas.get({ path: "/files/etc/ssh/sshd_config/Subsystem" }), "policy-denied");
  });
  await assertServesNextClient(suite.sandbox);
});

test("get of a missing node is not-found, naming the path", async () => {
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.augeas.get({ path: "/files/etc/hosts/99/ipaddr" }), "not-found");
    assert.equal(e.data.target, "/files/etc/hosts/99/ipaddr");
    await rejectsWithKind(m.augeas.get({ path: "/files/etc/ssh/sshd_config/MaxAuthTries" }), "not-found");
    // The session goes on.
    assert.deepEqual(await m.augeas.get({ path: "/files/etc/hostname/hostname" }), { value: "panel" });
  });
});

test("get with several matches is an augeas EMMATCH error", async () => {
  await withClient(suite.sandbox, async (m) => {
    const e = await rejectsWithKind(m.augeas.get({ path: "/files/etc/hosts/*/ipaddr" }), "augeas");
    assert.equal(e.data.code, "EMMATCH");
    const e2 = await rejectsWithKind(m.augeas.get({ path: "/files/etc/hosts/3/alias" }), "augeas");
    assert.equal(e2.data.code, "EMMATCH");
  });
});

test("nodes of files outside the policy, and /augeas, are policy-denied", async () => {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    await rejectsWithKind(m.augeas.get({ path: "/files/etc/shadow/root/password" }), "policy-denied");
    await rejectsWithKind(m.augeas.match({ path: "/augeas/load/*" }), "policy-denied");
    await rejectsWithKind(m.augeas.get({ path: "/augeas/root" }), "policy-denied");
    await rejectsWithKind(m.augeas.get({ path: "/files/etc/hosts/../hostname/hostname" }), "policy-denied");
    await rejectsWithKind(m.augeas.match({ path: "/files//ipaddr" }), "policy-denied");
    await rejectsWithKind(m.augeas.match({ path: "/files/etc/hosts/*[ipaddr = /files/etc/hostname/hostname]" }), "policy-denied");
    // A predicate that reads an unreadable node is refused too.
    await rejectsWithKind(m.augeas.match({ path: '/files/etc/ssh/sshd_config/*[Subsystem/sftp = "x"]' }), "policy-denied");
  });
  suite.sandbox.assertUnchanged(before);
  await assertServesNextClient(suite.sandbox);
});
