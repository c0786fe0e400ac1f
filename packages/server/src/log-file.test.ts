import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { openLogFile } from "#src/log-file.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-log-"));
  dirs.push(dir);
  return dir;
}

test("lines are appended, to a file created 0600; an existing file is appended to, not truncated", () => {
  const file = path.join(tmpDir(), "machinad.log");
  fs.writeFileSync(file, "from before\n", { mode: 0o600 });
  const log = openLogFile(file);
  log.write("one\n");
  log.write("two\n");
  assert.equal(fs.readFileSync(file, "utf8"), "from before\none\ntwo\n");
  const fresh = path.join(path.dirname(file), "fresh.log");
  openLogFile(fresh).write("x\n");
  assert.equal((fs.statSync(fresh).mode & 0o777).toString(8), "600");
});

test("reopen() after the file was moved away: later lines go to a new file, earlier ones stay in the moved one", () => {
  const file = path.join(tmpDir(), "machinad.log");
  const log = openLogFile(file);
  log.write("before\n");
  fs.renameSync(file, `${file}.1`);
  log.write("still the old file\n");
  log.reopen();
  log.write("after\n");
  assert.equal(fs.readFileSync(`${file}.1`, "utf8"), "before\nstill the old file\n");
  assert.equal(fs.readFileSync(file, "utf8"), "after\n");
});

test("a reopen that fails throws and leaves the old file in use", () => {
  const dir = tmpDir();
  const file = path.join(dir, "sub", "machinad.log");
  fs.mkdirSync(path.dirname(file));
  const log = openLogFile(file);
  fs.renameSync(path.dirname(file), path.join(dir, "moved"));
  assert.throws(() => log.reopen(), { code: "ENOENT" });
  log.write("kept\n");
  assert.equal(fs.readFileSync(path.join(dir, "moved", "machinad.log"), "utf8"), "kept\n");
});
