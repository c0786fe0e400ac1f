/**
 * The `[[augeas.file]]` keys of validators and new files as `machinad
 * policy check` reads them: `validate` (an argument vector with an absolute
 * program and `%s`), `validate_timeout`, `create`, `mode` (octal string,
 * permission bits only), `owner` and `group` (names or ids, resolved now);
 * what `policy explain` says of them; and the machine check of the
 * validator's program (missing, or changeable by a user other than root).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { analysePolicy, parsePolicy } from "#src/policy/load-policy.js";
import type { PolicyProblem } from "#src/policy/policy-errors.js";
import { checkOnThisMachine } from "#src/cli/policy-action.js";
import { explainAugeasSection } from "#src/augeas/augeas-section.js";

const head = `version = 1\n[clients]\nusers = ["root"]\n`; // lines 1-3
const file = (extra: string) => `${head}[[augeas.file]]\npath = "/etc/sudoers"\nlens = "Sudoers"\nwrite = ["**"]\n${extra}\n`; // extra from line 8

function problems(text: string): PolicyProblem[] {
  return analysePolicy(text, "p.toml", {}).problems;
}

function expectError(text: string, key: string, message: RegExp): void {
  const all = problems(text);
  const hit = all.find((p) => p.key === key && p.severity === "error");
  assert.ok(hit, `no error with key ${key}; got ${JSON.stringify(all)}`);
  assert.match(hit.message, message);
}

describe("validate and validate_timeout", () => {
  it("are read: the vector as written, the timeout defaulting as a service test's (30 s)", () => {
    const [rule] = parsePolicy(file('validate = ["/usr/sbin/visudo", "-cf", "%s"]'), "p.toml").augeas.files;
    assert.deepEqual(rule!.validate, { argv: ["/usr/sbin/visudo", "-cf", "%s"], timeout: 30 });
    const [timed] = parsePolicy(file('validate = ["/usr/sbin/sshd", "-t", "-f", "%s"]\nvalidate_timeout = 5'), "p.toml").augeas.files;
    assert.deepEqual(timed!.validate, { argv: ["/usr/sbin/sshd", "-t", "-f", "%s"], timeout: 5 });
    const [inside] = parsePolicy(file('validate = ["/usr/bin/check", "--file=%s"]'), "p.toml").augeas.files;
    assert.deepEqual(inside!.validate?.argv, ["/usr/bin/check", "--file=%s"], "%s may be part of an argument");
    const [none] = parsePolicy(file(""), "p.toml").augeas.files;
    assert.equal(none!.validate, undefined);
  });

  it("are checked", () => {
    expectError(file('validate = "/usr/sbin/visudo -cf %s"'), "augeas.file[0].validate", /array of strings.*no shell/);
    expectError(file("validate = []"), "augeas.file[0].validate", /non-empty/);
    expectError(file('validate = ["visudo", "-cf", "%s"]'), "augeas.file[0].validate[0]", /absolute, normalised path/);
    expectError(file('validate = ["/usr/sbin/../sbin/visudo", "-cf", "%s"]'), "augeas.file[0].validate[0]", /absolute, normalised/);
    expectError(file('validate = ["/usr/sbin/visudo", "-cf"]'), "augeas.file[0].validate", /no argument holds %s/);
    expectError(file('validate = ["/tmp/%s", "-c"]'), "augeas.file[0].validate[0]", /belongs in its arguments/);
    expectError(file('validate = ["/usr/sbin/visudo", "-cf", "%s\\u0000"]'), "augeas.file[0].validate[2]", /NUL/);
    expectError(file('validate = ["/usr/sbin/visudo", "-cf", "%s"]\nvalidate_timeout = 0'), "augeas.file[0].validate_timeout", /seconds between 0 and 3600/);
    expectError(file('validate = ["/usr/sbin/visudo", "-cf", "%s"]\nvalidate_timeout = "5"'), "augeas.file[0].validate_timeout", /seconds/);
    expectError(file("validate_timeout = 5"), "augeas.file[0].validate_timeout", /no validate to time/);
  });

  it("on a read-only file is a warning: it never runs", () => {
    const text = `${head}[[augeas.file]]\npath = "/etc/sudoers"\nlens = "Sudoers"\nvalidate = ["/usr/sbin/visudo", "-cf", "%s"]\n`;
    const warning = problems(text).find((p) => p.key === "augeas.file[0].validate");
    assert.equal(warning?.severity, "warning");
    assert.match(warning.message, /read-only/);
  });
});

describe("create, mode, owner and group", () => {
  it("create alone: 0644, root, root", () => {
    const [rule] = parsePolicy(file("create = true"), "p.toml").augeas.files;
    assert.deepEqual(rule!.create, { mode: 0o644, uid: 0, gid: 0, owner: "root", group: "root" });
    assert.equal(parsePolicy(file(""), "p.toml").augeas.files[0]!.create, undefined);
    assert.equal(parsePolicy(file("create = false"), "p.toml").augeas.files[0]!.create, undefined);
  });

  it("mode, owner and group by name or id, resolved through NSS now", () => {
    const [rule] = parsePolicy(file('create = true\nmode = "0440"\nowner = "nobody"\ngroup = "nogroup"'), "p.toml").augeas.files;
    assert.deepEqual(rule!.create, { mode: 0o440, uid: 65534, gid: 65534, owner: "nobody", group: "nogroup" });
    const [ids] = parsePolicy(file('create = true\nmode = "600"\nowner = 1234\ngroup = "4321"'), "p.toml").augeas.files;
    assert.deepEqual(ids!.create, { mode: 0o600, uid: 1234, gid: 4321, owner: "1234", group: "4321" });
  });

  it("are checked", () => {
    expectError(file('mode = "0640"'), "augeas.file[0].mode", /only a file the daemon creates gets a mode \(create = true\)/);
    expectError(file('owner = "root"'), "augeas.file[0].owner", /create = true/);
    expectError(file('group = "root"'), "augeas.file[0].group", /create = true/);
    expectError(file('create = "yes"'), "augeas.file[0].create", /true or false/);
    expectError(file("create = true\nmode = 640"), "augeas.file[0].mode", /string of octal digits.*ambiguous/);
    expectError(file('create = true\nmode = "rw-r--r--"'), "augeas.file[0].mode", /octal digits/);
    expectError(file('create = true\nmode = "4755"'), "augeas.file[0].mode", /no setuid, setgid or sticky/);
    expectError(file('create = true\nmode = "0648"'), "augeas.file[0].mode", /octal/);
    expectError(file('create = true\nowner = "no-such-user-xyz"'), "augeas.file[0].owner", /no user "no-such-user-xyz" on this machine/);
    expectError(file('create = true\ngroup = "no-such-group-xyz"'), "augeas.file[0].group", /no group "no-such-group-xyz"/);
    expectError(file('create = true\nowner = "4294967295"'), "augeas.file[0].owner", /not a valid user id/);
    expectError(file('create = true\ngroup = ""'), "augeas.file[0].group", /name or numeric id/);
    expectError(file("create = true\nowner = true"), "augeas.file[0].owner", /name or numeric id/);
  });

  it("a mode every user may write is a warning", () => {
    const warning = problems(file('create = true\nmode = "0666"')).find((p) => p.key === "augeas.file[0].mode");
    assert.equal(warning?.severity, "warning");
    assert.match(warning.message, /every user/);
  });

  it("a missing file is a warning saying whether a save may create it", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "validate-create-"));
    try {
      fs.mkdirSync(path.join(root, "etc"));
      const warnings = (extra: string) => analysePolicy(file(extra), "p.toml", { root }).problems.filter((p) => p.key === "augeas.file[0].path");
      assert.match(warnings("")[0]!.message, /does not exist: saving it is refused unless the policy lets machina create it \(create = true\)/);
      assert.match(warnings("create = true")[0]!.message, /does not exist \(yet\): a save creates it/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("policy explain", () => {
  it("says what validates each file, what a missing one becomes, and that attributes are kept", () => {
    const policy = parsePolicy(
      file('validate = ["/usr/sbin/visudo", "-cf", "%s"]\nvalidate_timeout = 10\ncreate = true\nmode = "0440"\ngroup = "nogroup"') +
        `[[augeas.file]]\npath = "/etc/hosts"\nlens = "Hosts"\nwrite = ["*"]\n[[augeas.file]]\npath = "/etc/hostname"\n`,
      "p.toml",
    );
    const lines = explainAugeasSection(policy.augeas, new Map());
    assert.deepEqual(lines.slice(4, 6), [
      '    validated: every new version, before it replaces the file, by "/usr/sbin/visudo" "-cf" "%s" (as root, no shell, timeout 10s), %s being the new version\'s temporary path; anything but exit 0 refuses the save (validation-failed) and nothing is written',
      "    if missing: created by a save, with mode 0440, owner root (0), group nogroup (65534)",
    ]);
    assert.ok(lines.includes("    if missing: not created, a save is refused (create = true would allow it)"), lines.join("\n"));
    assert.equal(lines.filter((l) => l.includes("if missing")).length, 2, "a read-only file is never created: nothing to say");
    assert.equal(lines.at(-1), "  A save keeps an existing file's owner, group, mode, ACLs and extended attributes (SELinux context included).");
  });
});

describe("policy check on this machine: the validator's program", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  function check(text: string): PolicyProblem[] {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "validate-check-"));
    dirs.push(root);
    fs.mkdirSync(path.join(root, "etc"));
    fs.writeFileSync(path.join(root, "etc/sudoers"), "root ALL=(ALL:ALL) ALL\n");
    const { policy, lineOf } = analysePolicy(text, "p.toml", { root });
    assert.ok(policy);
    return checkOnThisMachine(policy, root, lineOf);
  }

  it("an installed program only root can change: no problem", () => {
    assert.deepEqual(check(file('validate = ["/usr/sbin/visudo", "-cf", "%s"]')), []);
  });

  it("a missing program, or one another user can change, is an error: every save would be refused", () => {
    const missing = check(file('validate = ["/usr/sbin/no-such-validator", "%s"]'));
    assert.deepEqual(missing.map((p) => [p.severity, p.key, p.line]), [["error", "augeas.file[0].validate[0]", 8]]);
    assert.match(missing[0]!.message, /every save of \/etc\/sudoers would be refused: .*no-such-validator: it does not exist/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "validate-untrusted-"));
    dirs.push(dir);
    const program = path.join(dir, "check");
    fs.writeFileSync(program, "#!/bin/sh\nexit 0\n", { mode: 0o757 });
    fs.chmodSync(program, 0o757);
    const untrusted = check(file(`validate = ["${program}", "%s"]`));
    assert.deepEqual(untrusted.map((p) => p.key), ["augeas.file[0].validate[0]"]);
    assert.match(untrusted[0]!.message, /writable by others/);
  });
});
