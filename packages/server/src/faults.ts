/**
 * Errors a handler throws on purpose. Each carries an error kind and the
 * structured fields the client gets in `error.data`; anything else thrown is an
 * internal error, logged in full and reported to the client only as `internal`.
 */
import type { ErrorKind } from "@machina/protocol";

export class Fault extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "Fault";
  }
}

export class PolicyDeniedFault extends Fault {
  constructor(reason: string, target?: string) {
    super("policy-denied", target ? `${target}: ${reason}` : reason, target === undefined ? { reason } : { reason, target });
  }
}

export class InvalidParamsFault extends Fault {
  constructor(message: string, fields: Record<string, unknown> = {}) {
    super("invalid-params", message, fields);
  }
}

export class NotFoundFault extends Fault {
  constructor(message: string, target?: string) {
    super("not-found", message, target === undefined ? {} : { target });
  }
}

export class ConflictFault extends Fault {
  constructor(file: string, why: string) {
    super("conflict", `${file} changed on disk since it was loaded (${why}); nothing was written`, { file });
  }
}

export class TimeoutFault extends Fault {
  constructor(timeoutMs: number) {
    super("timeout", `the call did not finish within ${timeoutMs} ms`, { timeoutMs });
  }
}
