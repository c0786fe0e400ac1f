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
import { newTagKey } from "./file-tag.js";

export class AugeasLocalRuntime {
  private current: { workspace: AugeasWorkspace; engine: PolicyEngine; limits: SessionLimits } | undefined;

  constructor(
    private readonly root: string,
    private readonly logger: Logger,
  ) {}

  /** The session's resource limits of the current policy's workspace (limits.ts). */
  get limits(): SessionLimits {
    return this.live().limits;
  }

  get workspace(): AugeasWorkspace {
    return this.live().workspace;
  }

  get engine(): PolicyEngine {
    return this.live().engine;
  }

  /**
   * Opens a workspace for `section` within `limits` (closing the previous
   * one), making file tags with `tagKey` (file-tag.ts); answers its files and
   * their load problems.
   */
  usePolicy(section: AugeasSection, limits: SessionLimits = DEFAULT_SESSION_LIMITS, tagKey: Buffer = newTagKey()): WorkspaceFile[] {
    this.current?.workspace.close();
    this.current = undefined;
    const unnamed = section.files.filter((f) => !f.lens).map((f) => f.path);
    const workspace = new AugeasWorkspace(this.root, section, scanDefaultLenses(unnamed).lenses, this.logger, limits, tagKey);
    this.current = { workspace, engine: new PolicyEngine(section, limits), limits };
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

  private live(): { workspace: AugeasWorkspace; engine: PolicyEngine; limits: SessionLimits } {
    if (!this.current) throw new Error("the Augeas workspace is used before a policy was loaded");
    return this.current;
  }
}
