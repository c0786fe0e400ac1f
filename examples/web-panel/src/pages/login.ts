/** Logging in and out. One admin password; a wrong one is told apart from nothing else. */
import type { RequestContext } from "../context.js";
import { html } from "../html.js";
import { redirect, sendHtml } from "../http-io.js";
import { csrfField, page } from "../layout.js";
import { verifyPassword } from "../password.js";
import type { Flash } from "../sessions.js";

function loginPage(ctx: RequestContext, status: number, flash?: Flash): void {
  if (flash) ctx.session.flash.push(flash);
  const body = html`<section class="card login-card">
    <p class="muted">Sign in to manage this machine through machinad.</p>
    <form method="post" action="/login" class="stack">
      ${csrfField(ctx.session)}
      <label>Admin password
        <input type="password" name="password" autocomplete="current-password" required autofocus>
      </label>
      <button type="submit" class="btn btn-primary">Log in</button>
    </form>
  </section>`;
  sendHtml(ctx.res, status, page({ title: "Log in", active: "login", session: ctx.session, features: undefined, panelTitle: ctx.panel.title, body }));
}

export async function showLogin(ctx: RequestContext): Promise<void> {
  if (ctx.session.loggedIn) return redirect(ctx.res, "/");
  loginPage(ctx, 200);
}

export async function postLogin(ctx: RequestContext): Promise<void> {
  const { auth } = ctx.panel;
  const address = ctx.req.socket.remoteAddress ?? "unknown";
  const wait = auth.throttle.waitFor(address);
  if (wait > 0) {
    return loginPage(ctx, 429, { type: "error", title: "Too many wrong passwords", detail: `Try again in ${Math.ceil(wait / 1000)} seconds.` });
  }
  const password = ctx.form.get("password") ?? "";
  if (!(await verifyPassword(password, auth.passwordHash))) {
    auth.throttle.failed(address);
    return loginPage(ctx, 401, { type: "error", title: "Wrong password" });
  }
  auth.throttle.succeeded(address);
  const session = auth.sessions.rotate(ctx.session);
  session.loggedIn = true;
  ctx.res.setHeader("Set-Cookie", auth.sessions.cookie(session));
  redirect(ctx.res, "/");
}

export async function postLogout(ctx: RequestContext): Promise<void> {
  const { sessions } = ctx.panel.auth;
  const fresh = sessions.rotate(ctx.session);
  fresh.flash.push({ type: "ok", title: "Logged out" });
  ctx.res.setHeader("Set-Cookie", sessions.cookie(fresh));
  redirect(ctx.res, "/login");
}
