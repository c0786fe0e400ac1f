import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { analysePolicy } from "#src/policy/load-policy.js";
import type { PolicyProblem } from "#src/policy/policy-errors.js";
import { checkOnThisMachine } from "#src/cli/policy-action.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A root holding etc/hosts and etc/ssh/sshd_config, and a directory outside it. */
function makeRoot(): { root: string; outside: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-"));
  dirs.push(dir);
  const root = path.join(dir, "root");
  const outside = path.join(dir, "outside");
  fs.mkdirSync(path.join(root, "etc/ssh"), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, "etc/hosts"), "127.0.0.1 localhost\n192.168.1.10 nas.lan nas # the NAS\n");
  fs.writeFileSync(path.join(root, "etc/ssh/sshd_config"), "Port 22\nPermitRootLogin no\n");
  fs.writeFileSync(path.join(outside, "shadow"), "root:x:0:0\n");
  return { root, outside };
}

const head = `version = 1\n[clients]\nusers = ["root"]\n`; // lines 1-3

function check(text: string, root: string): PolicyProblem[] {
  const { policy, problems, lineOf } = analysePolicy(text, "p.toml", { root });
  assert.ok(policy, `the policy should parse: ${JSON.stringify(problems)}`);
  return checkOnThisMachine(policy, root, lineOf);
}

describe("policy check against the machine (--root, libaugeas)", () => {
  it("a sound policy has no problems", () => {
    const { root } = makeRoot();
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/hosts"\nwrite = ["*", "*/ipaddr", "*/canonical", "*/alias", "*/#comment"]\n[[augeas.file]]\npath = "/etc/ssh/sshd_config"\nwrite = ["Port", "X11Forwarding"]\n`, root);
    assert.deepEqual(problems, []);
  });

  it("a policy file that is a symlink out of the root is an error naming key and line", () => {
    const { root, outside } = makeRoot();
    fs.symlinkSync(path.join(outside, "shadow"), path.join(root, "etc/shadow"));
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/shadow"\nlens = "Shadow"\n`, root);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.deepEqual([problems[0]!.severity, problems[0]!.key, problems[0]!.line], ["error", "augeas.file[0].path", 5]);
    assert.match(problems[0]!.message, /symbolic link/);
  });

  it("a policy file below a directory another user can write, or with a second hard link, is an error", () => {
    const { root } = makeRoot();
    fs.chmodSync(path.join(root, "etc/ssh"), 0o777);
    fs.linkSync(path.join(root, "etc/hosts"), path.join(root, "etc/hosts.bak"));
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/hosts"\n[[augeas.file]]\npath = "/etc/ssh/sshd_config"\n`, root);
    assert.deepEqual(problems.map((p) => [p.severity, p.key]), [["error", "augeas.file[0].path"], ["error", "augeas.file[1].path"]]);
    assert.match(problems[0]!.message, /2 hard links/);
    assert.match(problems[1]!.message, /the directory \/etc\/ssh is writable by others/);
  });

  it("a directory above a policy file that leads out of the root is an error", () => {
    const { root, outside } = makeRoot();
    fs.symlinkSync(outside, path.join(root, "etc/default"));
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/default/shadow"\nlens = "Shadow"\n`, root);
    assert.deepEqual(problems.map((p) => [p.severity, p.key]), [["error", "augeas.file[0].path"]]);
    assert.match(problems[0]!.message, /outside|symbolic/);
  });

  it("a policy file that is a directory is an error", () => {
    const { root } = makeRoot();
    fs.mkdirSync(path.join(root, "etc/hostname"));
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/hostname"\n`, root);
    assert.deepEqual(problems.map((p) => [p.key, p.line]), [["augeas.file[0].path", 5]]);
    assert.match(problems[0]!.message, /not a regular file/);
  });

  it("a lens libaugeas does not have is an error on the lens key", () => {
    const { root } = makeRoot();
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/hosts"\nlens = "Hostz"\n`, root);
    assert.deepEqual(problems.map((p) => [p.severity, p.key, p.line]), [["error", "augeas.file[0].lens", 6]]);
    assert.match(problems[0]!.message, /no lens Hostz\.lns/);
  });

  it("a module that exists with a lens name it does not define is an error too", () => {
    const { root } = makeRoot();
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/hosts"\nlens = "Hosts.nosuchlens"\n`, root);
    assert.deepEqual(problems.map((p) => p.key), ["augeas.file[0].lens"]);
  });

  it("a file no lens handles by default is an error naming its path key", () => {
    const { root } = makeRoot();
    fs.writeFileSync(path.join(root, "etc/machina-unknown.conf"), "x\n");
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/machina-unknown.conf"\n`, root);
    assert.deepEqual(problems.map((p) => [p.key, p.line]), [["augeas.file[0].path", 5]]);
    assert.match(problems[0]!.message, /no lens handles/);
  });

  it("a write pattern the lens can never produce (a typo) is an error on that element", () => {
    const { root } = makeRoot();
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/hosts"\nwrite = [\n  "*/alias",\n  "*/ipadr",\n]\n`, root);
    assert.deepEqual(problems.map((p) => [p.severity, p.key, p.line]), [["error", "augeas.file[0].write[1]", 8]]);
    assert.match(problems[0]!.message, /"\*\/ipadr" can never match/);
  });

  it("a write pattern that matches nothing now but that the lens accepts is fine", () => {
    const { root } = makeRoot();
    // No entry has an alias of this name yet, X11Forwarding is not set, yet both can be created.
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/ssh/sshd_config"\nwrite = ["X11Forwarding", "AllowUsers"]\n`, root);
    assert.deepEqual(problems, []);
  });

  it("a write pattern on a file that does not exist yet is judged against the empty file", () => {
    const { root } = makeRoot();
    const ok = check(`${head}[[augeas.file]]\npath = "/etc/fstab"\nwrite = ["#comment"]\n`, root);
    assert.deepEqual(ok, []);
    // fstab's top level holds numbered entries and comments, never a bare "spec".
    const bad = check(`${head}[[augeas.file]]\npath = "/etc/fstab"\nwrite = ["spec"]\n`, root);
    assert.deepEqual(bad.map((p) => p.key), ["augeas.file[0].write[0]"]);
  });

  it("a lens that takes any keyword (sshd_config) makes no pattern of plain labels unmatchable", () => {
    const { root } = makeRoot();
    assert.deepEqual(check(`${head}[[augeas.file]]\npath = "/etc/ssh/sshd_config"\nwrite = ["Prot"]\n`, root), []);
  });

  it("several problems are all reported, one each", () => {
    const { root, outside } = makeRoot();
    fs.symlinkSync(path.join(outside, "shadow"), path.join(root, "etc/shadow"));
    fs.writeFileSync(path.join(root, "etc/hostname"), "box\n");
    const problems = check(`${head}[[augeas.file]]\npath = "/etc/shadow"\nlens = "Shadow"\n[[augeas.file]]\npath = "/etc/hosts"\nlens = "Nope"\n[[augeas.file]]\npath = "/etc/hostname"\nwrite = ["hostnme"]\n`, root);
    assert.deepEqual(problems.map((p) => p.key).sort(), ["augeas.file[0].path", "augeas.file[1].lens", "augeas.file[2].write[0]"]);
  });
});
