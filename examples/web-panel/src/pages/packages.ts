/**
 * Packages: the packages the policy lets us install, their state, and an
 * Install button that runs apt through machinad with a live progress bar.
 * Shown only when the daemon offers `package.install` under its policy.
 */
import type { CallOptions, MachinaClient } from "@machina/client";
import type { RequestContext } from "../context.js";
import type { FeatureSet } from "../features.js";
import { html, type SafeHtml } from "../html.js";
import { redirect, sendJson } from "../http-io.js";
import { csrfField } from "../layout.js";
import { refusalFlash } from "../refusal.js";
import { showPage } from "../render.js";
import type { Job } from "../jobs.js";

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/** apt may take a while; the page shows progress meanwhile. */
const INSTALL_TIMEOUT_MS = 15 * 60_000;

interface PackageState {
  name: string;
  installed: string | null;
  candidate: string | null;
  state: string;
}

/** The exact names the policy's install list holds (patterns, if any, cannot be listed). */
function installable(features: FeatureSet, xPolicy: unknown): string[] {
  void features;
  const found = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > 3 || value === null || typeof value !== "object") return;
    for (const [key, v] of Object.entries(value)) {
      if (Array.isArray(v) && /install|packages|names/i.test(key)) for (const item of v) if (typeof item === "string" && PACKAGE_NAME.test(item)) found.add(item);
      else if (!Array.isArray(v)) visit(v, depth + 1);
    }
  };
  visit(xPolicy, 0);
  return [...found].sort();
}

async function packageStates(m: MachinaClient, names: readonly string[], canQuery: boolean): Promise<PackageState[]> {
  if (!canQuery) return names.map((name) => ({ name, installed: null, candidate: null, state: "unknown" }));
  return Promise.all(
    names.map(async (name) => {
      const r = await m.package.status({ name });
      return { name, installed: r.installed, candidate: r.candidate, state: String(r.state) };
    }),
  );
}

function progress(job: Job): SafeHtml {
  return html`<section class="card job" data-job="${job.id}" data-done="${job.done ? "yes" : "no"}">
    <h2>${job.title}</h2>
    ${job.percent === null ? html`<progress class="progress" max="100"></progress>` : html`<progress class="progress" max="100" value="${job.percent}"></progress>`}
    <p class="job-status"><span class="job-phase">${job.phase}</span> · <span class="job-message">${job.message}</span></p>
  </section>`;
}

export async function showPackages(ctx: RequestContext): Promise<void> {
  const job = ctx.panel.jobs.get(ctx.url.searchParams.get("job") ?? "");
  if (job?.done && job.outcome) ctx.session.flash.push(job.outcome);
  await showPage(ctx, { title: "Packages", active: "packages" }, async (features) => {
    if (!features.methods.has("package.install")) return html`<p class="empty">This daemon's policy allows no package installs.</p>`;
    const states = await ctx.panel.link.use(async (m) => {
      const doc = await m.discover();
      const names = installable(features, (doc.methods.find((entry) => entry.name === "package.install") as { "x-policy"?: unknown } | undefined)?.["x-policy"]);
      return packageStates(m, names, features.methods.has("package.status"));
    });
    return html`${job && !job.done ? progress(job) : ""}
    <section class="card">
      <p class="muted">Packages the policy lets this panel install. apt runs as root inside machinad; you see its progress here.</p>
      ${states.length === 0
        ? html`<p class="empty">The policy names no package by exact name.</p>`
        : html`<table class="table packages"><thead><tr><th>Package</th><th>Installed</th><th>Available</th><th class="actions">Actions</th></tr></thead>
        <tbody>${states.map(
          (p) => html`<tr data-package="${p.name}"><th scope="row">${p.name}</th><td>${p.installed ?? html`<span class="muted">not installed</span>`}</td><td>${p.candidate ?? "—"}</td>
            <td class="actions"><form method="post" action="/packages/install" class="inline">${csrfField(ctx.session)}<input type="hidden" name="name" value="${p.name}">
            <button type="submit" class="btn btn-primary" ${job && !job.done ? html`disabled` : ""}>${p.installed ? "Reinstall / upgrade" : "Install"}</button></form></td></tr>`,
        )}</tbody></table>`}
    </section>`;
  });
}

export async function postInstall(ctx: RequestContext): Promise<void> {
  const name = ctx.form.get("name") ?? "";
  if (!PACKAGE_NAME.test(name)) {
    ctx.session.flash.push({ type: "error", title: "Not a package name" });
    return redirect(ctx.res, "/packages");
  }
  const job = ctx.panel.jobs.start(`Installing ${name}`, async (update) => {
    try {
      update({ phase: "starting", message: "asking machinad" });
      const options: CallOptions = {
        timeoutMs: INSTALL_TIMEOUT_MS,
        onProgress: (p) => update({ percent: p.percent, phase: p.phase, message: p.message }),
      };
      await ctx.panel.link.use((m) => m.package.install({ name }, options));
      return { type: "ok", title: `Installed ${name}` };
    } catch (error) {
      return refusalFlash(`Installing ${name}`, error);
    }
  });
  redirect(ctx.res, `/packages?job=${encodeURIComponent(job.id)}`);
}

export async function jobJson(ctx: RequestContext): Promise<void> {
  const job = ctx.panel.jobs.get(ctx.url.searchParams.get("id") ?? "");
  if (!job) return sendJson(ctx.res, 404, { error: { title: "No such job" } });
  sendJson(ctx.res, 200, { done: job.done, percent: job.percent, phase: job.phase, message: job.message, outcome: job.outcome ?? null });
}
