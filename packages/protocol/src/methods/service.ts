/**
 * The service vocabulary (`service.*`): the status of system services and the
 * five things a panel may do to one — `status`, `start`, `stop`, `restart`,
 * `reload` — each under the policy's `[[service]]` entries, plus `service.list`.
 *
 * The daemon drives services through one backend, chosen at start-up
 * (`machinad --service-backend auto|initd|systemd`):
 *
 * - `systemd`: over D-Bus (`org.freedesktop.systemd1.Manager`), jobs queued with
 *   mode `replace` and awaited until systemd reports them finished. A name
 *   without a unit suffix gets `.service` (`nginx` is `nginx.service`), and the
 *   policy sees that full unit name.
 * - `initd`: runs `/etc/init.d/NAME ACTION` with an argument vector, no shell, a
 *   cleared environment, a timeout and an output cap. The script must be a
 *   regular file owned by root and not writable by group or others. LSB exit
 *   codes are mapped to the status model; the script's output is `detail`.
 *
 * A `[[service]]` entry may name another backend with `backend = "supervisor"`:
 * supervisord's programs, over its XML-RPC interface on its Unix socket
 * (`machinad --supervisor-socket`), named `program` or `group:program`. The
 * entries that match a name decide its backend; a name entries of two backends
 * match is refused (`policy-denied`). An entry's `test` (an argument vector,
 * e.g. `["/usr/sbin/nginx", "-t"]`) runs before every reload or restart; if it
 * fails, nothing is done and the call is `validation-failed` with its output.
 *
 * Every name is validated before any filesystem or process call (systemd's
 * unit-name rules, or a strict init-script name pattern): `../x`, absolute
 * paths, a leading `-` and the like are refused with `invalid-params`. A valid
 * name the policy does not list for the action is refused with `policy-denied`.
 *
 * Errors of every `service.*` method:
 * - `invalid-params`: the name is not a valid service name for the backend;
 * - `policy-denied`: the policy does not allow this action on this service, or
 *   the init script is unsafe to run (not a root-owned regular file, or
 *   writable by group or others);
 * - `not-found`: no such service (no init script, or systemd knows no such unit);
 * - `backend-failed`: the script exited with an error, or the systemd job did not
 *   finish `done`; `data.detail` holds the script's output or the job result,
 *   `data.exitCode` the script's exit status, `data.retryable` whether trying
 *   again may help (e.g. D-Bus unreachable);
 * - `timeout`: the script or job did not finish within the daemon's call
 *   timeout (a script is then killed with its whole process group);
 * - `validation-failed` (reload, restart): the entry's configuration test
 *   failed; `data.output` is its output, `data.exitCode` its exit status.
 */
import { Type, type Static } from "@sinclair/typebox";
import { defineMethod } from "../method-spec.js";

/** A service as the client names it. Validated strictly by the daemon for its backend. */
export const ServiceName = Type.String({
  description:
    "A service name: a systemd unit name (`nginx`, `nginx.service`, `example@0042.service`; no suffix means " +
    "`.service`), an init script's name (`nginx`) or a supervisord program (`uwsgi`, `group:program`). Never a path.",
  minLength: 1,
  maxLength: 256,
});

/** The state of a service, in systemd's words; init scripts' LSB exit codes are mapped onto them. */
export const ServiceState = Type.Union(
  [
    Type.Literal("active"),
    Type.Literal("inactive"),
    Type.Literal("failed"),
    Type.Literal("activating"),
    Type.Literal("deactivating"),
    Type.Literal("reloading"),
    Type.Literal("unknown"),
  ],
  {
    description:
      "`active`: running (LSB status 0); `inactive`: not running (LSB 3); `failed`: dead although it should run " +
      "(LSB 1 or 2, or systemd's `failed`); `activating` / `deactivating` / `reloading`: a transition in progress " +
      "(systemd only); `unknown`: the status cannot be told (LSB 4, a script without `status`, no such service in " +
      "`service.list`).",
  },
);
export type ServiceState = Static<typeof ServiceState>;

/** The status model every `service.*` method answers. */
export const ServiceStatus = Type.Object(
  {
    name: Type.String({ description: "The service's canonical name: the full unit name for systemd (`nginx.service`), the script name for init scripts." }),
    active: Type.Boolean({ description: "True when the service is running (`active` or `reloading`)." }),
    state: ServiceState,
    subState: Type.Optional(
      Type.String({ description: "systemd's SubState (`running`, `dead`, `exited`, …) or supervisord's state name (`RUNNING`, `BACKOFF`, `FATAL`, …); absent for init scripts." }),
    ),
    detail: Type.Optional(
      Type.String({ description: "Human-readable detail: the init script's output (capped), or what systemd said (e.g. a unit that is not found)." }),
    ),
    since: Type.Optional(Type.String({ description: "When the service entered its current state (ISO 8601, UTC); systemd and supervisord." })),
    backend: Type.Optional(
      Type.Union([Type.Literal("initd"), Type.Literal("systemd"), Type.Literal("supervisor")], {
        description: "The backend that controls this service: the daemon's own (`initd` or `systemd`), or `supervisor` for a `[[service]]` entry naming it.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type ServiceStatus = Static<typeof ServiceStatus>;

/** The five things that may be done to a service, in the order listings show them. */
export const SERVICE_ACTIONS = ["status", "start", "stop", "restart", "reload"] as const;

/** What may be done to a service, as the policy's `actions` names it. */
export const ServiceAction = Type.Union(
  SERVICE_ACTIONS.map((a) => Type.Literal(a)),
  { description: "An action of `[[service]] actions`." },
);
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/** One entry of `service.list`: the status, and what the policy allows on that service. */
export const ServiceListEntry = Type.Object(
  {
    status: ServiceStatus,
    actions: Type.Array(ServiceAction, { description: "The actions the policy allows on this service." }),
  },
  { additionalProperties: false },
);
export type ServiceListEntry = Static<typeof ServiceListEntry>;

const NameParams = Type.Object({ name: ServiceName }, { additionalProperties: false });

export const serviceList = defineMethod({
  name: "service.list",
  summary: "List every service the policy names, with its status.",
  description:
    "Answers one entry per service the policy's `[[service]]` entries name, with its status and the actions " +
    "allowed on it. Exact names are always listed (a service that does not exist has state `unknown` and says " +
    "so in `detail`); patterns are expanded only over services that exist (init scripts in the init directory; " +
    "units systemd has loaded or has unit files for), so a pattern never produces invented names. Granted when " +
    "any `[[service]]` entry allows any action.",
  params: Type.Object({}, { additionalProperties: false }),
  result: Type.Object({ services: Type.Array(ServiceListEntry) }),
  capability: "service.list",
});

export const serviceStatus = defineMethod({
  name: "service.status",
  summary: "Tell whether a service is running.",
  description:
    "Answers the service's status without changing anything. Needs `status` in the actions of a `[[service]]` " +
    "entry naming the service. For init scripts, runs `NAME status` and maps its LSB exit code.",
  params: NameParams,
  result: ServiceStatus,
  capability: "service.status",
});

export const serviceStart = defineMethod({
  name: "service.start",
  summary: "Start a service, and answer its status afterwards.",
  description:
    "Needs `start` in the policy's actions for the service. systemd: StartUnit with mode `replace`, waiting for " +
    "the job to finish; a job that ends other than `done` is `backend-failed`. Init scripts: `NAME start`; a " +
    "non-zero exit is `backend-failed` with the output. Starting a running service succeeds.",
  params: NameParams,
  result: ServiceStatus,
  capability: "service.start",
  mutates: true,
});

export const serviceStop = defineMethod({
  name: "service.stop",
  summary: "Stop a service, and answer its status afterwards.",
  description:
    "Needs `stop` in the policy's actions for the service. systemd: StopUnit with mode `replace`; init scripts: " +
    "`NAME stop`. Stopping a stopped service succeeds.",
  params: NameParams,
  result: ServiceStatus,
  capability: "service.stop",
  mutates: true,
});

export const serviceRestart = defineMethod({
  name: "service.restart",
  summary: "Restart a service (start it if it is stopped), and answer its status afterwards.",
  description:
    "Needs `restart` in the policy's actions for the service. systemd: RestartUnit with mode `replace`; init " +
    "scripts: `NAME restart`; supervisord: stopProcess, then startProcess (waiting until it runs). The entry's " +
    "`test`, if any, runs first (`validation-failed` when it fails; nothing is restarted).",
  params: NameParams,
  result: ServiceStatus,
  capability: "service.restart",
  mutates: true,
});

export const serviceReload = defineMethod({
  name: "service.reload",
  summary: "Ask a service to reload its configuration, and answer its status afterwards.",
  description:
    "Needs `reload` in the policy's actions for the service. systemd: ReloadUnit with mode `replace` (a unit " +
    "that cannot reload is `backend-failed`); init scripts: `NAME reload` (LSB exit 3, not implemented, is " +
    "`backend-failed`); supervisord: signalProcess with the entry's `reload_signal` (default `HUP`). The entry's " +
    "`test`, if any, runs first (`validation-failed` when it fails; nothing is signalled).",
  params: NameParams,
  result: ServiceStatus,
  capability: "service.reload",
  mutates: true,
});
