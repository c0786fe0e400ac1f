/**
 * machinad's command line (commander): `run` (the default), `keygen`,
 * `policy check FILE`, `policy explain FILE`. Commands parse into typed option
 * objects and hand them to actions; errors become exit statuses here only:
 * 0 success, 1 failure (start-up refused, policy has problems), 2 usage.
 */
import { Command, CommanderError, Option } from "commander";
import { DEFAULT_POLICY, DEFAULT_SECRET_FILE, DEFAULT_SOCKET, ENV_POLICY, ENV_SECRET_FILE, ENV_SOCKET } from "@machina/protocol";
import { runDaemon, type RunOptions } from "./run-action.js";
import { keygen } from "./keygen-action.js";
import { policyCheck, policyExplain } from "./policy-action.js";
import { policyPolkit } from "./polkit-action.js";
import { SERVICE_BACKEND_CHOICES, type ServiceBackendChoice } from "../service/select-backend.js";
import { DEFAULT_SUPERVISOR_SOCKET } from "../service/supervisor-rpc.js";
import { UsageError } from "./usage-error.js";
import { SERVER_NAME } from "../daemon.js";
import {
  DEFAULT_AUTH_TIMEOUT_MS,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_MAX_PENDING,
  DEFAULT_MAX_PENDING_PER_UID,
  DEFAULT_REFUSAL_LOG_LIMIT,
  DEFAULT_MAX_PENDING_EDITS,
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_FILE_NODES,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_PATH_PREDICATES,
  DEFAULT_MAX_PATH_COST,
  MAX_APPLY_CHANGES,
  DEFAULT_MAX_BATCH,
  DEFAULT_MAX_IN_FLIGHT,
} from "../limits.js";
import { DEFAULT_PACKAGE_TIMEOUT_MS, DEFAULT_SELF_PACKAGE } from "../package/package-module.js";
import { DEFAULT_HISTORY_DIR, DEFAULT_HISTORY_MAX_BYTES } from "../augeas/history-store.js";

function parseMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`expected a positive number of milliseconds, got ${JSON.stringify(value)}`);
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`expected a whole number of at least 1, got ${JSON.stringify(value)}`);
  return n;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > 86_400) throw new UsageError(`expected a whole number of seconds from 1 to 86400, got ${JSON.stringify(value)}`);
  return n;
}

function parseApplyChanges(value: string): number {
  const n = parseCount(value);
  if (n > MAX_APPLY_CHANGES) throw new UsageError(`--max-apply-changes: at most ${MAX_APPLY_CHANGES} (the protocol's own maximum), got ${n}`);
  return n;
}

function parseHistoryDir(value: string): string {
  if (!value.startsWith("/")) throw new UsageError(`--history-dir: expected an absolute path, got ${JSON.stringify(value)}`);
  return value;
}

function parseSelfPackage(value: string): string {
  if (!/^[a-z0-9][a-z0-9+.-]{0,127}$/.test(value)) throw new UsageError(`--self-package: ${JSON.stringify(value)} is not a Debian package name`);
  return value;
}

export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command("machinad")
    .description("machina's root daemon: a policy-checked configuration broker on a Unix socket")
    .version(SERVER_NAME.split("/")[1] ?? "0", "-V, --version")
    .showHelpAfterError("(run machinad --help for usage)")
    .exitOverride();

  program
    .command("run", { isDefault: true })
    .description("serve clients on the socket (the default command)")
    .option("--socket <path>", `socket to listen on (env ${ENV_SOCKET})`, env[ENV_SOCKET] ?? DEFAULT_SOCKET)
    .option("--policy <file>", `policy file (env ${ENV_POLICY})`, env[ENV_POLICY] ?? DEFAULT_POLICY)
    .option("--secret-file <file>", `file holding the shared secret (env ${ENV_SECRET_FILE}); systemd's $CREDENTIALS_DIRECTORY/machina-secret is used when present`)
    .option("--secret-stdin", "read the shared secret from the first line of standard input")
    .addOption(new Option("--insecure-no-secret", "run WITHOUT authentication: any allowed local user is trusted (demos only)").hideHelp(false))
    .option("--root <dir>", "Augeas root: policy file paths are below it (a sandbox for demos and tests)", "/")
    .option("--user <name>", "owner of the socket (mode 0600)")
    .option("--group <name>", "group of the socket (mode 0660)")
    .option("--pidfile <file>", "write the daemon's pid here")
    .option("--once", "exit when the first session ends")
    .option("--audit-log <file>", "append audit lines (JSON) here instead of stderr")
    .option("--log-file <file>", "append the daemon's log here instead of stderr (SIGHUP reopens it, and the audit log)")
    .option("--auth-timeout <ms>", "deadline for a connection to authenticate", parseMs, DEFAULT_AUTH_TIMEOUT_MS)
    .option("--call-timeout <ms>", "time limit of each call", parseMs, DEFAULT_CALL_TIMEOUT_MS)
    .option("--max-pending <n>", "connections that may wait to authenticate at once; more are told busy", parseCount, DEFAULT_MAX_PENDING)
    .option("--max-pending-per-uid <n>", "connections of one user that may wait to authenticate at once (at most --max-pending)", parseCount)
    .option("--refusal-log-limit <n>", "log and audit lines written one by one per kind of refusal and 10 s; the rest are summed up", parseCount, DEFAULT_REFUSAL_LOG_LIMIT)
    .option("--max-pending-edits <n>", "edits a session may have pending (unsaved); more are refused limit-exceeded until it saves or discards", parseCount, DEFAULT_MAX_PENDING_EDITS)
    .option("--max-pending-bytes <bytes>", "bytes a session's pending edits may hold (values, paths, labels, resolved nodes; a setm value once per node)", parseCount, DEFAULT_MAX_PENDING_BYTES)
    .option("--max-file-nodes <n>", "nodes an edit may grow one policy file's tree to (larger files still load, read and shrink)", parseCount, DEFAULT_MAX_FILE_NODES)
    .option("--max-file-bytes <bytes>", "bytes one policy file may reach: its size at the last load or save plus what pending edits add", parseCount, DEFAULT_MAX_FILE_BYTES)
    .option("--max-path-predicates <n>", "predicates in one client path (setm: base and sub together)", parseCount, DEFAULT_MAX_PATH_PREDICATES)
    .option("--max-path-cost <n>", "cost of one client path: (1 + predicates) x (steps + each predicate's steps + 1)", parseCount, DEFAULT_MAX_PATH_COST)
    .option("--max-apply-changes <n>", `changes in one augeas.apply (at most ${MAX_APPLY_CHANGES})`, parseApplyChanges, MAX_APPLY_CHANGES)
    .option("--max-batch <n>", "requests in one JSON-RPC batch; a larger batch is an invalid request and none of it runs", parseCount, DEFAULT_MAX_BATCH)
    .option("--max-in-flight <n>", "requests of a connection read but not yet answered; beyond it the daemon stops reading until half are answered", parseCount, DEFAULT_MAX_IN_FLIGHT)
    .addOption(new Option("--service-backend <kind>", "how services are controlled: systemd when /run/systemd/system exists, else init scripts").choices(SERVICE_BACKEND_CHOICES).default("auto"))
    .option("--initd-dir <dir>", "directory of the init scripts (the initd backend)", "/etc/init.d")
    .option("--supervisor-socket <path>", 'supervisord\'s XML-RPC Unix socket, for [[service]] entries with backend = "supervisor"', DEFAULT_SUPERVISOR_SOCKET)
    .option("--supervisor-auth-file <file>", "a root-only file holding USERNAME:PASSWORD for supervisord's socket (when it asks for them)")
    .option("--history-dir <dir>", "where saves of files with history = N keep their previous versions (created root-only, 0700; refused when another user could change it)", parseHistoryDir, DEFAULT_HISTORY_DIR)
    .option("--history-max-bytes <bytes>", "total size the kept previous versions may take; the oldest are removed first", parseCount, DEFAULT_HISTORY_MAX_BYTES)
    .option("--package-timeout <ms>", "time limit of one apt-get install, remove or update", parseMs, DEFAULT_PACKAGE_TIMEOUT_MS)
    .option("--self-package <name>", "machinad's own Debian package: calls may never remove or upgrade it", parseSelfPackage, DEFAULT_SELF_PACKAGE)
    .option("--exit-idle <seconds>", "under socket activation, exit after this many seconds without a connection (systemd starts machinad again on the next one)", parseSeconds)
    .option("-v, --verbose", "log debugging detail")
    .option("-q, --quiet", "log only errors")
    .action(async (opts: Record<string, unknown>) => {
      const secretSources = [opts.secretFile !== undefined, opts.secretStdin === true, opts.insecureNoSecret === true].filter(Boolean).length;
      if (secretSources > 1) throw new UsageError("give only one of --secret-file, --secret-stdin, --insecure-no-secret");
      if (opts.verbose && opts.quiet) throw new UsageError("give only one of --verbose and --quiet");
      const maxPending = opts.maxPending as number;
      const maxPendingPerUid = (opts.maxPendingPerUid as number | undefined) ?? Math.min(DEFAULT_MAX_PENDING_PER_UID, maxPending);
      if (maxPendingPerUid > maxPending) throw new UsageError(`--max-pending-per-uid (${maxPendingPerUid}) cannot exceed --max-pending (${maxPending})`);
      const run: RunOptions = {
        socketPath: String(opts.socket),
        policyFile: String(opts.policy),
        secret: opts.secretStdin
          ? { from: "stdin" }
          : opts.insecureNoSecret
            ? { from: "none" }
            : opts.secretFile !== undefined
              ? { from: "file", file: String(opts.secretFile) }
              : { from: "default", file: env[ENV_SECRET_FILE] ?? DEFAULT_SECRET_FILE },
        root: String(opts.root),
        ...(opts.user ? { user: String(opts.user) } : {}),
        ...(opts.group ? { group: String(opts.group) } : {}),
        ...(opts.pidfile ? { pidFile: String(opts.pidfile) } : {}),
        once: opts.once === true,
        ...(opts.auditLog ? { auditLogFile: String(opts.auditLog) } : {}),
        ...(opts.logFile ? { logFile: String(opts.logFile) } : {}),
        authTimeoutMs: opts.authTimeout as number,
        callTimeoutMs: opts.callTimeout as number,
        maxPending,
        maxPendingPerUid,
        refusalLogLimit: opts.refusalLogLimit as number,
        sessionLimits: {
          maxPendingEdits: opts.maxPendingEdits as number,
          maxPendingBytes: opts.maxPendingBytes as number,
          maxFileNodes: opts.maxFileNodes as number,
          maxFileBytes: opts.maxFileBytes as number,
          maxPathPredicates: opts.maxPathPredicates as number,
          maxPathCost: opts.maxPathCost as number,
          maxApplyChanges: opts.maxApplyChanges as number,
        },
        maxBatch: opts.maxBatch as number,
        maxInFlight: opts.maxInFlight as number,
        serviceBackend: opts.serviceBackend as ServiceBackendChoice,
        initdDir: String(opts.initdDir),
        supervisorSocket: String(opts.supervisorSocket),
        ...(opts.supervisorAuthFile !== undefined ? { supervisorAuthFile: String(opts.supervisorAuthFile) } : {}),
        historyDir: String(opts.historyDir),
        historyMaxBytes: opts.historyMaxBytes as number,
        packageTimeoutMs: opts.packageTimeout as number,
        selfPackage: String(opts.selfPackage),
        ...(opts.exitIdle !== undefined ? { exitIdleMs: (opts.exitIdle as number) * 1000 } : {}),
        logLevel: opts.verbose ? "debug" : opts.quiet ? "error" : "info",
      };
      await runDaemon(run, env);
    });

  program
    .command("keygen")
    .description("print a new random secret (one line of base64) for /etc/machina/secret")
    .action(() => keygen());

  const policy = program.command("policy").description("validate or explain a policy file");
  policy
    .command("check")
    .description("validate FILE; exit 1 with one line per problem")
    .argument("<file>", "policy file")
    .option("--root <dir>", "Augeas root the policy will be used with", "/")
    .action((file: string, o: { root: string }) => {
      process.exitCode = policyCheck(file, o.root);
    });
  policy
    .command("polkit")
    .description("print a polkit rule (JavaScript) equivalent to FILE's [[service]] section, for org.freedesktop.systemd1.manage-units")
    .argument("<file>", "policy file")
    .action((file: string) => {
      process.exitCode = policyPolkit(file);
    });
  policy
    .command("explain")
    .description("print, for a human reviewer, everything FILE lets a client do")
    .argument("<file>", "policy file")
    .option("--root <dir>", "Augeas root the policy will be used with", "/")
    .action((file: string, o: { root: string }) => {
      process.exitCode = policyExplain(file, o.root);
    });
  return program;
}

/** Runs the CLI; answers the exit status. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildProgram(env);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are exit 0; every other commander error is a usage error.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`machinad: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`machinad: ${(e as Error).message}\n`);
    return 1;
  }
}
