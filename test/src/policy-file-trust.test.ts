/**
 * Invariant 3, against a local user who can change a directory on a policy
 * file's path: the daemon loads and writes a policy file only when every
 * directory from it up to --root is root's and writable by neither group nor
 * others, every directory above --root is root's and not writable by others
 * unless sticky, and the file has one link. Otherwise the file is not loaded
 * (discovery says why), saving it is `policy-denied` naming it, and nothing
 * on disk changes — even while a real unprivileged process swaps the file for
 * a symlink to a file outside the root as fast as it can. Stale temporary
 * files of interrupted saves are removed at start-up, and nothing else is.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import type { MachinaClient } from "@machina/client";
import { assertServesNextClient, rejectsWithKind, withClient } from "./harness/clients.js";
import { daemonSuite } from "./harness/daemon-suite.js";
import { startDaemon } from "./harness/daemon.js";
import { Sandbox, fixtureText } from "./harness/sandbox.js";
import { NOBODY, spawnNodeScriptAs } from "./harness/as-user.js";

const suite = daemonSuite();

/** The `problem` discovery reports for a policy file, if any. */
async function discoveredProblem(m: MachinaClient, file: string): Promise<string | undefined> {
  const doc = (await m.discover()) as unknown as { methods: { name: string; "x-policy"?: { files?: { path: string; problem?: string }[] } }[] };
  const get = doc.methods.find((x) => x.name === "augeas.get");
  return get?.["x-policy"]?.files?.find((f) => f.path === file)?.problem;
}

/** /etc/hostname is neither loaded nor written: get finds nothing, discovery names `why`, a save is policy-denied naming it. */
async function assertRefused(why: RegExp): Promise<void> {
  const before = suite.sandbox.snapshot();
  await withClient(suite.sandbox, async (m) => {
    await rejectsWithKind(m.augeas.get({ path: "/files/etc/hostname/hostname" }), "not-found");
    assert.match((await discoveredProblem(m, "/etc/hostname")) ?? "(no problem reported)", why);
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "pwned" });
    const e = await rejectsWithKind(m.augeas.save(), "policy-denied");
    assert.equal(e.data.target, "/etc/hostname");
    assert.match(e.message, why);
  });
  suite.sandbox.assertUnchanged(before);
}

const cases: [what: string, make: (sb: Sandbox) => void, why: RegExp][] = [
  ["its directory is writable by others", (sb) => fs.chmodSync(sb.path("/etc"), 0o777), /the directory \/etc is writable by others/],
  ["its directory is writable by its group", (sb) => fs.chmodSync(sb.path("/etc"), 0o775), /the directory \/etc is writable by its group/],
  ["its directory is another user's", (sb) => fs.chownSync(sb.path("/etc"), NOBODY.uid, NOBODY.gid), /the directory \/etc is owned by uid 65534/],
  ["its directory is sticky and writable by others", (sb) => fs.chmodSync(sb.path("/etc"), 0o1777), /the directory \/etc is writable by others/],
  ["--root is writable by others", (sb) => fs.chmodSync(sb.root, 0o777), /--root is writable by others/],
  ["a directory above --root is writable by others without the sticky bit", (sb) => fs.chmodSync(sb.dir, 0o777), /--root is below .* writable by others without the sticky bit/],
  ["a directory above --root is another user's", (sb) => fs.chownSync(sb.dir, NOBODY.uid, NOBODY.gid), /--root is below .* owned by uid 65534/],
  [
    "it has a second hard link",
    (sb) => fs.linkSync(sb.path("/etc/hostname"), sb.path("/etc/hostname-copy")),
    /2 hard links/,
  ],
  [
    "it is a hard link to a file outside the root",
    (sb) => {
      fs.writeFileSync(path.join(sb.outside, "shadow"), "secret\n");
      fs.rmSync(sb.path("/etc/hostname"));
      fs.linkSync(path.join(sb.outside, "shadow"), sb.path("/etc/hostname"));
    },
    /2 hard links/,
  ],
];

for (const [what, make, why] of cases) {
  test(`a policy file is neither loaded nor written when ${what}`, async () => {
    try {
      make(suite.sandbox);
      await assertRefused(why);
    } finally {
      fs.chmodSync(suite.sandbox.dir, 0o700);
      fs.chownSync(suite.sandbox.dir, 0, 0);
      suite.sandbox.restoreFixtures();
    }
    await assertServesNextClient(suite.sandbox);
  });
}

test("a sticky directory above --root (as /tmp is) is fine", async () => {
  try {
    fs.chmodSync(suite.sandbox.dir, 0o1777);
    await withClient(suite.sandbox, async (m) => {
      assert.equal(await discoveredProblem(m, "/etc/hostname"), undefined);
      await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "sticky" });
      assert.deepEqual((await m.augeas.save()).files, ["/etc/hostname"]);
    });
    assert.equal(suite.sandbox.read("/etc/hostname"), "sticky\n");
  } finally {
    fs.chmodSync(suite.sandbox.dir, 0o700);
  }
});

test("a directory that becomes writable by others between load and save is not written through", async () => {
  await withClient(suite.sandbox, async (m) => {
    await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "late" });
    fs.chmodSync(suite.sandbox.path("/etc"), 0o777);
    const before = suite.sandbox.snapshot();
    const e = await rejectsWithKind(m.augeas.save(), "policy-denied");
    assert.equal(e.data.target, "/etc/hostname");
    suite.sandbox.assertUnchanged(before);
  });
  suite.sandbox.restoreFixtures();
  await assertServesNextClient(suite.sandbox);
});

/**
 * The attack itself: `nobody` owns the directory of /etc/hostname and, as
 * fast as it can, swaps the file for a symlink to a file outside the root and
 * back, while the panel sets and saves the hostname over and over.
 */
const SWAPPER = `
const fs = require("node:fs");
const [file, target, ms] = process.argv.slice(1);
const link = file + ".swap-link", real = file + ".swap-real";
let swaps = 0;
const end = Date.now() + Number(ms);
while (Date.now() < end) {
  try {
    fs.symlinkSync(target, link);
    fs.renameSync(link, file);
    fs.writeFileSync(real, "innocent\\n");
    fs.renameSync(real, file);
    swaps++;
  } catch {}
}
process.stdout.write(String(swaps));
`;

test("a user who owns a policy file's directory cannot make root write through a symlink, however fast it swaps", async () => {
  const sb = suite.sandbox;
  const precious = path.join(sb.outside, "shadow");
  fs.writeFileSync(precious, "root:$6$secret:19000:0:99999:7:::\n");
  fs.chmodSync(sb.dir, 0o755);
  fs.chownSync(sb.path("/etc"), NOBODY.uid, NOBODY.gid);
  const swapper = spawnNodeScriptAs(NOBODY, SWAPPER, [sb.path("/etc/hostname"), precious, "3000"]);
  let swaps = "";
  swapper.stdout!.setEncoding("utf8").on("data", (s: string) => (swaps += s));
  const exited = new Promise((resolve) => swapper.once("close", resolve));
  const kinds = new Map<string, number>();
  try {
    const end = Date.now() + 2500;
    while (Date.now() < end) {
      await withClient(sb, async (m) => {
        for (let i = 0; i < 10; i++) {
          await m.augeas.set({ path: "/files/etc/hostname/hostname", value: "pwned" });
          const kind = await m.augeas.save().then(
            () => "ok",
            (e: { kind?: string }) => e.kind ?? "?",
          );
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        }
      });
    }
  } finally {
    await exited;
    fs.chmodSync(sb.dir, 0o700);
    sb.restoreFixtures();
  }
  assert.ok(Number(swaps) > 100, `the swapper swapped only ${swaps} times`);
  assert.deepEqual([...kinds.keys()], ["policy-denied"], `every save is refused: ${JSON.stringify([...kinds])}`);
  assert.equal(fs.readFileSync(precious, "utf8"), "root:$6$secret:19000:0:99999:7:::\n", "the file outside the root is untouched");
  await assertServesNextClient(sb);
});

test("at start-up, temporary files of interrupted saves are removed, and nothing else", async () => {
  const sb = Sandbox.create();
  try {
    const outside = path.join(sb.outside, "target");
    fs.writeFileSync(outside, "outside\n");
    const put = (name: string, text = "half-written\n") => fs.writeFileSync(sb.path(`/etc/${name}`), text);
    put("hosts.augnew.Qw3rTy"); // a temporary file of the current save mode
    put("hostname.aB9xYz"); // one of the save mode before
    put("hosts.backup", "mine\n"); // named by hand: all small letters
    put("hosts.202401", "mine\n"); // named by hand: all digits
    put("hosts.augnew", "augtool --new's proposal\n"); // the new-text file itself: may be augtool's
    put("fstab.Qw3rTy", "not beside a policy file\n");
    fs.symlinkSync(outside, sb.path("/etc/hostname.Zz9Yy8")); // a symlink: never followed, never removed
    fs.mkdirSync(sb.path("/etc/hosts.Dd4Ee5")); // a directory
    const daemon = await startDaemon(sb);
    try {
      const names = fs.readdirSync(sb.path("/etc")).sort();
      assert.deepEqual(names, ["default", "fstab.Qw3rTy", "hostname", "hostname.Zz9Yy8", "hosts", "hosts.202401", "hosts.augnew", "hosts.backup", "hosts.Dd4Ee5", "ssh"].sort());
      assert.equal(fs.readFileSync(outside, "utf8"), "outside\n");
      assert.equal(sb.read("/etc/hosts.backup"), "mine\n");
      assert.equal(sb.read("/etc/hostname"), fixtureText("hostname"));
      // While hosts.augnew exists, saving /etc/hosts is refused rather than overwriting it.
      await withClient(sb, async (m) => {
        await m.augeas.set({ path: "/files/etc/hosts/1/alias", value: "lo" });
        const e = await rejectsWithKind(m.augeas.save(), "conflict");
        assert.match(e.message, /hosts\.augnew exists/);
      });
      assert.equal(sb.read("/etc/hosts.augnew"), "augtool --new's proposal\n");
    } finally {
      await daemon.stop();
    }
  } finally {
    sb.cleanup();
  }
});
