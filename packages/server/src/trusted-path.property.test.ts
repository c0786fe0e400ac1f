/**
 * untrustedProgramBecause on generated paths: chains of real directories,
 * each maybe reached through a symbolic link, ending in a program file, each
 * step with a random owner (root or nobody) and mode. The rule it must follow,
 * written here independently: trusted exactly when every directory on the way
 * is root's and writable by group or others only if sticky, every link is
 * root's, and the file is root's and writable by neither. Every `[[command]]`
 * program and service configuration test is checked by it before it runs as
 * root.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { untrustedProgramBecause } from "#src/trusted-path.js";

const NOBODY = 65534;
const base = fs.mkdtempSync(path.join(os.tmpdir(), "machina-trusted-prop-"));
fs.chmodSync(base, 0o755);
after(() => fs.rmSync(base, { recursive: true, force: true }));

const owner = fc.constantFrom(0, NOBODY);
const dirMode = fc.constantFrom(0o755, 0o775, 0o757, 0o777, 0o1777, 0o1775, 0o700);
const fileMode = fc.constantFrom(0o755, 0o775, 0o757, 0o700, 0o4755);
const step = fc.record({ owner, mode: dirMode, link: fc.option(owner, { nil: undefined }) });
const program = fc.record({ steps: fc.array(step, { minLength: 1, maxLength: 4 }), owner, mode: fileMode, link: fc.option(owner, { nil: undefined }) });
type Program = typeof program extends fc.Arbitrary<infer T> ? T : never;

function trustedDirectory(s: { owner: number; mode: number }): boolean {
  return s.owner === 0 && (!(s.mode & 0o022) || (s.mode & 0o1000) !== 0);
}

/** The rule, from the description above. */
function expectedTrusted(p: Program): boolean {
  return p.steps.every((s) => trustedDirectory(s) && (s.link === undefined || s.link === 0)) && p.owner === 0 && !(p.mode & 0o022) && (p.link === undefined || p.link === 0);
}

let n = 0;
/** Lays `p` out below a fresh directory of `base`; answers the path to give the check. */
function layOut(p: Program): string {
  const top = path.join(base, String(n++));
  fs.mkdirSync(top, { mode: 0o755 });
  // Real directories live in a store beside the path; the path reaches each one by name or by link.
  const store = path.join(top, "store");
  fs.mkdirSync(store, { mode: 0o755 });
  let walked = top;
  p.steps.forEach((s, i) => {
    const real = path.join(store, `d${i}`);
    fs.mkdirSync(real);
    fs.chownSync(real, s.owner, 0);
    fs.chmodSync(real, s.mode);
    const name = path.join(walked, `s${i}`);
    if (s.link === undefined) {
      // A step by name: the real directory moved into place.
      fs.renameSync(real, name);
    } else {
      fs.symlinkSync(real, name);
      fs.lchownSync(name, s.link, 0);
    }
    walked = name;
  });
  const real = path.join(walked, "prog-real");
  fs.writeFileSync(real, "#!/bin/sh\n");
  fs.chownSync(real, p.owner, 0);
  fs.chmodSync(real, p.mode);
  if (p.link === undefined) return real;
  const link = path.join(walked, "prog");
  fs.symlinkSync("prog-real", link);
  fs.lchownSync(link, p.link, 0);
  return link;
}

test("a program is trusted exactly when root alone can change every directory, link and the file on its way", () => {
  fc.assert(
    fc.property(program, (p) => {
      const why = untrustedProgramBecause(layOut(p));
      assert.equal(why === undefined, expectedTrusted(p), `${JSON.stringify(p)}: ${why ?? "trusted"}`);
    }),
    { numRuns: 300 },
  );
});
