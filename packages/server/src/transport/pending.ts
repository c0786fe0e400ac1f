/**
 * The connections waiting to authenticate. machinad serves one session, but
 * the slot is taken only by a connection that has proved the key; before
 * that, several connections may wait at once, so that a peer without the key
 * cannot keep the panel out by merely connecting. Their number is bounded —
 * `--max-pending` in all (16) and `--max-pending-per-uid` per peer uid (8) —
 * and each has the short `--auth-timeout` to authenticate.
 *
 * A bound alone would hand the panel's places to whoever fills them first: a
 * process running under the panel's own uid (the web server's user), key or
 * not, could hold all of that uid's places. So when a bound is reached, a
 * newcomer takes a place from the process (SO_PEERCRED pid) that holds the
 * most places in that bound's scope, if that process holds at least two more
 * than the newcomer's own (it gives up a place it held after a wrong proof
 * first, else its oldest). Otherwise the newcomer is refused `busy`. Hence:
 *
 * - a process that keeps at most one connection waiting (a client connecting
 *   and authenticating) is never evicted, and is admitted unless every place
 *   of its uid (or every place) is held by processes that hold one each — an
 *   attacker must run that many processes at once, not open connections;
 * - a greedy process only ever loses places to processes that hold fewer, so
 *   eviction cannot be turned against the one it protects.
 *
 * A connection that failed its proof keeps its place for a penalty
 * (session/auth-throttle.ts), which bounds how fast one uid can guess.
 * Peers whose pid we cannot see (another pid namespace: pid 0) count as one
 * process.
 */

export interface PendingPeer {
  readonly uid: number;
  readonly pid: number;
}

/** One place among the connections waiting to authenticate. */
export interface PendingPlace extends PendingPeer {
  /** When the connection was admitted (ms, the pool's clock). */
  readonly since: number;
}

export interface PendingLimits {
  /** Connections waiting to authenticate, in all. */
  maxPending: number;
  /** Connections of one uid waiting to authenticate. */
  maxPendingPerUid: number;
}

export type Admission =
  | { readonly admitted: true; readonly place: PendingPlace; readonly evicted?: PendingPeer }
  | { readonly admitted: false; readonly message: string };

class Place implements PendingPlace {
  /** Set once the place is held for a wrong proof's penalty (its connection is closing or gone). */
  heldUntil: number | undefined;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly uid: number,
    readonly pid: number,
    readonly since: number,
    /** Ends the connection of an evicted place (not called for held places: their connection is ending anyway). */
    readonly evict: (message: string) => void,
  ) {}
}

export class PendingConnections {
  /** Oldest first. */
  private readonly places: Place[] = [];

  constructor(
    readonly limits: PendingLimits,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limits.maxPending >= 1 && limits.maxPendingPerUid >= 1 && limits.maxPendingPerUid <= limits.maxPending)) {
      throw new RangeError(`pending-connection limits must satisfy 1 <= per uid (${limits.maxPendingPerUid}) <= in all (${limits.maxPending})`);
    }
  }

  /** Places taken, held ones included. */
  get size(): number {
    return this.places.length;
  }

  /** Places taken by `uid`, held ones included. */
  countFor(uid: number): number {
    return this.places.filter((p) => p.uid === uid).length;
  }

  /**
   * A place for a new connection from `peer`, or why there is none. When a
   * bound is reached and a process holding at least two places more than
   * `peer`'s has one to give, that place is taken from it: its connection is
   * ended through its `evict` callback with a message saying why.
   */
  admit(peer: PendingPeer, evict: (message: string) => void): Admission {
    const ofUid = this.places.filter((p) => p.uid === peer.uid);
    const scope = ofUid.length >= this.limits.maxPendingPerUid ? ofUid : this.places.length >= this.limits.maxPending ? this.places : undefined;
    let evicted: PendingPeer | undefined;
    if (scope) {
      const victim = this.victim(scope, peer.pid);
      if (!victim) {
        const message =
          scope === ofUid
            ? `${ofUid.length} connections of uid ${peer.uid} are already waiting to authenticate (at most ${this.limits.maxPendingPerUid}); try again shortly`
            : `${this.places.length} connections are already waiting to authenticate (at most ${this.limits.maxPending}); try again shortly`;
        return { admitted: false, message };
      }
      const held = scope.filter((p) => p.pid === victim.pid).length;
      this.remove(victim);
      evicted = { uid: victim.uid, pid: victim.pid };
      if (victim.heldUntil === undefined) {
        victim.evict(
          `busy: this process holds ${held} of the connections waiting to authenticate, and a process holding fewer needed a place; ` +
            "authenticate promptly, on fewer connections at once",
        );
      }
    }
    const place = new Place(peer.uid, peer.pid, this.now(), evict);
    this.places.push(place);
    return evicted ? { admitted: true, place, evicted } : { admitted: true, place };
  }

  /** The connection authenticated, or closed: its place is free (unless it is held: see hold). */
  release(place: PendingPlace): void {
    const p = place as Place;
    if (p.heldUntil === undefined) this.remove(p);
  }

  /**
   * The connection failed its proof (and is closing): its place stays taken
   * for `ms` from now, whenever the connection closes, still counted against
   * its uid and process (and the first one a fairer newcomer takes).
   */
  hold(place: PendingPlace, ms: number): void {
    const p = place as Place;
    if (!this.places.includes(p) || ms <= 0) return this.remove(p);
    p.heldUntil = this.now() + ms;
    clearTimeout(p.timer);
    p.timer = setTimeout(() => this.remove(p), ms);
    p.timer.unref();
  }

  /** Every place whose connection is still open (for a policy reload). */
  open(): PendingPlace[] {
    return this.places.filter((p) => p.heldUntil === undefined);
  }

  /** Forgets every place (at shutdown); connections are ended by their owners. */
  clear(): void {
    for (const p of this.places) clearTimeout(p.timer);
    this.places.length = 0;
  }

  /** The place to take for a newcomer of process `pid` within `scope`, or undefined when none may be taken. */
  private victim(scope: readonly Place[], pid: number): Place | undefined {
    const byPid = new Map<number, Place[]>();
    for (const p of scope) {
      const list = byPid.get(p.pid);
      if (list) list.push(p);
      else byPid.set(p.pid, [p]);
    }
    const mine = byPid.get(pid)?.length ?? 0;
    let greediest: Place[] | undefined;
    for (const list of byPid.values()) {
      // The most places; on a tie, the process whose oldest place is oldest (lists are oldest first).
      if (!greediest || list.length > greediest.length || (list.length === greediest.length && list[0]!.since < greediest[0]!.since)) greediest = list;
    }
    if (!greediest || greediest.length < mine + 2) return undefined;
    return greediest.find((p) => p.heldUntil !== undefined) ?? greediest[0];
  }

  private remove(p: Place): void {
    clearTimeout(p.timer);
    p.timer = undefined;
    const i = this.places.indexOf(p);
    if (i >= 0) this.places.splice(i, 1);
  }
}
