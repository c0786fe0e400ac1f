import { PolicyDeniedFault } from "../faults.js";

/** One finding about a policy file; `key` is a dotted path such as `augeas.file[0].write[2]` (indices 0-based). */
export interface PolicyProblem {
  severity: "error" | "warning";
  key: string;
  /** 1-based line in the policy text, when it could be located. */
  line?: number;
  message: string;
}

/** Thrown by parsePolicy/loadPolicy; the daemon refuses to start on it (invariant 1). */
export class PolicyError extends Error {
  override readonly name = "PolicyError";
  constructor(
    readonly source: string,
    readonly problems: PolicyProblem[],
  ) {
    super(`invalid policy ${source}:\n${problems.map((p) => formatProblem(source, p)).join("\n")}`);
  }
}

export function formatProblem(source: string, problem: PolicyProblem): string {
  const where = problem.line === undefined ? source : `${source}:${problem.line}`;
  return `${where}: ${problem.severity}: ${problem.key ? `${problem.key}: ` : ""}${problem.message}`;
}

/** A client path outside the accepted grammar; `part` is the offending text. */
export class PathRejectedError extends PolicyDeniedFault {
  override readonly name = "PathRejected";
  constructor(
    path: string,
    readonly part: string,
    reason: string,
    /** Offset of `part` in the client's string. */
    readonly offset: number,
  ) {
    super(path, `${reason} (at ${JSON.stringify(part)}, offset ${offset})`);
  }
}
