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

/**
 * A request the policy does not allow. `target` is what was refused (a client
 * path or a resolved node path), `reason` says why — usually which rule is
 * missing. The daemon maps every instance (including PathRejectedError) to a
 * `policy-denied` error.
 */
export class PolicyDeniedError extends Error {
  override readonly name: string = "PolicyDeniedError";
  constructor(
    readonly target: string,
    readonly reason: string,
    /** The file rule consulted, when there was one (its path, e.g. /etc/hosts). */
    readonly file?: string,
  ) {
    super(`${target}: ${reason}`);
  }
}

/** A client path outside the accepted grammar; `part` is the offending text. */
export class PathRejectedError extends PolicyDeniedError {
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
