/**
 * The example web panel (examples/web-panel) as a real process for the
 * browser tests, run the way it is meant to be: as an unprivileged user
 * (`nobody`, through as-user.ts), talking to the sandbox's machinad through its
 * socket with the shared secret it can read as a member of the socket's group.
 * It runs from its bundle (scripts/bundle.mjs: the panel and @machina/client in
 * one file), staged with its static files outside the checkout, as npm start
 * runs it: nobody may not be able to read the checkout.
 */
import { type ChildProcess } from "node:child_process";
import path from "node:path";
import { NOBODY, spawnAs, stageForUser } from "./as-user.js";
import { REPO_ROOT } from "./command.js";
import { waitFor } from "./wait.js";

const PANEL_DIR = path.join(REPO_ROOT, "examples/web-panel");

let stagedPanel: string | undefined;
/** The panel's entry point in a copy nobody can read: bundle/web-panel.mjs and public/, staged once per test process. */
function panelEntry(): string {
  stagedPanel ??= stageForUser(NOBODY, { bundle: path.join(PANEL_DIR, "bundle"), public: path.join(PANEL_DIR, "public") });
  return path.join(stagedPanel, "bundle", "web-panel.mjs");
}

export interface PanelOptions {
  socket: string;
  secretFile: string;
  passwordFile: string;
  title?: string;
}

export class PanelProcess {
  private stdoutText = "";
  private stderrText = "";
  private exitCode: number | null | undefined;
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (this.stdoutText += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (this.stderrText += s));
    this.exited = new Promise((resolve) =>
      child.once("close", (code) => {
        this.exitCode = code;
        resolve();
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The panel's log (stderr) and stdout, for failure messages. */
  describe(): string {
    return `--- web panel stdout ---\n${this.stdoutText}--- web panel stderr ---\n${this.stderrText}--- end ---`;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** The URL the panel printed once listening. */
  async url(): Promise<string> {
    return waitFor(
      () => {
        if (!this.running) throw new Error(`the web panel exited (${this.exitCode}) before listening\n${this.describe()}`);
        return /listening on (http:\/\/\S+)/.exec(this.stdoutText)?.[1];
      },
      "the web panel to listen",
      () => this.describe(),
    );
  }

  async stop(): Promise<void> {
    if (this.running) this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Starts the panel as nobody on 127.0.0.1 and a free port. */
export function startPanel(options: PanelOptions): PanelProcess {
  const argv = [
    process.execPath,
    panelEntry(),
    "--port",
    "0",
    "--socket",
    options.socket,
    "--secret-file",
    options.secretFile,
    "--password-file",
    options.passwordFile,
    ...(options.title ? ["--title", options.title] : []),
  ];
  const child = spawnAs(NOBODY, argv);
  live.add(child);
  child.once("close", () => live.delete(child));
  return new PanelProcess(child);
}
