/**
 * Services: every service the policy names, with its live status, and the
 * buttons for the actions the policy allows on it. Each button is a form post
 * (so it works without JavaScript); panel.js refreshes the status column.
 *
 * Under a service whose log the policy lets the panel read (`log` among its
 * actions) is a drawer — a `<details>`, so it opens without JavaScript — with
 * the log's last lines and a "Newer lines" link that continues from where they
 * ended: the cursor the daemon answered goes through the link and back to
 * `service.log` unchanged (see `isLogCursor`). Where the daemon can tell
 * whether a service starts at boot (`status.enabled`) and the policy allows
 * changing it, an "Enable at boot" / "Disable at boot" button toggles it.
 */
import type { MachinaClient } from "@machina/client";
import type { RequestContext } from "../context.js";
import { html, type SafeHtml } from "../html.js";
import { redirect, sendJson } from "../http-io.js";
import { csrfField, flashView } from "../layout.js";
import { logLinesView } from "../log-view.js";
import { refusalFlash } from "../refusal.js";
import { showPage } from "../render.js";
import type { Flash } from "../sessions.js";
import {
  LOG_LINES,
  SERVICE_ACTIONS,
  isLogCursor,
  isPanelAction,
  listServices,
  readServiceLog,
  runServiceAction,
  type PanelAction,
  type ServiceAction,
  type ServiceEntry,
  type ServiceLog,
  type ServiceStatus,
} from "../service-calls.js";

const ACTION_LABELS: Record<PanelAction, string> = {
  start: "Start",
  stop: "Stop",
  restart: "Restart",
  reload: "Reload",
  enable: "Enable at boot",
  disable: "Disable at boot",
};
const PAST: Record<ServiceAction, string> = { start: "Started", stop: "Stopped", restart: "Restarted", reload: "Reloaded" };

/** What was attempted, for a message: "Restart demo-web", "Enable demo-web at boot". */
function attempt(action: PanelAction, name: string): string {
  return action === "enable" || action === "disable" ? `${action === "enable" ? "Enable" : "Disable"} ${name} at boot` : `${ACTION_LABELS[action]} ${name}`;
}

function badge(s: ServiceStatus): SafeHtml {
  return html`<span class="badge state-${s.state}" data-field="state">${s.state}${s.subState ? html` <small>(${s.subState})</small>` : ""}</span>`;
}

/** The first line of the init script's / systemd's words, which is what fits a table cell. */
function summary(s: ServiceStatus): string {
  return (s.detail ?? "").trim().split("\n")[0] ?? "";
}

/** Whether the policy allows `action` on this service (as service.list reports it) and the daemon offers the method. */
function allowed(entry: ServiceEntry, action: string, methods: ReadonlySet<string>): boolean {
  return entry.actions.includes(action) && methods.has(`service.${action}`);
}

function actionForm(ctx: RequestContext, name: string, action: PanelAction, cls: string): SafeHtml {
  return html`<form method="post" action="/services/action" class="inline">
        ${csrfField(ctx.session)}<input type="hidden" name="name" value="${name}"><input type="hidden" name="action" value="${action}">
        <button type="submit" class="btn ${cls}">${ACTION_LABELS[action]}</button>
      </form>`;
}

/** Whether the service starts at boot, when the daemon can tell (`enabled` is absent otherwise, and so is this). */
function bootLabel(s: ServiceStatus): SafeHtml | "" {
  if (s.enabled === undefined) return "";
  return html`<small class="boot ${s.enabled ? "boot-on" : "boot-off"}" data-field="boot">${s.enabled ? "starts at boot" : "not started at boot"}</small>`;
}

/**
 * The buttons of a row: the actions the policy allows on this service (as
 * service.list reports them) that make sense in its state, then the boot
 * toggle — only when the daemon can tell whether it starts at boot and the
 * policy allows the change. The daemon still checks each call; a refusal
 * shows up as a message.
 */
function row(ctx: RequestContext, entry: ServiceEntry, methods: ReadonlySet<string>): SafeHtml {
  const s = entry.status;
  const buttons = SERVICE_ACTIONS.filter((a) => allowed(entry, a, methods) && (a === "start" ? !s.active : a === "stop" ? s.active : true));
  const boot = s.enabled === undefined ? undefined : s.enabled ? "disable" : "enable";
  return html`<tr data-service="${s.name}">
    <th scope="row"><span class="svc-name">${s.name}</span>${bootLabel(s)}</th>
    <td>${badge(s)}</td>
    <td><code class="detail" data-field="detail" title="${s.detail ?? ""}">${summary(s)}</code></td>
    <td class="actions">${buttons.map((a) => actionForm(ctx, s.name, a, a === "restart" ? "btn-primary" : a === "stop" ? "btn-danger" : ""))}${
      boot && allowed(entry, boot, methods) ? actionForm(ctx, s.name, boot, "btn-boot") : ""
    }</td>
  </tr>`;
}

/** What one log drawer shows: the lines read, or why there are none. */
interface Drawer {
  readonly name: string;
  /** Opened by the URL (`?log=NAME`): the drawer the user is reading. */
  readonly open: boolean;
  /** The cursor these lines continue from; undefined for the last lines. */
  readonly after?: string;
  readonly log?: ServiceLog;
  readonly problems: readonly Flash[];
}

/** A fragment id for a service's drawer (service names may hold `@`, `:` and the like). */
function drawerId(name: string): string {
  return `log-${name.replace(/[^A-Za-z0-9_.-]/g, "-")}`;
}

function drawerHref(name: string, after?: string): string {
  const query = new URLSearchParams({ log: name, ...(after !== undefined ? { after } : {}) });
  return `/services?${query.toString()}#${drawerId(name)}`;
}

/**
 * Reads one drawer's lines. Only the drawer the URL names gets the URL's
 * cursor, and only if it has a cursor's shape; the daemon judges the rest.
 */
async function readDrawer(m: MachinaClient, name: string, wanted: { log: string | null; after: string | null }): Promise<Drawer> {
  const open = wanted.log === name;
  const problems: Flash[] = [];
  let after: string | undefined;
  if (open && wanted.after !== null) {
    if (isLogCursor(wanted.after)) after = wanted.after;
    else problems.push({ type: "error", title: "That link's log position is not valid", detail: "Showing the last lines instead." });
  }
  try {
    return { name, open, ...(after !== undefined ? { after } : {}), log: await readServiceLog(m, name, after), problems };
  } catch (error) {
    return { name, open, ...(after !== undefined ? { after } : {}), problems: [...problems, refusalFlash(`Reading the log of ${name}`, error)] };
  }
}

/** Where the lines come from, in words: a log file's path, or "the journal". */
function sourceName(source: string): string {
  return source === "journal" ? "the journal" : source;
}

function drawerView(d: Drawer): SafeHtml {
  const { log } = d;
  const source = log?.source;
  let text: SafeHtml;
  if (!log) text = html``;
  else if (d.after !== undefined) {
    text =
      log.lines.length === 0
        ? html`<p class="empty">No new lines since the last look.</p>`
        : html`<p class="muted">${log.lines.length === 1 ? "One line" : `${log.lines.length} lines`} logged since the last look${log.more ? " (more are waiting: Newer lines)" : ""}:</p>`;
  } else {
    text =
      log.lines.length === 0
        ? html`<p class="empty">The log is empty: ${d.name} has not written anything to ${sourceName(log.source)} yet.</p>`
        : html`<p class="muted">The last ${log.lines.length === 1 ? "line" : `${log.lines.length} lines`} of ${sourceName(log.source)}:</p>`;
  }
  // Continue from the cursor of this answer; an answer without one (an empty log) continues from where it
  // was. After a refusal there is nothing to continue from: the link reads the last lines again.
  const cursor = log ? (log.cursor ?? d.after) : undefined;
  return html`<tr class="log-row" data-log-for="${d.name}"><td colspan="4">
    <details class="log-drawer" id="${drawerId(d.name)}"${d.open ? html` open` : ""}>
      <summary>Log${source ? html` <small>${source}</small>` : ""}</summary>
      ${flashView(d.problems)}${text}${log && log.lines.length > 0 ? logLinesView(log.lines) : ""}
      <p class="log-links">
        <a class="btn" href="${drawerHref(d.name, cursor)}">${cursor !== undefined ? "Newer lines" : "Read again"}</a>
        ${d.after !== undefined || d.problems.length > 0 ? html`<a class="btn btn-plain" href="${drawerHref(d.name)}">Last ${LOG_LINES} lines</a>` : ""}
      </p>
    </details>
  </td></tr>`;
}

export async function showServices(ctx: RequestContext): Promise<void> {
  await showPage(ctx, { title: "Services", active: "services" }, async (features) => {
    if (!features.methods.has("service.list")) return html`<p class="empty">This daemon's policy allows no service control.</p>`;
    const wanted = { log: ctx.url.searchParams.get("log"), after: ctx.url.searchParams.get("after") };
    const { services, drawers } = await ctx.panel.link.use(async (m: MachinaClient) => {
      const services = await listServices(m);
      // One service.log per drawer, pipelined on the session; each drawer shows its own refusal.
      const withLog = services.filter((entry) => allowed(entry, "log", features.methods));
      const drawers = new Map((await Promise.all(withLog.map((entry) => readDrawer(m, entry.status.name, wanted)))).map((d) => [d.name, d]));
      return { services, drawers };
    });
    if (wanted.log !== null && !drawers.has(wanted.log)) {
      ctx.session.flash.push({ type: "error", title: `No log of ${wanted.log.slice(0, 256)} to show`, detail: "The policy lets the panel read no log of that service." });
    }
    return html`<section class="card">
      <p class="muted">The services the policy names. Status refreshes by itself every few seconds.</p>
      ${services.length === 0
        ? html`<p class="empty">The policy names no service that exists on this machine.</p>`
        : html`<table class="table services" data-live="/services/status.json">
        <thead><tr><th>Service</th><th>Status</th><th>Details</th><th class="actions">Actions</th></tr></thead>
        <tbody>${services.map((entry) => {
          const drawer = drawers.get(entry.status.name);
          return html`${row(ctx, entry, features.methods)}${drawer ? drawerView(drawer) : ""}`;
        })}</tbody>
      </table>`}
    </section>`;
  });
}

/** The status column's data, for panel.js. */
export async function servicesJson(ctx: RequestContext): Promise<void> {
  try {
    const services = await ctx.panel.link.use((m: MachinaClient) => listServices(m));
    sendJson(ctx.res, 200, { services: services.map(({ status: s }) => ({ name: s.name, state: s.state, subState: s.subState ?? null, active: s.active, detail: summary(s) })) });
  } catch (error) {
    const flash = refusalFlash("Reading service status", error);
    sendJson(ctx.res, 502, { error: { title: flash.title, detail: flash.detail ?? "" } });
  }
}

export async function postServiceAction(ctx: RequestContext): Promise<void> {
  const name = ctx.form.get("name") ?? "";
  const action = ctx.form.get("action") ?? "";
  if (!isPanelAction(action) || name === "") {
    ctx.session.flash.push({ type: "error", title: "Unknown service action" });
    return redirect(ctx.res, "/services");
  }
  try {
    const status = await ctx.panel.link.use((m: MachinaClient) => runServiceAction(m, action, name));
    const detail = summary(status);
    if (action === "enable" || action === "disable") {
      ctx.session.flash.push({ type: "ok", title: action === "enable" ? `${name} will start at boot` : `${name} will no longer start at boot` });
    } else {
      // The call succeeded, but a service that ends up failed deserves the red box.
      const failed = status.state === "failed";
      ctx.session.flash.push({
        type: failed ? "error" : "ok",
        title: failed ? `${PAST[action]} ${name}, but it is now failed` : `${PAST[action]} ${name}: ${status.state}`,
        ...(detail ? { detail } : {}),
      });
    }
  } catch (error) {
    ctx.session.flash.push(refusalFlash(attempt(action, name), error));
  }
  redirect(ctx.res, "/services");
}
