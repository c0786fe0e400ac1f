/**
 * `machinad policy check` and `machinad policy explain`: for packagers and
 * security reviewers, without starting anything.
 */
import fs from "node:fs";
import { analysePolicy } from "../policy/load-policy.js";
import { formatProblem } from "../policy/policy-errors.js";
import { explainPolicy } from "../policy/explain.js";
import { scanDefaultLenses } from "../augeas/lens-scan.js";

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
  const { policy, problems } = analysePolicy(text, file, { root });
  for (const p of problems) process.stderr.write(formatProblem(file, p) + "\n");
  if (!policy) return 1;
  const lenses = scanDefaultLenses(policy.files.filter((f) => !f.lens).map((f) => f.path)).lenses;
  let missing = 0;
  for (const f of policy.files) {
    if (!f.lens && !lenses.has(f.path)) {
      process.stderr.write(`${file}: error: augeas.file ${f.path}: no lens handles this file by default; name one with lens = "..."\n`);
      missing++;
    }
  }
  if (missing > 0) return 1;
  process.stdout.write(`${file}: ok${problems.length ? ` (${problems.length} warning${problems.length > 1 ? "s" : ""})` : ""}\n`);
  return 0;
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
