/**
 * The HTTP server: static files, the Host check, the login gate, the CSRF
 * check on every POST, then the page handlers. An error a handler did not
 * expect becomes a plain "something went wrong" page; its details go to the
 * log only.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Panel, RequestContext } from "./context.js";
import { html } from "./html.js";
import { HttpError, readForm, redirect, sendHtml, sendJson, sendStatic } from "./http-io.js";
import { page } from "./layout.js";
import { logError } from "./log.js";
import { ROUTES } from "./routes.js";
import { tokensEqual, type Session } from "./sessions.js";

const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../public");
/** The static files, read once: a fixed list, so no request path ever reaches the filesystem. */
const STATIC: ReadonlyMap<string, { type: string; body: Buffer }> = new Map([
  ["/static/panel.css", { type: "text/css; charset=utf-8", body: fs.readFileSync(path.join(PUBLIC_DIR, "panel.css")) }],
  ["/static/panel.js", { type: "text/javascript; charset=utf-8", body: fs.readFileSync(path.join(PUBLIC_DIR, "panel.js")) }],
  ["/favicon.svg", { type: "image/svg+xml", body: fs.readFileSync(path.join(PUBLIC_DIR, "favicon.svg")) }],
]);

export interface ServerOptions {
  panel: Panel;
  /**
   * Host names (without port) the panel answers to. A request naming another
   * host is refused, which defeats DNS rebinding against a panel on 127.0.0.1.
   * Empty: any host.
   */
  allowedHosts: readonly string[];
}

function errorPage(res: http.ServerResponse, session: Session | undefined, panel: Panel, status: number, title: string, detail: string): void {
  const body = html`<section class="card"><p>${detail}</p><p><a href="/">Back to the panel</a></p></section>`;
  const shell = session ?? { id: "", csrf: "", created: 0, lastSeen: 0, loggedIn: false, flash: [], pending: undefined };
  sendHtml(res, status, page({ title, active: "login", session: shell, features: undefined, panelTitle: panel.title, body }));
}

function hostAllowed(req: http.IncomingMessage, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const host = req.headers.host ?? "";
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  return allowed.includes(name.toLowerCase());
}

/** A POST's Origin, when the browser sends one, must be this panel. */
function originAllowed(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function createServer(options: ServerOptions): http.Server {
  const { panel } = options;
  return http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      logError(`${req.method} ${req.url} failed`, error);
      if (!res.headersSent) errorPage(res, undefined, panel, 500, "Something went wrong", "The panel hit an unexpected error. Details are in its log.");
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!hostAllowed(req, options.allowedHosts)) {
      res.writeHead(421, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("This panel does not answer to that host name.\n");
      return;
    }
    const url = new URL(req.url ?? "/", "http://panel.invalid");
    const file = req.method === "GET" ? STATIC.get(url.pathname) : undefined;
    if (file) return sendStatic(res, file.type, file.body);

    const { session, isNew } = panel.auth.sessions.resolve(req);
    if (isNew) res.setHeader("Set-Cookie", panel.auth.sessions.cookie(session));

    if (req.method === "GET" && url.pathname === "/") return redirect(res, session.loggedIn ? "/services" : "/login");
    const route = ROUTES.find((r) => r.path === url.pathname && r.method === req.method);
    if (!route) {
      const known = ROUTES.some((r) => r.path === url.pathname);
      return errorPage(res, session, panel, known ? 405 : 404, known ? "Method not allowed" : "Not found", known ? "That page does not accept this kind of request." : "There is no such page.");
    }
    if (!route.public && !session.loggedIn) {
      if (route.json) return sendJson(res, 401, { error: { title: "Not logged in" } });
      if (req.method === "POST") session.flash.push({ type: "error", title: "Your session has ended; please log in again" });
      return redirect(res, "/login");
    }

    let form = new URLSearchParams();
    if (req.method === "POST") {
      try {
        form = await readForm(req);
      } catch (error) {
        if (error instanceof HttpError) return errorPage(res, session, panel, error.status, "Bad request", error.message);
        throw error;
      }
      if (!originAllowed(req) || !tokensEqual(form.get("_csrf") ?? "", session.csrf)) {
        return errorPage(res, session, panel, 403, "Form check failed", "This form did not come from this panel, or it has expired (CSRF check failed). Nothing was changed; reload the page and try again.");
      }
    }
    const ctx: RequestContext = { req, res, url, session, form, panel };
    await route.handler(ctx);
  }
}
