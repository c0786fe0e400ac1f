/**
 * `machinad policy check` for `[[augeas.file]]` on this machine: files the
 * daemon would refuse to load (not inside --root after symbolic links, hard
 * linked, or below a directory another user could change: containment.ts),
 * lenses libaugeas does not have, files no lens handles by default, write
 * patterns that can never match (lens-check.ts), and validators that are
 * missing or that a user other than root could change (every save of their
 * file would be refused).
 */
import fs from "node:fs";
import path from "node:path";
import type { MachineCheckContext } from "../capability/capability-module.js";
import type { AugeasSection } from "./augeas-section.js";
import { checkContainment } from "./containment.js";
import { LensChecker } from "./lens-check.js";
import { scanDefaultLenses } from "./lens-scan.js";
import { untrustedProgramBecause } from "../trusted-path.js";

export function checkAugeasOnThisMachine(section: AugeasSection, ctx: MachineCheckContext): void {
  const error = (key: string, message: string) => {
    const line = ctx.lineOf(key);
    ctx.report(line === undefined ? { severity: "error", key, message } : { severity: "error", key, line, message });
  };
  const root = ctx.root;
  let rootOk = true;
  try {
    if (!fs.statSync(root).isDirectory()) throw Object.assign(new Error(), { code: "ENOTDIR" });
  } catch (e) {
    error("", `--root ${root} is not a directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    rootOk = false;
  }
  const defaults = scanDefaultLenses(section.files.filter((f) => !f.lens).map((f) => f.path)).lenses;
  const lenses = new LensChecker();
  try {
    section.files.forEach((f, i) => {
      const key = `augeas.file[${i}]`;
      const validator = f.validate?.argv[0];
      if (validator && f.write.length > 0) {
        const why = fs.existsSync(validator) ? untrustedProgramBecause(validator) : "it does not exist";
        if (why) error(`${key}.validate[0]`, `every save of ${f.path} would be refused: machinad does not run its validator ${validator}: ${why}`);
      }
      let text: string | null = null;
      if (rootOk) {
        const contained = checkContainment(root, f.path);
        if (!contained.ok) {
          error(`${key}.path`, `machinad refuses to load or save ${path.join(root, f.path)}: ${contained.reason}`);
          return;
        }
        if (contained.exists) text = readOrNull(path.join(root, f.path));
      }
      const lens = f.lens ?? defaults.get(f.path);
      if (f.lens && !lenses.lensExists(f.lens)) {
        error(`${key}.lens`, `libaugeas has no lens ${f.lens} (no such module or lens in its lens directories)`);
        return;
      }
      if (!lens) {
        error(`${key}.path`, `no lens handles ${f.path} by default; name one with lens = "..."`);
        return;
      }
      for (const { pattern, label, tried } of lenses.unmatchableWrites(lens, text, f.write)) {
        const w = f.write.indexOf(pattern);
        error(
          `${key}.write[${w}]`,
          `${JSON.stringify(pattern.source)} can never match: no node of ${f.path} matches it, and ${lens} refuses a node labelled ${JSON.stringify(label)} in each of the ${tried} place(s) it could go`,
        );
      }
    });
  } finally {
    lenses.close();
  }
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}
