/**
 * Turns whatever a call to machinad failed with into a message for the page.
 *
 * The daemon's errors are structured (`kind`, `data.reason`, `data.file`, …),
 * so each kind gets a plain-words title and the daemon's own one-line
 * description. Anything else is a bug in the panel: the user sees a generic
 * line, the details (stack included) go to the panel's log only.
 */
import { MachinaError } from "@machina/client";
import type { Flash } from "./sessions.js";
import { logError } from "./log.js";
import { logLinesFrom } from "./log-view.js";

const TITLES: Record<string, string> = {
  "policy-denied": "Refused by the policy",
  conflict: "The file changed on disk meanwhile — nothing was written; reload and try again",
  augeas: "The configuration could not be changed",
  "not-found": "Not found",
  "backend-failed": "The system tool failed",
  timeout: "machinad did not finish in time",
  "limit-exceeded": "Too much at once for machinad — save or discard the pending changes, or ask for less",
  "invalid-params": "The daemon rejected the request",
  busy: "machinad is busy with another client — try again in a moment",
  connection: "Cannot reach machinad",
  "auth-failed": "machinad refused the panel's secret",
  unauthenticated: "Not authenticated to machinad",
  internal: "machinad failed internally (see its log)",
};

/**
 * A flash message describing `error`; `what` says what was being attempted.
 * A failed start, restart or reload of a service whose log the policy lets us
 * read carries the log's last lines (`data.log`): they are shown with it.
 */
export function refusalFlash(what: string, error: unknown): Flash {
  if (error instanceof MachinaError) {
    const log = logLinesFrom(error.data["log"]);
    return { type: "error", title: `${what}: ${TITLES[error.kind] ?? `refused (${error.kind})`}`, detail: error.describe(), ...(log ? { log } : {}) };
  }
  logError(`${what} failed`, error);
  return { type: "error", title: `${what}: the panel hit an unexpected error`, detail: "Details are in the panel's log." };
}
