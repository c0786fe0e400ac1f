/**
 * Long calls (package installs) run in the background while the browser polls
 * their progress: the daemon streams progress notifications for the call,
 * which land here, and /packages/job.json reads them without touching the
 * daemon (whose one session is busy with the install meanwhile).
 */
import { randomToken, type Flash } from "./sessions.js";

export interface Job {
  readonly id: string;
  readonly title: string;
  /** 0–100, or null while the daemon has not said. */
  percent: number | null;
  phase: string;
  message: string;
  done: boolean;
  outcome: Flash | undefined;
  readonly started: number;
}

const KEEP_MS = 60 * 60_000;

export class Jobs {
  readonly #jobs = new Map<string, Job>();

  /** Starts `work` as a job; it reports through the `update` it is given and answers the final message. */
  start(title: string, work: (update: (p: { percent?: number | null; phase?: string; message?: string }) => void) => Promise<Flash>): Job {
    this.#sweep();
    const job: Job = { id: randomToken(), title, percent: null, phase: "queued", message: "waiting for machinad", done: false, outcome: undefined, started: Date.now() };
    this.#jobs.set(job.id, job);
    const update = (p: { percent?: number | null; phase?: string; message?: string }): void => {
      if (job.done) return;
      if (p.percent !== undefined) job.percent = p.percent === null ? null : Math.max(0, Math.min(100, p.percent));
      if (p.phase !== undefined) job.phase = p.phase;
      if (p.message !== undefined) job.message = p.message;
    };
    void work(update).then((outcome) => {
      job.done = true;
      job.outcome = outcome;
      if (outcome.type === "ok") job.percent = 100;
    });
    return job;
  }

  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, job] of this.#jobs) if (job.done && now - job.started > KEEP_MS) this.#jobs.delete(id);
  }
}
