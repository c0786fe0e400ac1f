/** Hosts: the /etc/hosts entries in a table; add, edit and delete, each previewed as a diff first. */
import type { RequestContext } from "../context.js";
import { html, type SafeHtml } from "../html.js";
import { redirect } from "../http-io.js";
import { csrfField } from "../layout.js";
import { refusalFlash } from "../refusal.js";
import { showPage } from "../render.js";
import type { Flash } from "../sessions.js";
import {
  ENTRY_LABEL,
  addEntryChanges,
  checkHostForm,
  deleteEntryChanges,
  editEntryChanges,
  readEntry,
  readHosts,
  type HostEntry,
  type HostForm,
} from "../hosts-entries.js";
import { previewChange } from "./confirm.js";

function formFields(form: HostForm): SafeHtml {
  return html`<label>IP address <input name="ipaddr" value="${form.ipaddr}" required placeholder="192.168.1.20" autocomplete="off"></label>
    <label>Host name <input name="canonical" value="${form.canonical}" required placeholder="printer.lan" autocomplete="off"></label>
    <label>Aliases <input name="aliases" value="${form.aliases}" placeholder="printer (separate with spaces)" autocomplete="off"></label>`;
}

function table(ctx: RequestContext, entries: readonly HostEntry[]): SafeHtml {
  if (entries.length === 0) return html`<p class="empty">/etc/hosts has no entries.</p>`;
  return html`<table class="table hosts">
    <thead><tr><th>IP address</th><th>Host name</th><th>Aliases</th><th class="actions">Actions</th></tr></thead>
    <tbody>${entries.map(
      (e) => html`<tr data-entry="${e.label}">
        <td><code>${e.ipaddr}</code></td>
        <td>${e.canonical}</td>
        <td>${e.aliases.map((a) => html`<span class="chip">${a}</span>`)}</td>
        <td class="actions">
          <a class="btn" href="/hosts/edit?entry=${e.label}">Edit</a>
          <form method="post" action="/hosts/delete" class="inline">
            ${csrfField(ctx.session)}<input type="hidden" name="entry" value="${e.label}">
            <button type="submit" class="btn btn-danger">Delete</button>
          </form>
        </td>
      </tr>`,
    )}</tbody>
  </table>`;
}

async function hostsPage(ctx: RequestContext, addForm: HostForm, status = 200): Promise<void> {
  await showPage(ctx, { title: "Hosts", active: "hosts", status }, async () => {
    const entries = await ctx.panel.link.use((m) => readHosts(m));
    return html`<section class="card">
      <p class="muted">Static host names from <code>/etc/hosts</code>. Every change is shown as a diff before anything is written.</p>
      ${table(ctx, entries)}
    </section>
    <section class="card">
      <h2>Add an entry</h2>
      <form method="post" action="/hosts/add" class="grid-form" id="add-host">
        ${csrfField(ctx.session)}${formFields(addForm)}
        <button type="submit" class="btn btn-primary">Preview</button>
      </form>
    </section>`;
  });
}

function formFrom(params: URLSearchParams): HostForm {
  const field = (name: string) => (params.get(name) ?? "").trim();
  return { ipaddr: field("ipaddr"), canonical: field("canonical"), aliases: field("aliases") };
}

export async function showHosts(ctx: RequestContext): Promise<void> {
  await hostsPage(ctx, { ipaddr: "", canonical: "", aliases: "" });
}

export async function postAddHost(ctx: RequestContext): Promise<void> {
  const form = formFrom(ctx.form);
  const problems = checkHostForm(form);
  if (problems.length > 0) {
    ctx.session.flash.push({ type: "error", title: "Please correct the entry", detail: problems.join("; ") });
    return hostsPage(ctx, form, 422);
  }
  let entries: HostEntry[];
  try {
    entries = await ctx.panel.link.use((m) => readHosts(m));
  } catch (error) {
    ctx.session.flash.push(refusalFlash("Reading /etc/hosts", error));
    return hostsPage(ctx, form, 502);
  }
  await previewChange(ctx, { title: `Add ${form.canonical} (${form.ipaddr})`, changes: addEntryChanges(entries, form), back: "/hosts" }, async (flash) => {
    ctx.session.flash.push(flash);
    await hostsPage(ctx, form, 403);
  });
}

async function editPage(ctx: RequestContext, label: string, form: HostForm | undefined, status = 200): Promise<void> {
  await showPage(ctx, { title: "Edit hosts entry", active: "hosts", status }, async () => {
    const entry = await ctx.panel.link.use((m) => readEntry(m, label));
    const shown = form ?? { ipaddr: entry.ipaddr, canonical: entry.canonical, aliases: entry.aliases.join(" ") };
    return html`<section class="card">
      <p class="muted">Entry ${label}: <code>${entry.ipaddr}</code> ${entry.canonical} ${entry.aliases.join(" ")}</p>
      <form method="post" action="/hosts/edit" class="grid-form" id="edit-host">
        ${csrfField(ctx.session)}<input type="hidden" name="entry" value="${label}">${formFields(shown)}
        <button type="submit" class="btn btn-primary">Preview</button>
      </form>
      <p><a href="/hosts">← Back to all entries</a></p>
    </section>`;
  });
}

function entryLabel(ctx: RequestContext, value: string | null): string | undefined {
  if (value !== null && ENTRY_LABEL.test(value)) return value;
  ctx.session.flash.push({ type: "error", title: "No such hosts entry" });
  redirect(ctx.res, "/hosts");
  return undefined;
}

export async function showEditHost(ctx: RequestContext): Promise<void> {
  const label = entryLabel(ctx, ctx.url.searchParams.get("entry"));
  if (label) await editPage(ctx, label, undefined);
}

export async function postEditHost(ctx: RequestContext): Promise<void> {
  const label = entryLabel(ctx, ctx.form.get("entry"));
  if (!label) return;
  const form = formFrom(ctx.form);
  const problems = checkHostForm(form);
  if (problems.length > 0) {
    ctx.session.flash.push({ type: "error", title: "Please correct the entry", detail: problems.join("; ") });
    return editPage(ctx, label, form, 422);
  }
  const refused = async (flash: Flash): Promise<void> => {
    ctx.session.flash.push(flash);
    await editPage(ctx, label, form, 403);
  };
  let entry: HostEntry;
  try {
    entry = await ctx.panel.link.use((m) => readEntry(m, label));
  } catch (error) {
    return refused(refusalFlash(`Reading hosts entry ${label}`, error));
  }
  const changes = editEntryChanges(entry, form);
  if (changes.length === 0) {
    ctx.session.flash.push({ type: "ok", title: `${entry.canonical}: nothing to change` });
    return redirect(ctx.res, "/hosts");
  }
  await previewChange(ctx, { title: `Edit ${entry.canonical} (${entry.ipaddr})`, changes, back: "/hosts" }, refused);
}

export async function postDeleteHost(ctx: RequestContext): Promise<void> {
  const label = entryLabel(ctx, ctx.form.get("entry"));
  if (!label) return;
  let entry: HostEntry;
  try {
    entry = await ctx.panel.link.use((m) => readEntry(m, label));
  } catch (error) {
    ctx.session.flash.push(refusalFlash(`Reading hosts entry ${label}`, error));
    return redirect(ctx.res, "/hosts");
  }
  await previewChange(ctx, { title: `Delete ${entry.canonical} (${entry.ipaddr})`, changes: deleteEntryChanges(entry), back: "/hosts" });
}
