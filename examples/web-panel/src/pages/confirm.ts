/**
 * Preview, then apply: a change is first sent with `preview: true` (the daemon
 * answers the unified diffs and writes nothing), shown to the user, and applied
 * only when they confirm — exactly the changes that were previewed, kept in
 * the session rather than round-tripped through the browser.
 */
import type { AugeasChange } from "@machina/client";
import type { RequestContext } from "../context.js";
import { html } from "../html.js";
import { redirect } from "../http-io.js";
import { csrfField, diffView } from "../layout.js";
import { refusalFlash } from "../refusal.js";
import { showPage } from "../render.js";
import { randomToken, tokensEqual, type Flash } from "../sessions.js";

export interface ProposedChange {
  title: string;
  changes: AugeasChange[];
  /** The page to return to. */
  back: string;
}

/**
 * Previews `proposal` and sends the browser to the confirmation page. When the
 * daemon refuses even the preview, `onRefused` gets the message (default: back
 * to `proposal.back` with it).
 */
export async function previewChange(ctx: RequestContext, proposal: ProposedChange, onRefused?: (flash: Flash) => Promise<void>): Promise<void> {
  try {
    const { changes: diffs } = await ctx.panel.link.use((m) => m.augeas.apply({ changes: proposal.changes, preview: true }));
    if (diffs.length === 0) {
      ctx.session.flash.push({ type: "ok", title: `${proposal.title}: nothing to change` });
      return redirect(ctx.res, proposal.back);
    }
    ctx.session.pending = { id: randomToken(), title: proposal.title, changes: proposal.changes, diffs, back: proposal.back };
    redirect(ctx.res, "/confirm");
  } catch (error) {
    const flash = refusalFlash(proposal.title, error);
    if (onRefused) return onRefused(flash);
    ctx.session.flash.push(flash);
    redirect(ctx.res, proposal.back);
  }
}

export async function showConfirm(ctx: RequestContext): Promise<void> {
  const pending = ctx.session.pending;
  if (!pending) return redirect(ctx.res, "/");
  await showPage(ctx, { title: "Review the change", active: "confirm" }, async () => html`<section class="card">
    <h2>${pending.title}</h2>
    <p class="muted">Nothing has been written yet. This is the change machinad will make:</p>
    ${diffView(pending.diffs)}
    <div class="button-row">
      <form method="post" action="/confirm" class="inline">
        ${csrfField(ctx.session)}<input type="hidden" name="change" value="${pending.id}">
        <button type="submit" class="btn btn-primary" id="apply-change">Apply change</button>
      </form>
      <form method="post" action="/confirm/cancel" class="inline">
        ${csrfField(ctx.session)}<button type="submit" class="btn">Cancel</button>
      </form>
    </div>
  </section>`);
}

export async function postConfirm(ctx: RequestContext): Promise<void> {
  const pending = ctx.session.pending;
  if (!pending || !tokensEqual(ctx.form.get("change") ?? "", pending.id)) {
    ctx.session.flash.push({ type: "error", title: "That change is no longer pending", detail: "It was applied or cancelled already; nothing was written." });
    return redirect(ctx.res, pending?.back ?? "/");
  }
  ctx.session.pending = undefined;
  try {
    const result = await ctx.panel.link.use((m) => m.augeas.apply({ changes: pending.changes }));
    ctx.session.flash.push({ type: "ok", title: `${pending.title}: saved ${result.files.join(", ")}`, diffs: result.changes });
  } catch (error) {
    ctx.session.flash.push(refusalFlash(pending.title, error));
  }
  redirect(ctx.res, pending.back);
}

export async function postCancel(ctx: RequestContext): Promise<void> {
  const back = ctx.session.pending?.back ?? "/";
  if (ctx.session.pending) ctx.session.flash.push({ type: "ok", title: `${ctx.session.pending.title}: cancelled, nothing written` });
  ctx.session.pending = undefined;
  redirect(ctx.res, back);
}
