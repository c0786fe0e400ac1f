import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Fault } from "#src/faults.js";
import { FileTimezone } from "#src/timezone/file-timezone.js";
import { loadZoneNames } from "#src/timezone/zone-database.js";

function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "machina-tz-"));
  fs.mkdirSync(path.join(root, "etc"));
  return root;
}

test("the zone list comes from the system's tz database, by whole name", () => {
  const zones = loadZoneNames();
  for (const z of ["Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC", "Etc/UTC"]) assert.ok(zones.has(z), z);
  for (const z of ["../../etc/passwd", "Europe/../../etc/passwd", "zone.tab", "tzdata.zi", "posixrules/..", "", "Europe"]) assert.ok(!zones.has(z), z);
});

test("a fallback to zone.tab when tzdata.zi is missing, and only names whose file is inside the directory", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-zi-"));
  try {
    fs.mkdirSync(path.join(dir, "Europe"));
    fs.writeFileSync(path.join(dir, "Europe", "Berlin"), "TZif");
    fs.writeFileSync(path.join(dir, "UTC"), "TZif");
    fs.symlinkSync("/etc/passwd", path.join(dir, "Europe", "Evil"));
    fs.writeFileSync(path.join(dir, "zone.tab"), "# comment\nDE\t+5230+01322\tEurope/Berlin\nXX\t+0\tEurope/Evil\nYY\t+0\tEurope/Missing\n");
    assert.deepEqual([...loadZoneNames(dir)].sort(), ["Europe/Berlin", "UTC"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("set writes /etc/timezone and the /etc/localtime link under the root, replacing planted symlinks", async () => {
  const root = tempRoot();
  const outside = path.join(root, "..", `${path.basename(root)}-outside`);
  fs.writeFileSync(outside, "do not touch\n");
  try {
    const tz = new FileTimezone(root);
    assert.equal(await tz.get(), null);
    fs.symlinkSync(outside, path.join(root, "etc", "timezone"));
    await tz.set("Europe/Berlin");
    assert.equal(fs.readFileSync(path.join(root, "etc", "timezone"), "utf8"), "Europe/Berlin\n");
    assert.equal(fs.lstatSync(path.join(root, "etc", "timezone")).isFile(), true);
    assert.equal(fs.readlinkSync(path.join(root, "etc", "localtime")), "/usr/share/zoneinfo/Europe/Berlin");
    assert.equal(fs.readFileSync(outside, "utf8"), "do not touch\n");
    assert.equal(await tz.get(), "Europe/Berlin");
    await tz.set("UTC");
    assert.equal(await tz.get(), "UTC");
    assert.deepEqual(fs.readdirSync(path.join(root, "etc")).sort(), ["localtime", "timezone"], "no temporary files left");
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { force: true });
  }
});

test("an /etc that is a symlink out of the root is refused, and nothing is written", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "machina-tz-"));
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "machina-tz-else-"));
  try {
    fs.symlinkSync(elsewhere, path.join(root, "etc"));
    await assert.rejects(new FileTimezone(root).set("UTC"), (e: unknown) => e instanceof Fault && e.kind === "backend-failed");
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  }
});
