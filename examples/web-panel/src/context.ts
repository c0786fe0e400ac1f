/** What every page handler gets: the request, its session, and the panel's shared parts. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DaemonLink } from "./daemon-link.js";
import type { Features } from "./features.js";
import type { Jobs } from "./jobs.js";
import type { LoginThrottle } from "./login-throttle.js";
import type { PasswordHash } from "./password.js";
import type { Session, SessionStore } from "./sessions.js";

export interface Panel {
  readonly link: DaemonLink;
  readonly features: Features;
  readonly jobs: Jobs;
  readonly auth: { readonly passwordHash: PasswordHash; readonly sessions: SessionStore; readonly throttle: LoginThrottle };
  /** Shown in the header: which machine this panel manages. */
  readonly title: string;
}

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly session: Session;
  /** The posted form (POST requests only; its CSRF token already checked). */
  readonly form: URLSearchParams;
  readonly panel: Panel;
}

export type Handler = (ctx: RequestContext) => Promise<void>;
