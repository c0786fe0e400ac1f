/**
 * The failed-proof throttle: per peer uid and per connection, never global.
 *
 * A wrong proof is answered `auth-failed` at once and its connection closed
 * (one proof per connection); the throttle then says for how long that
 * connection keeps its place among the connections waiting to authenticate
 * (transport/pending.ts) — 100 ms after its uid's first failure, doubling
 * with each further failure of that uid up to 5 s, back to 100 ms after a
 * minute without one. A uid's places are bounded, so its guesses are too: at
 * most `--max-pending-per-uid` per penalty (8 per 5 s by default), on top of a
 * 256-bit key and a 512-bit MAC that make guessing hopeless anyway.
 *
 * Why not a wait before checking the next proof, as before? That wait was
 * global: any process [clients] admitted could keep it at 5 s with one wrong
 * proof every few seconds, so the panel's right proof waited past its
 * pre-authentication deadline, every time. Keyed per uid it would still lock
 * the panel out whenever the attacker runs under the panel's own uid (another
 * process of the web server's user). So nothing here delays a proof: a right
 * proof is checked and answered at once whatever happened before, and a wrong
 * one costs its own connection's place, which only its own process and uid
 * pay for (and which a process holding fewer places may take back: see
 * pending.ts). The uid only sets how long the penalty is. A success does not
 * reset it: an attacker sharing the panel's uid would otherwise get a fresh
 * 100 ms after every login of the panel.
 *
 * Holding the place — rather than delaying the answer — is what bounds the
 * guessing: a right proof is answered at once, so a guesser that hears nothing
 * within a round trip knows it was wrong, hangs up and tries again; a delayed
 * answer would slow down only the honest ones.
 */
export const AUTH_PENALTY_BASE_MS = 100;
export const AUTH_PENALTY_MAX_MS = 5000;
/** A uid's failures are forgotten after this long without one. */
export const AUTH_PENALTY_QUIET_MS = 60_000;
/** Most uids remembered at once (the oldest is forgotten first). */
const MAX_UIDS = 1024;

export class AuthThrottle {
  private readonly failures = new Map<number, { count: number; last: number }>();

  constructor(
    private readonly baseMs = AUTH_PENALTY_BASE_MS,
    private readonly maxMs = AUTH_PENALTY_MAX_MS,
    private readonly quietMs = AUTH_PENALTY_QUIET_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a wrong proof from `uid`; answers the penalty (ms) its connection's place is held for. */
  failure(uid: number): number {
    const now = this.now();
    const previous = this.failures.get(uid);
    const count = previous && now - previous.last < this.quietMs ? previous.count + 1 : 1;
    // Re-inserted, so the map's order is the order of the latest failures.
    this.failures.delete(uid);
    this.failures.set(uid, { count, last: now });
    if (this.failures.size > MAX_UIDS) this.failures.delete(this.failures.keys().next().value!);
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(count - 1, 30));
  }

  /** The penalty the next wrong proof from `uid` would get (for tests and logs). */
  nextPenalty(uid: number): number {
    const previous = this.failures.get(uid);
    const count = previous && this.now() - previous.last < this.quietMs ? previous.count + 1 : 1;
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(count - 1, 30));
  }
}
