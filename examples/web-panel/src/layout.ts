/** The page shell: header, navigation, flash messages, and the bits every form needs. */
import { html, type SafeHtml } from "./html.js";
import type { FeatureSet } from "./features.js";
import { availablePages } from "./features.js";
import { logLinesView } from "./log-view.js";
import type { Flash, Session } from "./sessions.js";

export type PageName = "services" | "hosts" | "hostname" | "packages" | "confirm" | "login";

export interface PageOptions {
  title: string;
  active: PageName;
  session: Session;
  /** Unset when the daemon could not be reached (the page then shows only what it can). */
  features: FeatureSet | undefined;
  panelTitle: string;
  body: SafeHtml;
}

/** The hidden field that proves a form came from a page of this panel. */
export function csrfField(session: Session): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${session.csrf}">`;
}

/** A unified diff, line by line, coloured by what each line does. */
export function diffView(diffs: readonly { file: string; diff: string }[]): SafeHtml {
  return html`${diffs.map(
    ({ file, diff }) => html`<figure class="diff">
      <figcaption>${file}</figcaption>
      <pre>${diff
        .replace(/\n$/, "")
        .split("\n")
        .map((line) => {
          const cls = line.startsWith("+++") || line.startsWith("---") ? "meta" : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
          // Block spans, one per line: the line breaks come from the blocks, so copying keeps them.
          return html`<span class="${cls}">${line}</span>`;
        })}</pre>
    </figure>`,
  )}`;
}

export function flashView(flash: readonly Flash[]): SafeHtml {
  return html`${flash.map(
    (f) => html`<div class="flash flash-${f.type}" role="${f.type === "error" ? "alert" : "status"}">
      <strong>${f.title}</strong>${f.detail ? html`<p>${f.detail}</p>` : ""}${f.diffs?.length ? diffView(f.diffs) : ""}${
        f.log?.length ? html`<p class="log-caption">The last lines of its log:</p>${logLinesView(f.log)}` : ""
      }
    </div>`,
  )}`;
}

/** Takes the session's pending flash messages (each is shown once). */
export function takeFlash(session: Session): Flash[] {
  const flash = session.flash;
  session.flash = [];
  return flash;
}

function nav(active: PageName, features: FeatureSet | undefined): SafeHtml {
  const pages = features ? availablePages(features) : { services: false, hosts: false, hostname: false, packages: false };
  const link = (name: PageName, label: string, shown: boolean) =>
    shown ? html`<a href="/${name}" class="${active === name ? "active" : ""}" ${active === name ? html`aria-current="page"` : ""}>${label}</a>` : "";
  return html`<nav>
    ${link("services", "Services", pages.services)}${link("hosts", "Hosts", pages.hosts)}${link("hostname", "Hostname", pages.hostname)}${link(
      "packages",
      "Packages",
      pages.packages,
    )}
  </nav>`;
}

export function page(o: PageOptions): SafeHtml {
  const loggedIn = o.session.loggedIn;
  return html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${loggedIn ? o.session.csrf : ""}">
<title>${o.title} · ${o.panelTitle}</title>
<link rel="stylesheet" href="/static/panel.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<script src="/static/panel.js" defer></script>
</head>
<body class="page-${o.active}">
<header class="topbar">
  <div class="brand"><img class="logo" src="/favicon.svg" alt="" width="30" height="30"><span>${o.panelTitle}</span></div>
  ${loggedIn ? nav(o.active, o.features) : ""}
  ${loggedIn
    ? html`<form method="post" action="/logout" class="logout">${csrfField(o.session)}<button type="submit" class="btn btn-ghost">Log out</button></form>`
    : ""}
</header>
<main>
  <h1>${o.title}</h1>
  ${flashView(takeFlash(o.session))}
  ${o.body}
</main>
<footer>${!loggedIn ? "machina example panel" : o.features ? html`Connected to <code>${o.features.server}</code>` : "Not connected to machinad"} · every change goes through machinad's policy</footer>
</body>
</html>`;
}
