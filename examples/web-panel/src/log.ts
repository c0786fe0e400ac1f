/** The panel's log: one line per event on stderr (stack traces go here, never to a page). */

export function logInfo(message: string): void {
  process.stderr.write(`${new Date().toISOString()} info: ${message}\n`);
}

export function logError(message: string, error?: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : error === undefined ? "" : String(error);
  process.stderr.write(`${new Date().toISOString()} error: ${message}${detail ? `\n${detail}` : ""}\n`);
}
