/**
 * untrustedProgramBecause, on real files made here as root: a program is
 * trusted only when every directory and symbolic link on the way to it, and
 * the file itself, is one only root can change.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { untrustedProgramBecause } from "#src/trusted-path.js";

const NOBODY = 65534;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-trusted-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(rel: string, mode = 0o755, uid = 0): string {
  const f = path.join(dir, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, "#!/bin/sh\n");
  fs.chmodSync(f, mode);
  fs.chownSync(f, uid, 0);
  return f;
}

test("system programs, through the symbolic links on the way, are trusted", () => {
  for (const p of ["/bin/sh", "/usr/bin/env", "/usr/sbin/nginx", "/usr/bin/python3", "/usr/bin/../bin/true"]) {
    assert.equal(untrustedProgramBecause(p), undefined, p);
  }
});

test("a file, a directory or a link another user could change is not", () => {
  const safe = file("safe/prog");
  assert.equal(untrustedProgramBecause(safe), undefined);
  assert.match(untrustedProgramBecause(file("safe/group-writable", 0o775))!, /group-writable is writable by its group/);
  assert.match(untrustedProgramBecause(file("safe/nobodys", 0o755, NOBODY))!, /nobodys is owned by uid 65534/);

  const open = path.join(dir, "open");
  fs.mkdirSync(open);
  fs.chmodSync(open, 0o777);
  assert.match(untrustedProgramBecause(file("open/prog"))!, /open is writable by others without the sticky bit/);

  // A link in a trusted directory to a file in an open one; a link to a trusted file that another user owns.
  fs.symlinkSync(path.join(open, "prog"), path.join(dir, "safe", "to-open"));
  assert.match(untrustedProgramBecause(path.join(dir, "safe", "to-open"))!, /open is writable by others/);
  const theirs = path.join(dir, "safe", "theirs");
  fs.symlinkSync(safe, theirs);
  fs.lchownSync(theirs, NOBODY, NOBODY);
  assert.match(untrustedProgramBecause(theirs)!, /theirs is a symbolic link owned by uid 65534/);
  // A directory link on the way counts like any other step.
  fs.symlinkSync(open, path.join(dir, "safe", "dirlink"));
  assert.match(untrustedProgramBecause(path.join(dir, "safe", "dirlink", "prog"))!, /open is writable by others/);
  const relative = path.join(dir, "safe", "relative");
  fs.symlinkSync("prog", relative);
  assert.equal(untrustedProgramBecause(relative), undefined, "a relative link in the same directory");
});

test("what is not a program file is refused", () => {
  assert.match(untrustedProgramBecause(path.join(dir, "nothing"))!, /cannot be inspected \(ENOENT\)/);
  assert.match(untrustedProgramBecause("/usr/bin")!, /is a directory/);
  assert.match(untrustedProgramBecause("/dev/null")!, /not a regular file/);
  assert.match(untrustedProgramBecause("/etc/hostname/x")!, /is not a directory/);
  const loop = path.join(dir, "loop");
  fs.symlinkSync(loop, loop);
  assert.match(untrustedProgramBecause(loop)!, /too many symbolic links/);
});
