/** Hostname: view it, and change it (previewed first, like every change). */
import type { RequestContext } from "../context.js";
import { html } from "../html.js";
import { csrfField } from "../layout.js";
import { showPage } from "../render.js";
import { isHostname } from "../hosts-entries.js";
import { previewChange } from "./confirm.js";
import { augeasValueText } from "@machina/client";

const HOSTNAME_PATH = "/files/etc/hostname/hostname";

async function hostnamePage(ctx: RequestContext, typed: string | undefined, status = 200): Promise<void> {
  await showPage(ctx, { title: "Hostname", active: "hostname", status }, async (features) => {
    const value = augeasValueText((await ctx.panel.link.use((m) => m.augeas.get({ path: HOSTNAME_PATH }))).value);
    const writable = features.writable.has("/etc/hostname");
    return html`<section class="card hostname-card">
      <p class="muted">This machine's name, from <code>/etc/hostname</code>.</p>
      <p class="big-value" id="current-hostname">${value ?? "(not set)"}</p>
      ${writable ? "" : html`<p class="note">The policy lists <code>/etc/hostname</code> as read-only; machinad will refuse a change.</p>`}
      <form method="post" action="/hostname" class="grid-form" id="hostname-form">
        ${csrfField(ctx.session)}
        <label>New hostname <input name="hostname" value="${typed ?? value ?? ""}" required autocomplete="off"></label>
        <button type="submit" class="btn btn-primary">Preview</button>
      </form>
    </section>`;
  });
}

export async function showHostname(ctx: RequestContext): Promise<void> {
  await hostnamePage(ctx, undefined);
}

export async function postHostname(ctx: RequestContext): Promise<void> {
  const name = (ctx.form.get("hostname") ?? "").trim();
  // A hostname is one label or a dotted name; no trailing dot in /etc/hostname.
  if (!isHostname(name) || name.endsWith(".")) {
    ctx.session.flash.push({ type: "error", title: "Please correct the hostname", detail: `“${name}” is not a valid host name` });
    return hostnamePage(ctx, name, 422);
  }
  await previewChange(ctx, { title: `Rename this machine to ${name}`, changes: [{ op: "set", path: HOSTNAME_PATH, value: name }], back: "/hostname" }, async (flash) => {
    ctx.session.flash.push(flash);
    await hostnamePage(ctx, name, 403);
  });
}
