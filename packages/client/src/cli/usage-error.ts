/** A mistake in how the CLI was invoked (a bad argument, an unreadable script): exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
