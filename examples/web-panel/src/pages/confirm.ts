/**
 * Preview, then apply: a change is first sent with `preview: true` (the daemon
 * answers the unified diffs and writes nothing), shown to the user, and applied
 * only when they confirm — exactly the changes that were previewed, kept in
 * the session rather than round-tripped through the browser — and only to the
 * files as the user saw them: the confirmation form carries each file's tag
 * (the version the diff was made from), Apply sends them as `expect`, and a
 * file someone changed meanwhile is a `conflict` that writes nothing. The user
 * is then told so and shown a fresh preview of the same change.
 */
import { MachinaError, type AugeasChange } from "@machina/client";
import type { RequestContext } from "../context.js";
import { html } from "../html.js";
import { redirect } from "../http-io.js";
import { csrfField, diffView } from "../layout.js";
import { refusalFlash } from "../refusal.js";
import { showPage } from "../render.js";
import { randomToken, tokensEqual, type Flash } from "../sessions.js";

/** The confirmation form's field holding FILE's tag is this prefix and FILE. */
const TAG_FIELD = "tag:";

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
        ${csrfField(ctx.session)}<input type="hidden" name="change" value="${pending.id}">${pending.diffs.map(
          ({ file, tag }) => html`<input type="hidden" name="${TAG_FIELD}${file}" value="${tag}">`,
        )}
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
  // The versions the user saw, as the form carries them (the session's copy if a field is missing).
  const expect = Object.fromEntries(pending.diffs.map(({ file, tag }) => [file, ctx.form.get(`${TAG_FIELD}${file}`) || tag]));
  try {
    const result = await ctx.panel.link.use((m) => m.augeas.apply({ changes: pending.changes, expect }));
    ctx.session.flash.push(
      result.changed
        ? { type: "ok", title: `${pending.title}: saved ${result.files.join(", ")}`, diffs: result.changes }
        : { type: "ok", title: `${pending.title}: nothing to change, the files already say so` },
    );
  } catch (error) {
    if (error instanceof MachinaError && error.kind === "conflict") {
      const file = typeof error.data["file"] === "string" ? error.data["file"] : "a file";
      ctx.session.flash.push({
        type: "error",
        title: `Someone changed ${file} since you previewed it; review the new preview`,
        detail: "Nothing was written. Below is the same change against the file as it is now.",
      });
      // The panel's session may still hold the files as they were loaded: start from the disk again.
      try {
        await ctx.panel.link.use((m) => m.augeas.discard());
      } catch (discardError) {
        ctx.session.flash.push(refusalFlash(pending.title, discardError));
        return redirect(ctx.res, pending.back);
      }
      return previewChange(ctx, { title: pending.title, changes: pending.changes, back: pending.back });
    }
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
