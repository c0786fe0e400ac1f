/**
 * Reading what apt-get, apt-cache and dpkg-query print (all run with
 * LC_ALL=C, so the words are stable): the plan of a simulation, the error
 * lines, and whether a failure was a lock held by someone else.
 */

/** One action of an `apt-get -s` plan. */
export interface PlannedAction {
  action: "install" | "upgrade" | "remove";
  name: string;
}

/**
 * The actions of a simulation: `Inst NAME (…)` installs, `Inst NAME [OLD] (…)`
 * upgrades (or downgrades), `Remv NAME [OLD]` / `Purg NAME [OLD]` remove.
 * `Conf` lines repeat an `Inst` and are skipped. Architecture qualifiers
 * (`libc6:amd64`) are dropped from the name.
 */
export function parseSimulation(stdout: string): PlannedAction[] {
  const plan: PlannedAction[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^(Inst|Remv|Purg) (\S+)( \[)?/.exec(line);
    if (!m) continue;
    const name = m[2]!.replace(/:[a-z0-9-]+$/, "");
    if (m[1] === "Inst") plan.push({ action: m[3] ? "upgrade" : "install", name });
    else plan.push({ action: "remove", name });
  }
  return plan;
}

/** True when apt chose packages other than the literal name (a regex, glob or virtual package match). */
export function nameWasReinterpreted(stdout: string): boolean {
  return /^Note, selecting /m.test(stdout);
}

/** apt's `E:` lines (or, when there are none, the last lines of stderr), for `backend-failed`'s detail. */
export function errorLines(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const errors = lines.filter((l) => /^E: /.test(l));
  const chosen = (errors.length ? errors : lines.slice(-3)).join("; ");
  return chosen.length > 1000 ? `${chosen.slice(0, 1000)}…` : chosen;
}

/** apt's `W:` lines. */
export function warningLines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^W: /.test(l))
    .map((l) => l.slice(3));
}

/**
 * True when apt gave up because another process holds the dpkg frontend lock,
 * the dpkg lock, the archives lock or the lists lock: the call may succeed later.
 */
export function lockHeld(stderr: string): boolean {
  return /^E: (Could not get lock |Unable to acquire the dpkg frontend lock|Unable to lock (the )?(administration|download|list) directory)/m.test(stderr);
}

/** The `Candidate:` of `apt-cache policy NAME`, or null for `(none)` or an unknown package. */
export function parseCandidate(stdout: string): string | null {
  const m = /^\s*Candidate: (\S+)\s*$/m.exec(stdout);
  return m && m[1] !== "(none)" ? m[1]! : null;
}
