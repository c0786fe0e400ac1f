/**
 * The Augeas workspace and the policy engine of the current policy, as the
 * Augeas host process holds them (host/host-main.ts): every libaugeas call
 * of a client's session happens there, never in the daemon's event loop.
 */
import type { Logger } from "../logger.js";
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from "../limits.js";
import type { AugeasSection } from "./augeas-section.js";
import { PolicyEngine } from "./authorise.js";
import { scanDefaultLenses } from "./lens-scan.js";
import { AugeasWorkspace, type WorkspaceFile } from "./workspace.js";
import { HistoryStore, type HistoryCall } from "./history-store.js";
import { SaveHistory } from "./save-history.js";

/** Where the history of saves is kept (--history-dir, --history-max-bytes). */
export interface HistoryOptions {
  dir: string;
  maxBytes: number;
}
import { newTagKey } from "./file-tag.js";

export class AugeasLocalRuntime {
  private current: { workspace: AugeasWorkspace; engine: PolicyEngine; limits: SessionLimits; history: SaveHistory | undefined } | undefined;
  private store: HistoryStore | undefined;
  /** The call being run (the host sets it for each call): a save's history entry is keyed by it. */
  private call: HistoryCall | undefined;

  constructor(
    private readonly root: string,
    private readonly logger: Logger,
  ) {}

  /** The session's resource limits of the current policy's workspace (limits.ts). */
  get limits(): SessionLimits {
    return this.live().limits;
  }

  /** Whether a policy's workspace is open (calls fail before usePolicy). */
  get hasPolicy(): boolean {
    return this.current !== undefined;
  }

  get workspace(): AugeasWorkspace {
    return this.live().workspace;
  }

  get engine(): PolicyEngine {
    return this.live().engine;
  }

  /** The history of saves under the current policy; undefined when no policy file has `history` on. */
  get history(): SaveHistory | undefined {
    return this.live().history;
  }

  /** The host starts running a call (its audit id, time, peer and method); undefined once it is done. */
  runningCall(call: HistoryCall | undefined): void {
    this.call = call;
  }

  /**
   * Opens a workspace for `section` within `limits` (closing the previous
   * one), keeping history as `historyOptions` say and making file tags with
   * `tagKey` (file-tag.ts); answers its files and their load problems.
   */
  usePolicy(section: AugeasSection, limits: SessionLimits = DEFAULT_SESSION_LIMITS, historyOptions?: HistoryOptions, tagKey: Buffer = newTagKey()): WorkspaceFile[] {
    this.current?.workspace.close();
    this.current = undefined;
    const unnamed = section.files.filter((f) => !f.lens).map((f) => f.path);
    const workspace = new AugeasWorkspace(this.root, section, scanDefaultLenses(unnamed).lenses, this.logger, limits, tagKey);
    const history = this.historyFor(section, historyOptions);
    if (history) workspace.useHistory(history);
    const engine = new PolicyEngine(section, limits);
    workspace.useVisibility(engine);
    this.current = { workspace, engine, limits, history };
    const files = workspace.describeFiles();
    for (const f of files) {
      if (f.problem) this.logger.warn(`${f.rule.path}: ${f.problem}`);
      else this.logger.debug(`${f.rule.path}: loaded with ${f.lens}`);
    }
    return files;
  }

  /** A session starts, or ended: the files as they are on disk, nothing pending; answers the files and their problems now. */
  reset(): WorkspaceFile[] {
    this.current?.workspace.reset();
    return this.current?.workspace.describeFiles() ?? [];
  }

  close(): void {
    this.current?.workspace.close();
    this.current = undefined;
  }

  /**
   * The history when some policy file has `history` on: the directory is
   * checked (and created) now, so an unsafe one is reported at start-up and
   * reload — and then every save of such a file is refused, since its
   * previous version could not be kept.
   */
  private historyFor(section: AugeasSection, options: HistoryOptions | undefined): SaveHistory | undefined {
    if (!options || !section.files.some((f) => f.history > 0)) return undefined;
    if (this.store?.dir !== options.dir || this.store.maxBytes !== options.maxBytes) this.store = new HistoryStore(options.dir, options.maxBytes, this.logger);
    try {
      this.store.open();
    } catch (e) {
      this.logger.error(`history: ${(e as Error).message}; saves of files with history on are refused until it is fixed`);
    }
    return new SaveHistory(this.root, this.store, new Map(section.files.map((f) => [f.path, f])), () => this.call, this.logger);
  }

  private live(): { workspace: AugeasWorkspace; engine: PolicyEngine; limits: SessionLimits; history: SaveHistory | undefined } {
    if (!this.current) throw new Error("the Augeas workspace is used before a policy was loaded");
    return this.current;
  }
}
