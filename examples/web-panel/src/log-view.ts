/**
 * Log lines as the page shows them: a service's log drawer, and the last
 * lines a failed start / restart / reload carries. Every part of a line —
 * time, source, message — is the daemon's (and so, in the end, the service's)
 * text, so it goes through the `html` tag like everything else: escaped, never
 * markup.
 */
import { html, type SafeHtml } from "./html.js";
import type { ServiceLogLine } from "./service-calls.js";

/** syslog priorities, 0 (emerg) to 7 (debug), as words for a tooltip. */
const PRIORITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/** `2025-05-01T10:00:00.123Z` as `2025-05-01 10:00:00`: the journal's times, in UTC as the daemon gives them. */
function shortTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

function lineView(l: ServiceLogLine): SafeHtml {
  const priority = l.priority !== undefined ? PRIORITIES[l.priority] : undefined;
  const who = l.source !== undefined ? `${l.source}${l.pid !== undefined ? `[${l.pid}]` : ""}: ` : "";
  // One block span per line, like the diffs: copying keeps the line breaks.
  return html`<span class="log-line${l.priority !== undefined && l.priority <= 3 ? " log-error" : l.priority === 4 ? " log-warning" : ""}"${priority ? html` title="${priority}"` : ""}>${
    l.time !== undefined ? html`<time datetime="${l.time}">${shortTime(l.time)}</time> ` : ""
  }${who ? html`<span class="log-source">${who}</span>` : ""}<span class="log-message">${l.message}</span></span>`;
}

/** Lines, oldest first, in one scrollable block. */
export function logLinesView(lines: readonly ServiceLogLine[]): SafeHtml {
  return html`<pre class="log-lines">${lines.map(lineView)}</pre>`;
}

/**
 * The `data.log` of a failed call, when it is the list of lines the protocol
 * says (anything else is ignored: it is shown, never trusted to have a shape).
 */
export function logLinesFrom(value: unknown): ServiceLogLine[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const lines = value.flatMap((v): ServiceLogLine[] => {
    if (typeof v !== "object" || v === null) return [];
    const { message, time, priority, source, pid } = v as Record<string, unknown>;
    if (typeof message !== "string") return [];
    return [
      {
        message,
        ...(typeof time === "string" ? { time } : {}),
        ...(typeof priority === "number" && Number.isInteger(priority) ? { priority } : {}),
        ...(typeof source === "string" ? { source } : {}),
        ...(typeof pid === "number" && Number.isInteger(pid) ? { pid } : {}),
      },
    ];
  });
  return lines.length > 0 ? lines : undefined;
}
