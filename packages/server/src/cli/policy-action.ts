/**
 * `machinad policy check` and `machinad policy explain`: for packagers and
 * security reviewers, without starting anything.
 *
 * `check` reports every problem it finds, one line each naming the key and
 * line: first what the text alone shows (load-policy.ts), then — only for a
 * policy that parses — what the policy means on this machine: files that are
 * not inside --root after symbolic links (the daemon would refuse to load
 * them), lenses libaugeas does not have, files no lens handles by default,
 * and write patterns that can never match (lens-check.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { analysePolicy, sortProblems } from "../policy/load-policy.js";
import { formatProblem, type PolicyProblem } from "../policy/policy-errors.js";
import type { Policy } from "../policy/policy-types.js";
import type { KeyLineIndex } from "../policy/toml-key-lines.js";
import { explainPolicy } from "../policy/explain.js";
import { scanDefaultLenses } from "../augeas/lens-scan.js";
import { checkContainment } from "../augeas/containment.js";
import { LensChecker } from "../augeas/lens-check.js";

function readPolicyText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    process.stderr.write(`${file}: error: cannot read the policy file (${(e as NodeJS.ErrnoException).code ?? e})\n`);
    return undefined;
  }
}

/** Prints one line per problem; exit 1 when there is an error (warnings alone pass). */
export function policyCheck(file: string, root: string): number {
  const text = readPolicyText(file);
  if (text === undefined) return 1;
  const { policy, problems, lineOf } = analysePolicy(text, file, { root });
  const all = policy ? sortProblems([...problems, ...checkOnThisMachine(policy, root, lineOf)]) : problems;
  for (const p of all) process.stderr.write(formatProblem(file, p) + "\n");
  if (!policy || all.some((p) => p.severity === "error")) return 1;
  const warnings = all.length;
  process.stdout.write(`${file}: ok${warnings ? ` (${warnings} warning${warnings > 1 ? "s" : ""})` : ""}\n`);
  return 0;
}

/** The checks that need the filesystem under --root and libaugeas' lenses. */
export function checkOnThisMachine(policy: Policy, root: string, lineOf: KeyLineIndex): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const error = (key: string, message: string) => {
    const line = lineOf(key);
    problems.push(line === undefined ? { severity: "error", key, message } : { severity: "error", key, line, message });
  };
  let rootOk = true;
  try {
    if (!fs.statSync(root).isDirectory()) throw Object.assign(new Error(), { code: "ENOTDIR" });
  } catch (e) {
    error("", `--root ${root} is not a directory (${(e as NodeJS.ErrnoException).code ?? e})`);
    rootOk = false;
  }
  const defaults = scanDefaultLenses(policy.files.filter((f) => !f.lens).map((f) => f.path)).lenses;
  const lenses = new LensChecker();
  try {
    policy.files.forEach((f, i) => {
      const key = `augeas.file[${i}]`;
      let text: string | null = null;
      if (rootOk) {
        const contained = checkContainment(root, f.path);
        if (!contained.ok) {
          error(`${key}.path`, `${path.join(root, f.path)} is not inside --root ${root} as the file itself (${contained.reason}); machinad refuses to load or save it`);
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
  return problems;
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

export function policyExplain(file: string, root: string): number {
  const text = readPolicyText(file);
  if (text === undefined) return 1;
  const { policy, problems } = analysePolicy(text, file, { root });
  if (!policy) {
    for (const p of problems) process.stderr.write(formatProblem(file, p) + "\n");
    return 1;
  }
  const lenses = scanDefaultLenses(policy.files.filter((f) => !f.lens).map((f) => f.path)).lenses;
  process.stdout.write(explainPolicy(policy, lenses));
  return 0;
}
