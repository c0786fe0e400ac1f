/**
 * Progress of a long call. While `package.install`, `package.remove`,
 * `package.update` or `command.run` works, the daemon sends JSON-RPC
 * notifications (no `id` of their own) on the session, each naming the call it
 * belongs to, strictly before that call's response:
 *
 * ```json
 * {"jsonrpc":"2.0","method":"progress","params":{"id":7,"phase":"dpkg","percent":40,"message":"Installing hello (amd64)"}}
 * ```
 *
 * Progress is advisory: a client may ignore it, notifications may be merged or
 * skipped (identical consecutive updates are not repeated), and `percent` is
 * the backend's own estimate (apt's `APT::Status-Fd` percentages restart for
 * each phase). The final response is the only statement of the outcome.
 */
import { Type, type Static } from "@sinclair/typebox";

/** The notification's method name. */
export const PROGRESS_METHOD = "progress";

/**
 * The phases a backend reports. A newer daemon may add phases; show unknown
 * ones by their message.
 *
 * - `download`: apt is fetching packages or package lists (`dlstatus`).
 * - `dpkg`: dpkg is unpacking, configuring or removing (`pmstatus`).
 * - `error`: dpkg reported an error for one package (`pmerror`); the call will fail.
 * - `conffile`: dpkg met a changed configuration file (`pmconffile`); the old one is kept.
 * - `running`: a `command.run` process has started.
 */
export const PROGRESS_PHASES = ["download", "dpkg", "error", "conffile", "running"] as const;

/** What a handler reports: everything but the call id. */
export const ProgressUpdate = Type.Object({
  phase: Type.String({ description: "What the backend is doing: one of `download`, `dpkg`, `error`, `conffile`, `running` (more may come)." }),
  percent: Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()], {
    description: "How far the phase is, 0–100, or null when the backend does not say.",
  }),
  message: Type.String({ description: "The backend's own words, e.g. `Unpacking hello (amd64)`; for display, not for parsing." }),
});
export type ProgressUpdate = Static<typeof ProgressUpdate>;

/** The params of a `progress` notification. */
export const ProgressParams = Type.Object({
  id: Type.Union([Type.String(), Type.Number()], { description: "The id of the request this progress belongs to." }),
  phase: ProgressUpdate.properties.phase,
  percent: ProgressUpdate.properties.percent,
  message: ProgressUpdate.properties.message,
});
export type ProgressParams = Static<typeof ProgressParams>;
