/**
 * Reading the daemon's audit log (--audit-log): one JSON object per line, the
 * shape packages/server/src/audit.ts writes.
 */
import assert from "node:assert/strict";
import fs from "node:fs";

export interface AuditLine {
  /** The call's audit id (unique across restarts; a history entry is keyed by it). */
  id: string;
  time: string;
  type: string;
  session: number;
  peer: { pid: number; uid: number; gid: number };
  method: string;
  targets: string[];
  decision: "allow" | "deny";
  outcome: string;
  durationMs: number;
  reason?: string;
  /** On a summary line only: how many refusals it stands for. */
  count?: number;
}

/** Every line of the audit log so far (none when it does not exist yet); it must hold whole lines only. */
export function readAuditLines(file: string): AuditLine[] {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  assert.ok(text === "" || text.endsWith("\n"), "the audit log holds whole lines");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as AuditLine);
}
