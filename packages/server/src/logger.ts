/**
 * The daemon's diagnostic log (not the audit log): human-readable lines on
 * stderr. Internal exceptions are written here in full and never sent to clients.
 */
import { loggedStack } from "./stack-trace.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, extra?: unknown): void;
  info(message: string, extra?: unknown): void;
  warn(message: string, extra?: unknown): void;
  error(message: string, extra?: unknown): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const threshold = RANK[level];
  const emit = (lvl: LogLevel, message: string, extra?: unknown) => {
    if (RANK[lvl] < threshold) return;
    let line = `machinad[${process.pid}] ${lvl}: ${message}`;
    if (extra instanceof Error) line += `\n${loggedStack(extra)}`;
    else if (extra !== undefined) line += ` ${JSON.stringify(extra)}`;
    write(line + "\n");
  };
  return {
    debug: (m, e) => emit("debug", m, e),
    info: (m, e) => emit("info", m, e),
    warn: (m, e) => emit("warn", m, e),
    error: (m, e) => emit("error", m, e),
  };
}
