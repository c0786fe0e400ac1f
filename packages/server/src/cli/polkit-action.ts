/** `machinad policy polkit FILE`: print the polkit rule equivalent to the policy's `[[service]]` section. */
import fs from "node:fs";
import { analysePolicy } from "../policy/load-policy.js";
import { formatProblem } from "../policy/policy-errors.js";
import { polkitRule } from "../service/polkit.js";

export function policyPolkit(file: string): number {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    process.stderr.write(`${file}: error: cannot read the policy file (${(e as NodeJS.ErrnoException).code ?? e})\n`);
    return 1;
  }
  const { policy, problems } = analysePolicy(text, file, { root: "/" });
  if (!policy) {
    for (const p of problems) process.stderr.write(formatProblem(file, p) + "\n");
    return 1;
  }
  const rule = polkitRule(policy, file);
  for (const w of rule.warnings) process.stderr.write(`${file}: warning: ${w}\n`);
  process.stdout.write(rule.text);
  return 0;
}
