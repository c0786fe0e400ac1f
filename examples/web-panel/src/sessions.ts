/**
 * Browser sessions, in memory: a random id in an `HttpOnly; SameSite=Strict`
 * cookie, and per session a CSRF token that every form carries back.
 *
 * Every visitor gets a session (logged out at first) so that the login form
 * has a CSRF token too; logging in replaces the session id, so an id planted
 * before login (session fixation) is worthless after it.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AugeasChange } from "@machina/client";
import type { ServiceLogLine } from "./service-calls.js";

export const SESSION_COOKIE = "machina_panel";
/** A session unused this long is forgotten. */
const IDLE_MS = 30 * 60_000;
/** …and any session this old. */
const MAX_AGE_MS = 12 * 3600_000;
/** Cap on sessions held, so anonymous visitors cannot grow memory without bound. */
const MAX_SESSIONS = 10_000;

export interface Flash {
  readonly type: "ok" | "error";
  readonly title: string;
  readonly detail?: string;
  /** Unified diffs to show with the message (what a save changed). */
  readonly diffs?: readonly { file: string; diff: string }[];
  /** The last lines of a service's log (what a failed start / restart / reload carries). */
  readonly log?: readonly ServiceLogLine[];
}

/** A change previewed and waiting for the user's confirmation; applied exactly as previewed. */
export interface PendingChange {
  readonly id: string;
  readonly title: string;
  readonly changes: AugeasChange[];
  /** Each file's diff, and the tag of the version on disk it was made from (what Apply expects). */
  readonly diffs: readonly { file: string; diff: string; tag: string }[];
  /** Where to go after applying or cancelling. */
  readonly back: string;
}

export interface Session {
  readonly id: string;
  readonly csrf: string;
  readonly created: number;
  lastSeen: number;
  loggedIn: boolean;
  flash: Flash[];
  pending: PendingChange | undefined;
}

export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Constant-time equality of two tokens (different lengths are simply unequal). */
export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly secureCookie: boolean) {}

  /** The request's live session, or a new one (the caller sets its cookie). */
  resolve(req: IncomingMessage, now = Date.now()): { session: Session; isNew: boolean } {
    const id = cookieValue(req, SESSION_COOKIE);
    const existing = id === undefined ? undefined : this.#sessions.get(id);
    if (existing && now - existing.lastSeen < IDLE_MS && now - existing.created < MAX_AGE_MS) {
      existing.lastSeen = now;
      return { session: existing, isNew: false };
    }
    if (existing) this.#sessions.delete(existing.id);
    return { session: this.#create(now), isNew: true };
  }

  /** Replaces a session by a fresh one (new id and CSRF token), keeping nothing but what the caller copies. */
  rotate(old: Session, now = Date.now()): Session {
    this.#sessions.delete(old.id);
    return this.#create(now);
  }

  destroy(session: Session): void {
    this.#sessions.delete(session.id);
  }

  /** The Set-Cookie header value for a session. */
  cookie(session: Session): string {
    return `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Strict${this.secureCookie ? "; Secure" : ""}`;
  }

  #create(now: number): Session {
    if (this.#sessions.size >= MAX_SESSIONS) this.#sweep(now);
    const session: Session = { id: randomToken(), csrf: randomToken(), created: now, lastSeen: now, loggedIn: false, flash: [], pending: undefined };
    this.#sessions.set(session.id, session);
    return session;
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) if (now - s.lastSeen >= IDLE_MS || now - s.created >= MAX_AGE_MS) this.#sessions.delete(id);
    // Still full: drop the oldest anonymous sessions before any logged-in one.
    if (this.#sessions.size >= MAX_SESSIONS) {
      for (const [id, s] of this.#sessions) {
        if (!s.loggedIn) this.#sessions.delete(id);
        if (this.#sessions.size < MAX_SESSIONS / 2) break;
      }
    }
  }
}
