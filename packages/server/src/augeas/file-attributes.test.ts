/**
 * giveAttributes on real files, for a new version written by someone other
 * than libaugeas (as a rollback writes FILE.augnew with plain file writes):
 * it gets FILE's owner, group, mode, ACL and every extended attribute, and
 * loses an attribute FILE lacks; a created file gets exactly the policy's
 * attributes; a new version that is not a plain file is refused. Checked with
 * getfacl and getfattr (Debian's acl and attr). Needs a file system with
 * user.* attributes: the temporary directory when it has them, else /var/tmp.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { Fault } from "#src/faults.js";
import { createLogger } from "#src/logger.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { giveAttributes } from "#src/augeas/file-attributes.js";
import type { FileRule } from "#src/augeas/augeas-section.js";

const run = (file: string, args: string[]) => execFileSync(file, args, { encoding: "utf8" });
const logged: string[] = [];
const logger = createLogger("debug", (l) => void logged.push(l));

function rule(extra = ""): FileRule {
  return parsePolicy(`version = 1\n[clients]\nusers = ["root"]\n[[augeas.file]]\npath = "/etc/app.conf"\nlens = "Simplevars"\nwrite = ["**"]\n${extra}\n`, "p.toml").augeas.files[0]!;
}

let dir: string;
let target: string;
let temp: string;

beforeEach(() => {
  for (const base of [os.tmpdir(), "/var/tmp"]) {
    dir = fs.mkdtempSync(path.join(base, "machina-attrs-"));
    try {
      fs.writeFileSync(path.join(dir, "probe"), "");
      run("setfattr", ["-n", "user.probe", "-v", "1", path.join(dir, "probe")]);
      break;
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  target = path.join(dir, "app.conf");
  temp = `${target}.augnew`;
  logged.length = 0;
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const dump = (file: string) => run("getfattr", ["--absolute-names", "-d", "-m", "-", "-e", "hex", file]).replace(/^# file: .*\n/, "");
const stat = (file: string) => {
  const st = fs.lstatSync(file);
  return [st.mode & 0o7777, st.uid, st.gid];
};

test("a new version written with plain file writes gets FILE's owner, group, mode, ACL and attributes, and loses its own", () => {
  fs.writeFileSync(target, "a=1\n");
  fs.chownSync(target, 65534, 65534);
  fs.chmodSync(target, 0o600);
  run("setfacl", ["-m", "u:daemon:r", target]);
  run("setfattr", ["-n", "user.machina", "-v", "kept", target]);
  run("setfattr", ["-n", "trusted.machina", "-v", "kept", target]);
  fs.writeFileSync(temp, "a=2\n", { mode: 0o644 });
  run("setfattr", ["-n", "user.stray", "-v", "goes", temp]);
  giveAttributes({ rule: rule(), temp, target }, logger);
  assert.deepEqual(stat(temp), stat(target));
  assert.equal(dump(temp), dump(target));
  assert.match(dump(temp), /^system\.posix_acl_access=/m);
  assert.doesNotMatch(dump(temp), /user\.stray/);
  assert.equal(fs.readFileSync(temp, "utf8"), "a=2\n", "the bytes are not touched");
});

test("a created file gets exactly the policy's mode, owner and group, without an inherited ACL", () => {
  run("setfacl", ["-d", "-m", "u:daemon:rw", dir]);
  fs.writeFileSync(temp, "a=1\n");
  assert.match(run("getfacl", ["-c", "-p", temp]), /^user:daemon:rw-$/m, "inherited from the directory");
  giveAttributes({ rule: rule('create = true\nmode = "0640"\nowner = "nobody"\ngroup = "nogroup"'), temp, target }, logger);
  assert.deepEqual(stat(temp), [0o640, 65534, 65534]);
  assert.equal(run("getfacl", ["-c", "-p", temp]), "user::rw-\ngroup::r--\nother::---\n\n");
  assert.equal(dump(temp), "");
});

test("a new version that is a symbolic link, or has a second name, is refused: backend-failed, and it is left as it was", () => {
  fs.writeFileSync(target, "a=1\n");
  const elsewhere = path.join(dir, "elsewhere");
  fs.writeFileSync(elsewhere, "x\n", { mode: 0o600 });
  fs.symlinkSync(elsewhere, temp);
  assert.throws(
    () => giveAttributes({ rule: rule(), temp, target }, logger),
    (e: unknown) => e instanceof Fault && e.kind === "backend-failed" && e.message === "/etc/app.conf: its new version could not be given the file's owner, mode and attributes (ELOOP); nothing was written",
  );
  assert.deepEqual(stat(elsewhere), [0o600, 0, 0]);
  fs.unlinkSync(temp);
  fs.linkSync(elsewhere, temp);
  assert.throws(() => giveAttributes({ rule: rule(), temp, target }, logger), (e: unknown) => e instanceof Fault && e.kind === "backend-failed");
  assert.deepEqual(stat(elsewhere), [0o600, 0, 0]);
  assert.ok(logged.some((l) => l.includes("saving /etc/app.conf: cannot inspect its new version")), logged.join(""));
});
