/**
 * The one error type for failures a client is told about. A `Fault` carries an
 * error kind and exactly the `error.data` fields the protocol defines for that
 * kind (typed from @machina/protocol's ErrorData, so a field the client cannot
 * read does not compile). Anything else thrown is an internal error, logged in
 * full and reported to the client only as `internal` (rpc/wire-errors.ts).
 */
import type { ErrorFields, ErrorKind, LimitName } from "@machina/protocol";

export class Fault<K extends ErrorKind = ErrorKind> extends Error {
  override readonly name: string = "Fault";
  constructor(
    readonly kind: K,
    message: string,
    readonly fields: ErrorFields<K>,
  ) {
    super(message);
  }

  /** The same fault, for change `index` of an `augeas.apply` (0-based): its message says which. */
  forChange(index: number): Fault<K> {
    return new Fault(this.kind, `change ${index + 1}: ${this.message}`, { ...this.fields, change: index });
  }
}

/**
 * The policy refused `target` (a client path, a resolved node, a method, a
 * service, package, command or zone); `reason` says which rule is missing.
 * Always (target, reason) in that order.
 */
export class PolicyDeniedFault extends Fault<"policy-denied"> {
  override readonly name: string = "PolicyDeniedFault";
  constructor(
    readonly target: string,
    readonly reason: string,
    /** The policy file rule consulted, when there was one (its path, e.g. /etc/hosts). */
    readonly file?: string,
  ) {
    super("policy-denied", `${target}: ${reason}`, file === undefined ? { reason, target } : { reason, target, file });
  }
}

export class InvalidParamsFault extends Fault<"invalid-params"> {
  constructor(message: string, fields: ErrorFields<"invalid-params"> = {}) {
    super("invalid-params", message, fields);
  }
}

export class NotFoundFault extends Fault<"not-found"> {
  constructor(message: string, target?: string) {
    super("not-found", message, target === undefined ? {} : { target });
  }
}

export class ConflictFault extends Fault<"conflict"> {
  constructor(file: string, why: string) {
    super("conflict", `${file} changed on disk since it was loaded (${why}); nothing was written`, { file });
  }
}

export class TimeoutFault extends Fault<"timeout"> {
  constructor(timeoutMs: number, message = `the call did not finish within ${timeoutMs} ms`) {
    super("timeout", message, { timeoutMs });
  }
}

/**
 * The call would take the session beyond one of its resource limits
 * (limits.ts); `what` says what was counted, and the message names the
 * `machinad` flag that raises the limit. Thrown before anything changes.
 */
export class LimitExceededFault extends Fault<"limit-exceeded"> {
  override readonly name: string = "LimitExceededFault";
  constructor(
    readonly limit: LimitName,
    readonly max: number,
    what: string,
    file?: string,
  ) {
    super("limit-exceeded", `${what}: more than the ${limit} limit of ${max} (machinad --max-${limit})`, file === undefined ? { limit, max } : { limit, max, file });
  }
}
