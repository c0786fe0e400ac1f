/**
 * `machinad policy check` and `machinad policy explain`: for packagers and
 * security reviewers, without starting anything.
 *
 * `check` reports every problem it finds, one line each naming the key and
 * line: first what the text alone shows (load-policy.ts), then — only for a
 * policy that parses — what each module finds on this machine (for
 * `[[augeas.file]]`: augeas/machine-check.ts).
 */
import fs from "node:fs";
import { MODULES } from "../capability/registry.js";
import type { AnyCapabilityModule } from "../capability/capability-module.js";
import { analysePolicy, sortProblems } from "../policy/load-policy.js";
import { formatProblem, type PolicyProblem } from "../policy/policy-errors.js";
import type { Policy } from "../policy/policy-types.js";
import type { KeyLineIndex } from "../policy/toml-key-lines.js";
import { explainPolicy } from "../policy/explain.js";

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

/** The checks that need this machine (files under --root, libaugeas' lenses …), each module its own. */
export function checkOnThisMachine(policy: Policy, root: string, lineOf: KeyLineIndex): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const m of MODULES as readonly AnyCapabilityModule[]) {
    m.checkOnThisMachine?.((policy as unknown as Record<string, unknown>)[m.name], { root, lineOf, report: (p) => problems.push(p) });
  }
  return problems;
}

export function policyExplain(file: string, root: string): number {
  const text = readPolicyText(file);
  if (text === undefined) return 1;
  const { policy, problems } = analysePolicy(text, file, { root });
  if (!policy) {
    for (const p of problems) process.stderr.write(formatProblem(file, p) + "\n");
    return 1;
  }
  process.stdout.write(explainPolicy(policy, { root }));
  return 0;
}
