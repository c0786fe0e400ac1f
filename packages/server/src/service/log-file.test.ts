/**
 * readLogFile on real files below a temporary --root: the last lines, the
 * cursor and what comes after it, the bounds, rotation (rename + create, and
 * copytruncate), and containment — a symbolic link (of the file or of a
 * directory on the way, pointing out of the root or within it), a hard link,
 * a FIFO (which must not hold the call) and a directory are refused.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { SERVICE_LOG_MAX_BYTES } from "@machina/protocol";
import { createLogger } from "#src/logger.js";
import { readLogFile } from "#src/service/log-file.js";
import { throwsFault } from "../faults.test-support.js";

let dir: string;
let root: string;
let outside: string;
const warnings: string[] = [];
const logger = createLogger("warn", (l) => void warnings.push(l));

const LOG = "/var/log/app/error.log";
const onDisk = (file: string) => path.join(root, file);
const read = (lines: number, cursor?: string, file = LOG) => readLogFile(root, file, { lines, ...(cursor !== undefined ? { cursor } : {}) }, logger);
const messages = (r: { lines: { message: string }[] }) => r.lines.map((l) => l.message);
const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);


before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-logfile-"));
  root = path.join(dir, "root");
  outside = path.join(dir, "outside");
  fs.mkdirSync(path.join(root, "var/log/app"), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, "secret"), "outside the root\n");
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("the last lines, then what is appended after the cursor, in order and bounded by lines", () => {
  fs.writeFileSync(onDisk(LOG), numbered(1, 30).join("\n") + "\n");
  const last = read(5);
  assert.deepEqual(messages(last), numbered(26, 30));
  assert.equal(last.more, false);
  assert.match(last.cursor!, /^f1\.[0-9]+\.[0-9]+\.[0-9]+\.[0-9a-f]{16}$/);
  assert.deepEqual(read(5, last.cursor), { source: LOG, lines: [], cursor: last.cursor, more: false }, "nothing new: the same cursor");

  fs.appendFileSync(onDisk(LOG), numbered(31, 40).join("\n") + "\n");
  const first = read(4, last.cursor);
  assert.deepEqual(messages(first), numbered(31, 34), "the oldest lines after the cursor");
  assert.equal(first.more, true);
  const rest = read(100, first.cursor);
  assert.deepEqual(messages(rest), numbered(35, 40));
  assert.equal(rest.more, false);
});

test("a last line without its newline is answered; CRLF and bytes that are not UTF-8 are shown, never fatal", () => {
  fs.writeFileSync(onDisk(LOG), Buffer.concat([Buffer.from("dos\r\n"), Buffer.from([0x62, 0x61, 0x64, 0xff, 0x0a]), Buffer.from("partial")]));
  const r = read(10);
  assert.deepEqual(messages(r), ["dos", "bad\ufffd", "partial"]);
  assert.equal(r.cursor!.split(".")[3], String(fs.statSync(onDisk(LOG)).size), "the cursor is at the end of the file");
});

test("bounds: at most 256 KiB of lines (the newest kept without a cursor, more after one); a huge line is cut", () => {
  const line = "x".repeat(999);
  fs.writeFileSync(onDisk(LOG), Array.from({ length: 600 }, (_, i) => `${i} ${line}`).join("\n") + "\n");
  const last = read(1000);
  const bytes = last.lines.reduce((n, l) => n + Buffer.byteLength(JSON.stringify(l)) + 1, 0);
  assert.ok(bytes <= SERVICE_LOG_MAX_BYTES, `${bytes} bytes`);
  assert.ok(last.lines.length > 200 && last.lines.length < 600, `${last.lines.length} lines`);
  assert.ok(last.lines[last.lines.length - 1]!.message.startsWith("599 "), "the newest lines are kept");
  fs.writeFileSync(onDisk(LOG), "");
  const start = read(1000).cursor;
  fs.writeFileSync(onDisk(LOG), Array.from({ length: 600 }, (_, i) => `${i} ${line}`).join("\n") + "\n");
  const page = read(1000, start);
  assert.equal(page.more, true);
  assert.ok(page.lines[0]!.message.startsWith("0 "));
  let cursor = page.cursor;
  let seen = page.lines.length;
  for (let r = read(1000, cursor); ; r = read(1000, cursor)) {
    seen += r.lines.length;
    cursor = r.cursor;
    if (!r.more) break;
  }
  assert.equal(seen, 600, "paging with the cursor reads every line once");

  fs.writeFileSync(onDisk(LOG), "y".repeat(300 * 1024) + "\n");
  const huge = read(10);
  assert.equal(huge.lines.length, 1);
  assert.ok(huge.lines[0]!.message.endsWith("[…]") && huge.lines[0]!.message.length <= 16 * 1024);
});

test("rotation: the rest of the renamed file (now .1) first, then the new file from its start; copytruncate reads again from the start", () => {
  fs.writeFileSync(onDisk(LOG), "before 1\nbefore 2\n");
  const c0 = read(10).cursor;
  fs.appendFileSync(onDisk(LOG), "late 1\nlate 2\n");
  fs.renameSync(onDisk(LOG), onDisk(`${LOG}.1`));
  fs.writeFileSync(onDisk(LOG), "new 1\n");
  const old = read(10, c0);
  assert.deepEqual(messages(old), ["late 1", "late 2"]);
  assert.equal(old.more, true, "the new file is waiting");
  const fresh = read(10, old.cursor);
  assert.deepEqual(messages(fresh), ["new 1"]);
  assert.equal(fresh.more, false);

  fs.rmSync(onDisk(`${LOG}.1`));
  fs.renameSync(onDisk(LOG), onDisk(`${LOG}.0`));
  fs.writeFileSync(onDisk(LOG), "newer 1\n");
  assert.deepEqual(messages(read(10, fresh.cursor)), ["newer 1"], "an old file that is gone: the new file from its start");

  const c1 = read(10).cursor;
  fs.truncateSync(onDisk(LOG), 0);
  fs.appendFileSync(onDisk(LOG), "after truncate\n");
  assert.deepEqual(messages(read(10, c1)), ["after truncate"], "truncated, then grown past the old offset: from the start");
  const c2 = read(10).cursor;
  fs.truncateSync(onDisk(LOG), 0);
  assert.deepEqual(read(10, c2).lines, [], "truncated to nothing");
});

test("cursors that are not this log's kind, or malformed, are invalid-params", () => {
  fs.writeFileSync(onDisk(LOG), "a\n");
  for (const cursor of ["", "garbage", "j1.s=abc;i=1", "f1.1.2.3", "f1.1.2.-3.0123456789abcdef", "f1.1.2.99999999999999999.0123456789abcdef", "f1.a.b.c.d", "f1.1.2.3.0123456789abcdef\n", "f1.1.2.3.0123456789ABCDEF"]) {
    const e = throwsFault(() => read(10, cursor), "invalid-params");
    assert.equal(e.fields.param, "/cursor", cursor);
  }
});

test("containment: symbolic links (file or directory, out of the root or within it), hard links, FIFOs and directories are refused; nothing is read", () => {
  const cases: [string, () => void][] = [
    ["/var/log/to-outside.log", () => fs.symlinkSync(path.join(outside, "secret"), onDisk("/var/log/to-outside.log"))],
    ["/var/log/to-inside.log", () => fs.symlinkSync(onDisk(LOG), onDisk("/var/log/to-inside.log"))],
    ["/var/log/linked-dir/secret", () => fs.symlinkSync(outside, onDisk("/var/log/linked-dir"))],
    ["/var/log/hard.log", () => fs.linkSync(path.join(outside, "secret"), onDisk("/var/log/hard.log"))],
    ["/var/log/fifo.log", () => execFileSync("mkfifo", [onDisk("/var/log/fifo.log")])],
    ["/var/log/app", () => undefined],
  ];
  for (const [file, make] of cases) {
    make();
    const e = throwsFault(() => read(10, undefined, file), "policy-denied");
    assert.equal(e.fields.target, file);
    assert.ok(!e.message.includes(dir), `the client is not told where --root is: ${e.message}`);
  }
  const missing = throwsFault(() => read(10, undefined, "/var/log/none.log"), "not-found");
  assert.equal(missing.fields.target, "/var/log/none.log");
  throwsFault(() => read(10, undefined, "/var/log/app/error.log/x"), "not-found");
});

test("a directory on the way replaced by a symbolic link after a cursor was given: refused, not followed", () => {
  fs.mkdirSync(onDisk("/var/log/svc"));
  fs.writeFileSync(onDisk("/var/log/svc/out.log"), "mine\n");
  const { cursor } = read(10, undefined, "/var/log/svc/out.log");
  fs.renameSync(onDisk("/var/log/svc"), onDisk("/var/log/svc.old"));
  fs.mkdirSync(path.join(outside, "svc"));
  fs.writeFileSync(path.join(outside, "svc/out.log"), "not mine\n");
  fs.symlinkSync(path.join(outside, "svc"), onDisk("/var/log/svc"));
  throwsFault(() => read(10, cursor, "/var/log/svc/out.log"), "policy-denied");
});
