/**
 * Rate-limits authentication after failures, across connections: each failure
 * doubles the wait before the next proof is checked (from 100 ms up to 5 s); a
 * success resets it. A brute-forcer must reconnect after every wrong proof and
 * then wait, so guessing is hopeless even before the 512-bit MAC is considered.
 */
export class AuthThrottle {
  private failures = 0;
  private notBefore = 0;

  constructor(
    private readonly baseMs = 100,
    private readonly maxMs = 5000,
  ) {}

  /** Resolves when the next proof may be checked. */
  async wait(): Promise<void> {
    const delay = this.notBefore - Date.now();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  }

  failure(): void {
    this.failures++;
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** (this.failures - 1));
    this.notBefore = Date.now() + delay;
  }

  success(): void {
    this.failures = 0;
    this.notBefore = 0;
  }
}
