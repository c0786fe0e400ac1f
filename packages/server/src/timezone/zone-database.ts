/**
 * The zone names of the system's tz database. A zone a client names is
 * looked up in this set as a whole string — it is never joined onto a path
 * before it has been found here — so `../../etc/passwd` is simply unknown
 * (exmachina joined the name onto /usr/share/zoneinfo and checked the file).
 *
 * Source: `tzdata.zi` (the compact database tzdata ships; `Z NAME …` lines
 * are zones, `L TARGET NAME` lines are links such as `US/Eastern`), else
 * `zone1970.tab` and `zone.tab` (third column) plus `UTC`. A name is kept only
 * when it has the shape of a zone name and its compiled file is a regular file
 * (after symlinks) inside the zoneinfo directory.
 */
import fs from "node:fs";
import path from "node:path";

/** Where Debian's tzdata keeps the database, and what /etc/localtime points into. */
export const ZONEINFO_DIR = "/usr/share/zoneinfo";

/** The shape of a zone name: segments of letters, digits, `_ + -`; no dots, so no `.` or `..` segments. */
export const ZONE_NAME = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/;

function namesFromZi(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(/\s+/);
    if (f[0] === "Z" && f[1]) names.push(f[1]);
    else if (f[0] === "L" && f[2]) names.push(f[2]);
  }
  return names;
}

function namesFromTab(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const zone = line.split("\t")[2];
    if (zone) names.push(zone.trim());
  }
  return names;
}

function readIfPresent(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Every usable zone name of the database in `dir` (read afresh: tzdata upgrades add zones). */
export function loadZoneNames(dir = ZONEINFO_DIR): Set<string> {
  let candidates: string[];
  const zi = readIfPresent(path.join(dir, "tzdata.zi"));
  if (zi !== undefined) candidates = namesFromZi(zi);
  else {
    candidates = ["UTC"];
    for (const tab of ["zone1970.tab", "zone.tab"]) candidates.push(...namesFromTab(readIfPresent(path.join(dir, tab)) ?? ""));
  }
  let realDir: string;
  try {
    realDir = fs.realpathSync(dir);
  } catch {
    return new Set();
  }
  const zones = new Set<string>();
  for (const name of candidates) {
    if (!ZONE_NAME.test(name) || zones.has(name)) continue;
    // Only now, for a name the database itself lists, is it a path.
    try {
      const real = fs.realpathSync(path.join(dir, name));
      if (real.startsWith(`${realDir}/`) && fs.statSync(real).isFile()) zones.add(name);
    } catch {
      // Listed but not installed (e.g. moved to tzdata-legacy): not offered.
    }
  }
  return zones;
}
