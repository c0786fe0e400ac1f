/**
 * The service vocabulary (`service.*`): the status of system services and the
 * things a panel may do to one — `status`, `start`, `stop`, `restart`,
 * `reload`, `enable` and `disable` (at boot), and read its `log` — each under
 * the policy's `[[service]]` entries, plus `service.list`.
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
 *   again may help (e.g. D-Bus unreachable). When a `start`, `restart` or
 *   `reload` fails and the policy also allows `log` on the service,
 *   `data.log` holds the last 25 lines of its log (as `service.log` reads it);
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
    enabled: Type.Optional(
      Type.Boolean({
        description:
          "Whether the service is started at boot, when that can be told and changed: systemd's UnitFileState " +
          "`enabled`/`enabled-runtime` (true) or `disabled`/`masked`/`linked` (false), absent for units that are " +
          "not enabled or disabled themselves (`static`, `generated`, `indirect`, `transient`, …); for init " +
          "scripts, whether a start link `S??NAME` exists in rcS.d or rc2.d–rc5.d beside the init directory, " +
          "absent when there are no such directories; absent for supervisord (its `autostart` is configuration).",
      }),
    ),
  },
  { additionalProperties: false },
);
export type ServiceStatus = Static<typeof ServiceStatus>;

/**
 * What may be done to a service, in the order listings show them: `status`,
 * the four that change whether it runs now, `enable` / `disable` (whether it
 * starts at boot) and `log` (read its recent log).
 */
export const SERVICE_ACTIONS = ["status", "start", "stop", "restart", "reload", "enable", "disable", "log"] as const;

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

export const serviceEnable = defineMethod({
  name: "service.enable",
  summary: "Make a service start at boot, and answer its status afterwards.",
  description:
    "Needs `enable` in the policy's actions for the service. systemd: EnableUnitFiles for the unit (its " +
    "`[Install]` section's links; not `--now`, the service's current state is unchanged), then Reload; a unit " +
    "without an `[Install]` section is `backend-failed` (nothing to enable), a masked one too. Init scripts: " +
    "`update-rc.d NAME defaults` then `update-rc.d NAME enable` (the links in /etc/rc?.d from the script's " +
    "LSB header); only when the init scripts are /etc/init.d, since update-rc.d always works on /etc — with " +
    "another `--initd-dir` the call is `backend-failed` and nothing is changed. A backend that cannot " +
    "(supervisord starts programs by their `autostart` setting) answers `backend-failed` saying so. Enabling an " +
    "enabled service succeeds. The status answered has `enabled`.",
  params: NameParams,
  result: ServiceStatus,
  capability: "service.enable",
  mutates: true,
});

export const serviceDisable = defineMethod({
  name: "service.disable",
  summary: "Stop a service from starting at boot, and answer its status afterwards.",
  description:
    "Needs `disable` in the policy's actions for the service. systemd: DisableUnitFiles, then Reload (the " +
    "service keeps running if it runs). Init scripts: `update-rc.d NAME disable` (start links become stop " +
    "links), under the same conditions as `service.enable`; a script without any links is already disabled " +
    "and nothing is run. Disabling a disabled service succeeds.",
  params: NameParams,
  result: ServiceStatus,
  capability: "service.disable",
  mutates: true,
});

/** The most lines `service.log` answers at once, and the default. */
export const SERVICE_LOG_MAX_LINES = 1000;
export const SERVICE_LOG_DEFAULT_LINES = 100;
/** The most bytes of lines (each line's JSON) `service.log` answers at once. */
export const SERVICE_LOG_MAX_BYTES = 256 * 1024;
/** How many of a service's last log lines a failed `start`, `restart` or `reload` carries (`data.log`). */
export const SERVICE_FAILURE_LOG_LINES = 25;

/** One line of a service's log. */
export const ServiceLogLine = Type.Object(
  {
    message: Type.String({
      description:
        "The line's text (a log file's line without its newline; the journal's MESSAGE). Bytes that are not " +
        "UTF-8 are shown as U+FFFD; a line longer than 16,384 characters is cut, ending in `[…]`; a journal message of more " +
        "than 4 KiB, which journalctl does not show, reads `[message of more than 4096 bytes not shown]`.",
    }),
    time: Type.Optional(Type.String({ description: "When it was logged (ISO 8601, UTC); journal lines only." })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 7, description: "syslog priority, 0 (emerg) to 7 (debug); journal lines only." })),
    source: Type.Optional(Type.String({ description: "Who logged it: the journal's SYSLOG_IDENTIFIER or command name (`nginx`, `systemd`); journal lines only." })),
    pid: Type.Optional(Type.Integer({ description: "The process that logged it; journal lines only." })),
  },
  { additionalProperties: false },
);
export type ServiceLogLine = Static<typeof ServiceLogLine>;

/** A position in a service's log, as `service.log` answered it; opaque. */
export const ServiceLogCursor = Type.String({
  description:
    "Where the previous `service.log` answer ended, exactly as it was answered (opaque: a journal cursor, a " +
    "log file's identity and offset, or an offset in a supervisord program's log). A cursor that is not one `service.log` made for this kind of log is " +
    "`invalid-params`.",
  minLength: 1,
  maxLength: 512,
});

export const serviceLog = defineMethod({
  name: "service.log",
  summary: "Read a service's recent log lines, and a cursor to continue from.",
  description:
    "Needs `log` in the policy's actions for the service. Where the log is: the file the first `[[service]]` " +
    "entry that allows `log` on the service names (`log = \"/var/log/nginx/error.log\"`, below the daemon's " +
    "`--root`), whatever the backend; else the backend's own log — systemd: the journal of the unit " +
    "(`journalctl --unit=UNIT`, which also holds systemd's messages about it); supervisord: the program's " +
    "stdout log (with `redirect_stderr`, its stderr too), read through supervisord's tailProcessStdoutLog and " +
    "readProcessStdoutLog, whole lines only; init scripts keep none, so an " +
    "entry without `log = …` is `policy-denied`. Without `cursor`: the last `lines` lines. With the `cursor` a " +
    "previous answer gave: the lines logged after it, oldest first, at most `lines` (`more` says whether there " +
    "are others after those: call again with the new cursor). At most 1000 lines and 256 KiB (the lines' JSON) " +
    "are answered at once; without a cursor the newest are kept. A log file is opened without following " +
    "symbolic links and must be, once opened, the regular file the policy names, inside `--root`, with one link " +
    "(else `policy-denied`); one that does not exist is `not-found`. Its cursor survives rotation: when the " +
    "file was replaced (logrotate's rename and create), the rest of the old one is read first if it is now " +
    "`NAME.1`, then the new one from its start; a file truncated in place is read again from its start. A " +
    "line still being written may come in two parts. `journalctl` runs with an argument vector, a cleared " +
    "environment, the call timeout and an output cap; a failure is `backend-failed`, its details in the " +
    "daemon's log.",
  params: Type.Object(
    {
      name: ServiceName,
      lines: Type.Optional(
        Type.Integer({ minimum: 1, maximum: SERVICE_LOG_MAX_LINES, description: "How many lines at most (default 100, at most 1000)." }),
      ),
      cursor: Type.Optional(ServiceLogCursor),
    },
    { additionalProperties: false },
  ),
  result: Type.Object(
    {
      name: Type.String({ description: "The service's canonical name." }),
      source: Type.String({
        description: "Where the lines come from: `journal` (systemd's, for the unit), `supervisord: the program's stdout log`, or the log file's path as the policy names it (`/var/log/nginx/error.log`).",
      }),
      lines: Type.Array(ServiceLogLine, { description: "Oldest first." }),
      cursor: Type.Optional(Type.String({ description: "Give it back as `cursor` to read what is logged after these lines; absent when the log has no lines yet." })),
      more: Type.Boolean({ description: "True when lines after `cursor` exist already (the answer was cut at `lines` or 256 KiB)." }),
    },
    { additionalProperties: false },
  ),
  capability: "service.log",
});
