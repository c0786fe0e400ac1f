/**
 * Slows down password guessing: after a few wrong passwords from one address,
 * further attempts are refused until a delay (doubling up to a minute) has
 * passed. The scrypt cost already makes each guess slow; this bounds their number.
 */
const FREE_FAILURES = 3;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;
const MAX_TRACKED = 10_000;

interface Record {
  failures: number;
  notBefore: number;
}

export class LoginThrottle {
  readonly #byAddress = new Map<string, Record>();

  /** Milliseconds until `address` may try again (0: now). */
  waitFor(address: string, now = Date.now()): number {
    const r = this.#byAddress.get(address);
    return r ? Math.max(0, r.notBefore - now) : 0;
  }

  failed(address: string, now = Date.now()): void {
    if (this.#byAddress.size >= MAX_TRACKED) this.#byAddress.clear();
    const r = this.#byAddress.get(address) ?? { failures: 0, notBefore: 0 };
    r.failures++;
    const over = r.failures - FREE_FAILURES;
    r.notBefore = over > 0 ? now + Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (over - 1)) : 0;
    this.#byAddress.set(address, r);
  }

  succeeded(address: string): void {
    this.#byAddress.delete(address);
  }
}
