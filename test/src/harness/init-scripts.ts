/**
 * A temporary init directory holding copies of the real LSB init scripts in
 * test/fixtures/service, for machinad's initd backend (`--initd-dir`). The
 * scripts keep their state (pid files, what ran) in `state/` beside it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES_SERVICE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/service");

export class InitScripts {
  readonly dir: string;
  readonly initd: string;
  readonly state: string;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-initd-"));
    this.initd = path.join(this.dir, "init.d");
    this.state = path.join(this.dir, "state");
    fs.mkdirSync(this.initd, { mode: 0o755 });
    fs.chmodSync(this.initd, 0o755);
  }

  /** Installs fixture `script` as `as` with `mode` (root-owned, like a package would). */
  install(script: string, as = script, mode = 0o755): string {
    const file = path.join(this.initd, as);
    fs.copyFileSync(path.join(FIXTURES_SERVICE, script), file);
    fs.chmodSync(file, mode);
    return file;
  }

  /** The pid in state/NAME.pid, if the file is there. */
  pid(name: string): number | undefined {
    const f = path.join(this.state, `${name}.pid`);
    return fs.existsSync(f) ? Number(fs.readFileSync(f, "utf8").trim()) : undefined;
  }

  /** True when state/NAME.ran exists: the probe script ran under that name. */
  ran(name: string): boolean {
    return fs.existsSync(path.join(this.state, `${name}.ran`));
  }

  stateFile(name: string): string {
    return path.join(this.state, name);
  }

  /** Kills what the scripts started and removes the directory. */
  cleanup(): void {
    for (const f of fs.existsSync(this.state) ? fs.readdirSync(this.state) : []) {
      if (!f.endsWith(".pid") && !f.endsWith(".child")) continue;
      const pid = Number(fs.readFileSync(path.join(this.state, f), "utf8").trim());
      try {
        if (pid > 1) process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Running and not a zombie (in a container PID 1 may never reap what it inherits). */
export function processAlive(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("Z");
  } catch {
    return false;
  }
}
