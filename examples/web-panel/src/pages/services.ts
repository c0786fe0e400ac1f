/**
 * Services: every service the policy names, with its live status, and the
 * buttons for the actions the policy allows on it. Each button is a form post
 * (so it works without JavaScript); panel.js refreshes the status column.
 */
import type { MachinaClient } from "@machina/client";
import type { RequestContext } from "../context.js";
import { html, type SafeHtml } from "../html.js";
import { redirect, sendJson } from "../http-io.js";
import { csrfField } from "../layout.js";
import { refusalFlash } from "../refusal.js";
import { showPage } from "../render.js";
import { SERVICE_ACTIONS, isServiceAction, listServices, runServiceAction, type ServiceAction, type ServiceEntry, type ServiceStatus } from "../service-calls.js";

const ACTION_LABELS: Record<ServiceAction, string> = { start: "Start", stop: "Stop", restart: "Restart", reload: "Reload" };
const PAST: Record<ServiceAction, string> = { start: "Started", stop: "Stopped", restart: "Restarted", reload: "Reloaded" };

function badge(s: ServiceStatus): SafeHtml {
  return html`<span class="badge state-${s.state}" data-field="state">${s.state}${s.subState ? html` <small>(${s.subState})</small>` : ""}</span>`;
}

/** The first line of the init script's / systemd's words, which is what fits a table cell. */
function summary(s: ServiceStatus): string {
  return (s.detail ?? "").trim().split("\n")[0] ?? "";
}

/**
 * The buttons of a row: the actions the policy allows on this service (as
 * service.list reports them) that make sense in its state. The daemon still
 * checks each call; a refusal shows up as a message.
 */
function row(ctx: RequestContext, entry: ServiceEntry, methods: ReadonlySet<string>): SafeHtml {
  const s = entry.status;
  const buttons = SERVICE_ACTIONS.filter(
    (a) => entry.actions.includes(a) && methods.has(`service.${a}`) && (a === "start" ? !s.active : a === "stop" ? s.active : true),
  );
  return html`<tr data-service="${s.name}">
    <th scope="row"><span class="svc-name">${s.name}</span></th>
    <td>${badge(s)}</td>
    <td><code class="detail" data-field="detail" title="${s.detail ?? ""}">${summary(s)}</code></td>
    <td class="actions">${buttons.map(
      (a) => html`<form method="post" action="/services/action" class="inline">
        ${csrfField(ctx.session)}<input type="hidden" name="name" value="${s.name}"><input type="hidden" name="action" value="${a}">
        <button type="submit" class="btn ${a === "restart" ? "btn-primary" : a === "stop" ? "btn-danger" : ""}">${ACTION_LABELS[a]}</button>
      </form>`,
    )}</td>
  </tr>`;
}

export async function showServices(ctx: RequestContext): Promise<void> {
  await showPage(ctx, { title: "Services", active: "services" }, async (features) => {
    if (!features.methods.has("service.list")) return html`<p class="empty">This daemon's policy allows no service control.</p>`;
    const services = await ctx.panel.link.use((m: MachinaClient) => listServices(m));
    return html`<section class="card">
      <p class="muted">The services the policy names. Status refreshes by itself every few seconds.</p>
      ${services.length === 0
        ? html`<p class="empty">The policy names no service that exists on this machine.</p>`
        : html`<table class="table services" data-live="/services/status.json">
        <thead><tr><th>Service</th><th>Status</th><th>Details</th><th class="actions">Actions</th></tr></thead>
        <tbody>${services.map((entry) => row(ctx, entry, features.methods))}</tbody>
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
  if (!isServiceAction(action) || name === "") {
    ctx.session.flash.push({ type: "error", title: "Unknown service action" });
    return redirect(ctx.res, "/services");
  }
  try {
    const status = await ctx.panel.link.use((m: MachinaClient) => runServiceAction(m, action, name));
    const detail = summary(status);
    // The call succeeded, but a service that ends up failed deserves the red box.
    const failed = status.state === "failed";
    ctx.session.flash.push({
      type: failed ? "error" : "ok",
      title: failed ? `${PAST[action]} ${name}, but it is now failed` : `${PAST[action]} ${name}: ${status.state}`,
      ...(detail ? { detail } : {}),
    });
  } catch (error) {
    ctx.session.flash.push(refusalFlash(`${ACTION_LABELS[action]} ${name}`, error));
  }
  redirect(ctx.res, "/services");
}
