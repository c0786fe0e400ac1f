import { test } from "node:test";
import assert from "node:assert/strict";
import { errorLines, lockHeld, nameWasReinterpreted, parseCandidate, parseSimulation, warningLines } from "#src/package/apt-output.js";
import { parseStatusLine } from "#src/package/status-fd.js";

test("APT::Status-Fd lines become phase, percent and message; other lines are dropped", () => {
  assert.deepEqual(parseStatusLine("dlstatus:1:24.6933:Retrieving file 1 of 1"), { phase: "download", percent: 24.7, message: "Retrieving file 1 of 1" });
  assert.deepEqual(parseStatusLine("pmstatus:hello:40.0000:Installing hello (amd64)"), { phase: "dpkg", percent: 40, message: "Installing hello (amd64)" });
  assert.deepEqual(parseStatusLine("pmerror:/var/cache/apt/archives/x.deb:50.0000:trying to overwrite '/usr/bin/x': also in y"), {
    phase: "error",
    percent: 50,
    message: "trying to overwrite '/usr/bin/x': also in y",
  });
  assert.equal(parseStatusLine("pmconffile:/etc/x:60.0000:'/etc/x' '/etc/x.dpkg-new' 1 1")?.phase, "conffile");
  assert.equal(parseStatusLine("pmstatus:hello:abc:Installing")?.percent, null);
  assert.equal(parseStatusLine("pmstatus:hello:250:x")?.percent, 100);
  for (const junk of ["", "media-change:cdrom:Debian:/media", "1debconf: delaying package configuration", "pmstatus:only:two"]) {
    assert.equal(parseStatusLine(junk), undefined, junk);
  }
});

test("a simulation's plan: installs, upgrades and removals, with architecture qualifiers dropped", () => {
  const out = [
    "NOTE: This is only a simulation!",
    "Inst libfoo1:amd64 (1.2 Debian:12 [amd64])",
    "Inst machina [0.1.0] (0.2.0 local [all])",
    "Inst hello (2.10-3 Debian:12.15/oldstable [amd64])",
    "Conf hello (2.10-3 Debian:12.15/oldstable [amd64])",
    "Remv hello-traditional [2.10]",
    "Purg oldpkg [1.0]",
  ].join("\n");
  assert.deepEqual(parseSimulation(out), [
    { action: "install", name: "libfoo1" },
    { action: "upgrade", name: "machina" },
    { action: "install", name: "hello" },
    { action: "remove", name: "hello-traditional" },
    { action: "remove", name: "oldpkg" },
  ]);
  assert.deepEqual(parseSimulation("hello is already the newest version (2.10-3).\n"), []);
  assert.equal(nameWasReinterpreted("Note, selecting 'python3.11' for regex 'python3.1'\n"), true);
  assert.equal(nameWasReinterpreted("Inst hello (2.10-3)\n"), false);
});

test("a held lock is recognised in apt's own words, and other failures are not", () => {
  const held = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 3826 (python3)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n";
  assert.equal(lockHeld(held), true);
  assert.equal(lockHeld("E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1 (apt-get)\nE: Unable to lock directory /var/lib/apt/lists/\n"), true);
  assert.equal(lockHeld("E: Unable to locate package nosuch\n"), false);
  assert.equal(errorLines("Reading package lists...\nE: Unable to locate package nosuch\n"), "E: Unable to locate package nosuch");
  assert.equal(errorLines("something odd\nhappened\n"), "something odd; happened");
  assert.deepEqual(warningLines("Hit:1 x\nW: Failed to fetch http://x/InRelease\nE: no\n"), ["Failed to fetch http://x/InRelease"]);
});

test("apt-cache policy's candidate, or null", () => {
  assert.equal(parseCandidate("hello:\n  Installed: (none)\n  Candidate: 2.10-3\n  Version table:\n"), "2.10-3");
  assert.equal(parseCandidate("hello:\n  Installed: (none)\n  Candidate: (none)\n"), null);
  assert.equal(parseCandidate(""), null);
});
