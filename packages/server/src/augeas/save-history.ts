/**
 * What a save does with the history (history-store.ts): the workspace hands
 * it the previous and new bytes of every file it is about to rename into
 * place, once every check has passed and before the first rename; the files
 * whose policy entry has `history = N` are recorded as one entry keyed by the
 * call's audit id.
 *
 * The entry is written BEFORE the renames, so a file is never replaced
 * without its previous version kept: a history that cannot be written
 * (unsafe directory, full disk) refuses the save, and nothing is written. If
 * the save is then abandoned before any rename, the workspace drops the
 * entry again; if it stops half-way (a rename failing, which takes a broken
 * file system) or the daemon dies between the entry and the renames, the
 * entry stays and describes what did not happen: its files are then not
 * `current` (they do not have the hash it recorded), so it cannot be rolled
 * back — it is only one more line of history.
 *
 * An entry larger than the whole history's bound (--history-max-bytes) cannot
 * be kept: that save goes ahead unrecorded, with a warning in the log.
 */
import { Fault } from "../faults.js";
import type { Logger } from "../logger.js";
import type { FileRule } from "./augeas-section.js";
import { HistoryEntryTooLarge, sha256, type FileVersions, type HistoryCall, type HistoryStore, type StoredEntry } from "./history-store.js";
import { checkContainment } from "./containment.js";
import { readBytes } from "./snapshots.js";

/** A recorded save, until its files are in place. */
export interface RecordedSave {
  /** The save was abandoned before anything was renamed: forget it. */
  drop(): void;
}

const NOTHING_RECORDED: RecordedSave = { drop: () => undefined };

export class SaveHistory {
  constructor(
    /** --root, where the policy files are. */
    private readonly root: string,
    private readonly store: HistoryStore,
    private readonly rules: ReadonlyMap<string, FileRule>,
    /** The call being run (set by the host for each call); a save outside a call is refused. */
    private readonly currentCall: () => HistoryCall | undefined,
    private readonly logger: Logger,
  ) {}

  /** Every entry, newest first (`backend-failed` when the history cannot be read). */
  entries(): StoredEntry[] {
    return this.using(() => this.store.entries());
  }

  /** Entry `id`, or undefined. */
  entry(id: string): StoredEntry | undefined {
    return this.using(() => this.store.entry(id));
  }

  /** The bytes `file` had before the save of entry `id` (null: it did not exist). */
  previousBytes(id: string, file: string): Buffer | null {
    return this.using(() => this.store.previousBytes(id, file));
  }

  /** SHA-256 of `file` on disk now; null when it does not exist; undefined when it cannot be read as a policy file (containment). */
  onDisk(file: string): string | null | undefined {
    try {
      if (!checkContainment(this.root, file).ok) return undefined;
      const bytes = readBytes(this.root, file);
      return bytes === null ? null : sha256(bytes);
    } catch {
      return undefined;
    }
  }

  /** Runs a read of the store; a failure is logged here and reaches the client as `backend-failed`, without its details. */
  private using<T>(read: () => T): T {
    try {
      return read();
    } catch (e) {
      this.logger.error("history: cannot read the history", e);
      throw new Fault("backend-failed", "the history cannot be read (the daemon's log says why)", { backend: "history", retryable: false });
    }
  }

  /** The versions a policy file keeps (0: history off). */
  keep(file: string): number {
    return this.rules.get(file)?.history ?? 0;
  }

  /**
   * Records the save of `files` (those with history on); throws a
   * `backend-failed` Fault when it cannot, so the save is refused.
   */
  record(files: readonly FileVersions[]): RecordedSave {
    const kept = files.filter((f) => this.keep(f.file) > 0);
    if (kept.length === 0) return NOTHING_RECORDED;
    const call = this.currentCall();
    try {
      if (!call) throw new Error("a save outside a call cannot be recorded");
      const entry = this.store.add(call, kept, (file) => this.keep(file));
      return { drop: () => this.store.remove(entry.id) };
    } catch (e) {
      if (e instanceof HistoryEntryTooLarge) {
        this.logger.warn(`history: not recording the save of ${kept.map((f) => f.file).join(", ")} (${call?.id ?? "no call"}): ${e.message}`);
        return NOTHING_RECORDED;
      }
      this.logger.error(`history: cannot record the save of ${kept.map((f) => f.file).join(", ")}; refusing the save`, e);
      throw new Fault("backend-failed", `the previous version of ${kept[0]!.file} could not be kept in the history (the daemon's log says why); nothing was written`, {
        backend: "history",
        retryable: false,
      });
    }
  }
}
