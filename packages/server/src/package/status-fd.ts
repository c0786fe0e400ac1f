/**
 * apt's machine-readable progress (`-o APT::Status-Fd=N`): one line per
 * update, `KIND:ITEM:PERCENT:MESSAGE`, where MESSAGE may itself hold colons:
 *
 *   dlstatus:1:24.6933:Retrieving file 1 of 1
 *   pmstatus:hello:40.0000:Installing hello (amd64)
 *   pmerror:/var/cache/apt/archives/x.deb:50.0000:trying to overwrite …
 *   pmconffile:/etc/x:60.0000:'/etc/x' '/etc/x.dpkg-new' 1 1
 *
 * (apt's doc/progress-reporting.md). Anything else — `media-change`, junk —
 * is not progress and is dropped.
 */
import type { ProgressUpdate } from "@machina/protocol";

const PHASES: Readonly<Record<string, string>> = {
  dlstatus: "download",
  pmstatus: "dpkg",
  pmerror: "error",
  pmconffile: "conffile",
};

export function parseStatusLine(line: string): ProgressUpdate | undefined {
  const parts = line.split(":");
  if (parts.length < 4) return undefined;
  const phase = PHASES[parts[0]!];
  if (!phase) return undefined;
  const percent = Number(parts[2]);
  const message = parts.slice(3).join(":").trim();
  return {
    phase,
    percent: parts[2] !== "" && Number.isFinite(percent) ? Math.min(100, Math.max(0, Math.round(percent * 10) / 10)) : null,
    message: message.length > 500 ? `${message.slice(0, 500)}…` : message,
  };
}
