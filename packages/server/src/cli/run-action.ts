/**
 * `machinad run`: read the secret, start the daemon, and handle signals —
 * SIGTERM/SIGINT stop it cleanly (the call in progress finishes, the socket is
 * removed), SIGHUP reopens the log files (for logrotate) and reloads the policy.
 */
import { startDaemon } from "../daemon.js";
import { openLogFile, type LogFile } from "../log-file.js";
import { createLogger, type LogLevel } from "../logger.js";
import { notifyServiceManager, resolveGroupId } from "@machina/peercred";
import { credentialFile, readCredential, readSecretFile, readSecretStdin, SecretError, type SecretFileOptions } from "../secret.js";
import { UsageError } from "./usage-error.js";
import type { ServiceBackendChoice } from "../service/select-backend.js";
import { readSupervisorCredentials, SupervisorUnavailable } from "../service/supervisor-rpc.js";
import type { SessionLimits } from "../limits.js";
import fs from "node:fs";

export type SecretSource = { from: "file"; file: string } | { from: "default"; file: string } | { from: "stdin" } | { from: "none" };

export interface RunOptions {
  socketPath: string;
  policyFile: string;
  secret: SecretSource;
  root: string;
  user?: string;
  group?: string;
  pidFile?: string;
  once: boolean;
  auditLogFile?: string;
  /** The daemon's log, instead of stderr (--log-file). */
  logFile?: string;
  authTimeoutMs: number;
  callTimeoutMs: number;
  maxPending?: number;
  maxPendingPerUid?: number;
  refusalLogLimit?: number;
  /** What one session may make the daemon hold or compute (the --max-* flags). */
  sessionLimits?: SessionLimits;
  maxBatch?: number;
  maxInFlight?: number;
  serviceBackend?: ServiceBackendChoice;
  initdDir?: string;
  supervisorSocket?: string;
  supervisorAuthFile?: string;
  packageTimeoutMs?: number;
  selfPackage?: string;
  exitIdleMs?: number;
  /** Where saves keep previous versions (--history-dir) and their total bound (--history-max-bytes). */
  historyDir?: string;
  historyMaxBytes?: number;
  logLevel: LogLevel;
}

async function readSecret(source: SecretSource, env: NodeJS.ProcessEnv, fileOptions: SecretFileOptions): Promise<Uint8Array | null> {
  switch (source.from) {
    case "none":
      return null;
    case "stdin":
      return readSecretStdin();
    case "file":
      return readSecretFile(source.file, fileOptions);
    case "default": {
      const credential = credentialFile(env);
      if (credential) return readCredential(credential);
      if (!fs.existsSync(source.file)) {
        throw new SecretError(
          `no secret: ${source.file} does not exist. Create it with \`machinad keygen > ${source.file}\` (mode 0640), ` +
            "or pass --secret-file FILE or --secret-stdin",
        );
      }
      return readSecretFile(source.file, fileOptions);
    }
  }
}

function openDaemonLog(file: string): LogFile {
  try {
    return openLogFile(file);
  } catch (e) {
    throw new UsageError(`cannot open the log file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export async function runDaemon(options: RunOptions, env: NodeJS.ProcessEnv): Promise<void> {
  // If whoever reads our stderr goes away, logging must fail quietly: an unhandled
  // EPIPE would be logged to stderr again, and the daemon would spin on it.
  process.stderr.on("error", () => undefined);
  const logFile = options.logFile === undefined ? undefined : openDaemonLog(options.logFile);
  const logger = logFile ? createLogger(options.logLevel, (line) => logFile.write(line)) : createLogger(options.logLevel);
  let key: Uint8Array | null;
  try {
    const clientGroup = options.group === undefined ? undefined : resolveGroupId(options.group);
    key = await readSecret(options.secret, env, { ...(clientGroup !== undefined ? { clientGroup } : {}), warn: (m) => logger.warn(m) });
    // Checked now, so that a bad file stops the daemon with the reason (it is read again for every call).
    if (options.supervisorAuthFile) readSupervisorCredentials(options.supervisorAuthFile);
  } catch (e) {
    if (e instanceof SecretError || e instanceof SupervisorUnavailable) throw new UsageError(e.message);
    throw e;
  }
  const daemon = await startDaemon({
    socketPath: options.socketPath,
    policyFile: options.policyFile,
    key,
    root: options.root,
    ...(options.user ? { user: options.user } : {}),
    ...(options.group ? { group: options.group } : {}),
    ...(options.pidFile ? { pidFile: options.pidFile } : {}),
    once: options.once,
    ...(options.auditLogFile ? { auditLogFile: options.auditLogFile } : {}),
    authTimeoutMs: options.authTimeoutMs,
    callTimeoutMs: options.callTimeoutMs,
    ...(options.maxPending !== undefined ? { maxPending: options.maxPending } : {}),
    ...(options.maxPendingPerUid !== undefined ? { maxPendingPerUid: options.maxPendingPerUid } : {}),
    ...(options.refusalLogLimit !== undefined ? { refusalLogLimit: options.refusalLogLimit } : {}),
    ...(options.sessionLimits ? { sessionLimits: options.sessionLimits } : {}),
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    ...(options.serviceBackend ? { serviceBackend: options.serviceBackend } : {}),
    ...(options.initdDir ? { initdDir: options.initdDir } : {}),
    ...(options.supervisorSocket ? { supervisorSocket: options.supervisorSocket } : {}),
    ...(options.supervisorAuthFile ? { supervisorAuthFile: options.supervisorAuthFile } : {}),
    ...(options.packageTimeoutMs ? { packageTimeoutMs: options.packageTimeoutMs } : {}),
    ...(options.selfPackage ? { selfPackage: options.selfPackage } : {}),
    ...(options.exitIdleMs !== undefined ? { exitIdleMs: options.exitIdleMs } : {}),
    ...(options.historyDir !== undefined ? { historyDir: options.historyDir } : {}),
    ...(options.historyMaxBytes !== undefined ? { historyMaxBytes: options.historyMaxBytes } : {}),
    logger,
    env,
  });
  // Type=notify: ready once it listens (calls that need the Augeas host wait for it).
  const notify = (state: string) => {
    try {
      notifyServiceManager(state, env);
    } catch (e) {
      logger.warn(`cannot notify the service manager (${state.split("\n")[0]}): ${(e as Error).message}`);
    }
  };
  notify("READY=1\nSTATUS=listening");
  void daemon.done.then(() => notify("STOPPING=1"));
  const stop = () => {
    notify("STOPPING=1");
    void daemon.stop();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", () => {
    // logrotate moved the files away: the log first, so that what the reload says is in the new one.
    try {
      logFile?.reopen();
    } catch (e) {
      logger.error(`cannot reopen the log file; still writing to the old one: ${(e as Error).message}`);
    }
    daemon.reloadPolicy();
  });
  // A bug in one handler must not take the daemon down for every user.
  process.on("uncaughtException", (e) => logger.error("uncaught exception (the daemon keeps running)", e));
  process.on("unhandledRejection", (e) => logger.error("unhandled rejection (the daemon keeps running)", e));
  await daemon.done;
}
