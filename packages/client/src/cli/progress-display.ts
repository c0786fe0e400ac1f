/**
 * Shows a long call's progress on stderr (stdout keeps the result): a bar
 * redrawn in place on a terminal, one plain line per update otherwise (logs,
 * pipes, CI), nothing with --json.
 */
import type { ProgressParams } from "@machina/protocol";
import type { CliIo } from "./io.js";

export interface ProgressDisplay {
  /** Pass as the call's `onProgress`. */
  update(progress: ProgressParams): void;
  /** Clears the bar (call before printing the result or an error). */
  done(): void;
}

const BAR_WIDTH = 24;

function percentText(percent: number | null): string {
  return percent === null ? "" : `${Math.round(percent)}%`;
}

export function progressDisplay(io: CliIo, json: boolean): ProgressDisplay {
  const stderr = io.stderr as CliIo["stderr"] & { isTTY?: boolean; columns?: number };
  if (json) return { update: () => undefined, done: () => undefined };
  if (stderr.isTTY !== true) {
    return {
      update: (p) => void stderr.write(`progress: ${p.phase}${p.percent === null ? "" : ` ${percentText(p.percent)}`}${p.message ? ` ${p.message}` : ""}\n`),
      done: () => undefined,
    };
  }
  let drawn = false;
  return {
    update: (p) => {
      const filled = p.percent === null ? 0 : Math.round((Math.min(100, Math.max(0, p.percent)) / 100) * BAR_WIDTH);
      const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${percentText(p.percent).padStart(4)} ${p.phase}: ${p.message}`;
      const width = Math.max(20, (stderr.columns ?? 80) - 1);
      stderr.write(`\r\x1b[K${bar.length > width ? bar.slice(0, width) : bar}`);
      drawn = true;
    },
    done: () => {
      if (drawn) stderr.write("\r\x1b[K");
      drawn = false;
    },
  };
}
