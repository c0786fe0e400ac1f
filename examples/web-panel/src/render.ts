/** Rendering a logged-in page: the shell plus a body, even when the daemon cannot be reached. */
import type { RequestContext } from "./context.js";
import type { FeatureSet } from "./features.js";
import { html, type SafeHtml } from "./html.js";
import { sendHtml } from "./http-io.js";
import { page, type PageName } from "./layout.js";
import { refusalFlash } from "./refusal.js";

/**
 * Sends a page. `body` gets the feature set; if reaching the daemon fails (for
 * the features or inside `body`), the page still renders, with the refusal
 * shown and `fallback` as its body.
 */
export async function showPage(
  ctx: RequestContext,
  options: { title: string; active: PageName; status?: number; fallback?: SafeHtml },
  body: (features: FeatureSet) => Promise<SafeHtml>,
): Promise<void> {
  let features: FeatureSet | undefined;
  let content: SafeHtml;
  try {
    features = await ctx.panel.features.get();
    content = await body(features);
  } catch (error) {
    ctx.session.flash.push(refusalFlash(`Loading ${options.title}`, error));
    content = options.fallback ?? html``;
  }
  sendHtml(
    ctx.res,
    options.status ?? 200,
    page({ title: options.title, active: options.active, session: ctx.session, features, panelTitle: ctx.panel.title, body: content }),
  );
}
