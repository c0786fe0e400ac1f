/**
 * Init scripts: `/etc/init.d/NAME ACTION` (the directory is configurable for
 * tests), run with an argument vector, no shell, a cleared environment
 * (`PATH`, `LANG=C`), a timeout that kills the script's whole process group,
 * and an output cap. Before anything runs, the script must be a regular file
 * (not a symlink) owned by root and not writable by group or others, in a
 * directory with the same properties below directories only root can change
 * (../trusted-path.ts): anyone who could change it could run code as root
 * through the panel's buttons.
 *
 * Whether a script starts at boot is its links in /etc/rc?.d, read beside the
 * init directory and changed with Debian's update-rc.d. update-rc.d always
 * reads /etc/init.d and changes /etc/rc?.d (its DPKG_ROOT reaches only part of
 * its work: the LSB header of `disable`/`enable`, insserv and rc-update ignore
 * it), so with scripts anywhere else (--initd-dir, a sandbox) it is not run:
 * it would change another tree's links.
 */
import fs from "node:fs";
import path from "node:path";
import type { ServiceStatus } from "@machina/protocol";
import { Fault, NotFoundFault, PolicyDeniedFault } from "../faults.js";
import { runBounded, type BoundedRunResult } from "./bounded-process.js";
import { describeActionExit, stateFromStatusExit } from "./lsb-exit-codes.js";
import type { ServiceBackend, ServiceChange } from "./service-backend.js";
import { initScriptName } from "./service-name.js";
import { untrustedAncestorBecause, untrustedBecause } from "../trusted-path.js";

export const DEFAULT_INITD_DIR = "/etc/init.d";
/** Debian's tool for the /etc/rc?.d links (init-system-helpers). */
const UPDATE_RC_D = "/usr/sbin/update-rc.d";
/** The runlevels whose start links mean "started at boot": rcS.d (early boot) and the multi-user levels. */
const BOOT_LEVELS = ["S", "2", "3", "4", "5"] as const;
const ALL_LEVELS = ["S", "0", "1", "2", "3", "4", "5", "6"] as const;

/** The environment every init script gets, and nothing else. */
const SCRIPT_ENV: Readonly<Record<string, string>> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C",
};

export interface InitdBackendOptions {
  /** Where the scripts are (default /etc/init.d). */
  dir?: string;
  timeoutMs: number;
  /** Bytes of output kept (default 64 KiB). */
  maxOutputBytes?: number;
}

export class InitdBackend implements ServiceBackend {
  readonly kind = "initd" as const;
  readonly dir: string;

  constructor(private readonly options: InitdBackendOptions) {
    this.dir = path.resolve(options.dir ?? DEFAULT_INITD_DIR);
  }

  canonicalName(name: string): string | undefined {
    return initScriptName(name);
  }

  async status(name: string): Promise<ServiceStatus> {
    const r = await this.run(name, "status");
    const state = r.code === null ? "unknown" : stateFromStatusExit(r.code);
    const detail = r.output.trim();
    const enabled = this.enabledAtBoot(name);
    return { name, active: state === "active", state, ...(detail ? { detail: withTruncation(detail, r) } : {}), ...(enabled !== undefined ? { enabled } : {}) };
  }

  /**
   * `update-rc.d NAME defaults` (links from the LSB header, when the script
   * has none) then `update-rc.d NAME enable` (stop links of the boot levels
   * become start links again); or `update-rc.d NAME disable`. The name passed
   * is canonical: no leading `-` (update-rc.d knows no `--`) and none of the
   * glob characters its Perl globs would expand.
   */
  async setEnabled(name: string, enabled: boolean): Promise<ServiceStatus> {
    const verb = enabled ? "enable" : "disable";
    this.checkedScript(name);
    // A script without any link is not started at boot: disabling it has nothing to do (and update-rc.d would fail).
    if (!enabled && !this.hasLinks(name)) return this.status(name);
    if (this.dir !== DEFAULT_INITD_DIR || fs.realpathSync(this.dir) !== DEFAULT_INITD_DIR) {
      throw new Fault(
        "backend-failed",
        `${name} ${verb}: update-rc.d works only on /etc/init.d and /etc/rc?.d, and this daemon's init scripts are elsewhere (--initd-dir); refusing to change the links of another tree`,
        { backend: "initd", retryable: false },
      );
    }
    for (const step of enabled ? ["defaults", "enable"] : ["disable"]) {
      const r = await this.exec(UPDATE_RC_D, [name, step], `${name} ${verb}`, "update-rc.d");
      const output = r.output.trim();
      if (r.code !== 0) {
        throw new Fault("backend-failed", `${name} ${verb}: update-rc.d ${step} failed (${r.code === null ? `killed by ${r.signal}` : `exit status ${r.code}`})${output ? `: ${lastLine(output)}` : ""}`, {
          backend: "initd",
          retryable: false,
          ...(r.code !== null ? { exitCode: r.code } : {}),
          detail: withTruncation(output, r),
        });
      }
    }
    return this.status(name);
  }

  async change(action: ServiceChange, name: string): Promise<ServiceStatus> {
    const r = await this.run(name, action);
    const output = r.output.trim();
    if (r.code !== 0) {
      const why = r.code === null ? `killed by ${r.signal}` : describeActionExit(r.code);
      throw new Fault("backend-failed", `${name} ${action} failed: ${why}${output ? `: ${lastLine(output)}` : ""}`, {
        backend: "initd",
        retryable: false,
        ...(r.code !== null ? { exitCode: r.code } : {}),
        detail: withTruncation(output, r),
      });
    }
    const after = await this.status(name);
    return output ? { ...after, detail: withTruncation(output, r) } : after;
  }

  async existing(): Promise<string[]> {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.dir, { withFileTypes: true });
    } catch {
      return [];
    }
    return entries.filter((e) => e.isFile() && initScriptName(e.name) !== undefined).map((e) => e.name).sort();
  }

  close(): void {}

  /** Checks the script and runs it with one argument. */
  private async run(name: string, action: string): Promise<BoundedRunResult> {
    return this.exec(this.checkedScript(name), [action], `${name} ${action}`, "the init script");
  }

  /** Runs a program the init-script way, turning a failure to start and a timeout into Faults. */
  private async exec(file: string, args: string[], what: string, program: string): Promise<BoundedRunResult> {
    let r: BoundedRunResult;
    try {
      r = await runBounded(file, args, { env: { ...SCRIPT_ENV }, timeoutMs: this.options.timeoutMs, maxOutputBytes: this.options.maxOutputBytes ?? 64 * 1024 });
    } catch (e) {
      throw new Fault("backend-failed", `${what}: ${program} could not be run (${(e as NodeJS.ErrnoException).code ?? "error"})`, {
        backend: "initd",
        retryable: false,
      });
    }
    if (r.timedOut) {
      throw new Fault("timeout", `${what}: ${program} did not finish within ${this.options.timeoutMs} ms and was killed`, {
        timeoutMs: this.options.timeoutMs,
      });
    }
    return r;
  }

  /** The rc?.d link names of the levels given, beside the init directory; undefined when none of those directories exists. */
  private links(name: string, levels: readonly string[]): string[] | undefined {
    const etc = path.dirname(this.dir);
    let found: string[] | undefined;
    for (const level of levels) {
      let entries: string[];
      try {
        entries = fs.readdirSync(path.join(etc, `rc${level}.d`));
      } catch {
        continue;
      }
      found ??= [];
      for (const e of entries) if (/^[SK][0-9]{2}/.test(e) && e.slice(3) === name) found.push(e);
    }
    return found;
  }

  /** True when a start link in a boot level exists, false when none does, undefined without rc?.d directories. */
  private enabledAtBoot(name: string): boolean | undefined {
    return this.links(name, BOOT_LEVELS)?.some((l) => l.startsWith("S"));
  }

  private hasLinks(name: string): boolean {
    return (this.links(name, ALL_LEVELS)?.length ?? 0) > 0;
  }

  /** The script's path, once it is known to be safe to run as root. */
  private checkedScript(name: string): string {
    // Callers pass canonical names; checking again keeps a path out of path.join whatever happens.
    if (initScriptName(name) !== name) throw new Fault("invalid-params", `${JSON.stringify(name)} is not an init script name`, { param: "/name" });
    const dir = fs.statSync(this.dir, { throwIfNoEntry: false });
    if (!dir?.isDirectory()) throw new NotFoundFault(`no init script ${name} (there is no init script directory)`, name);
    const unsafeDir = untrustedBecause(dir) ?? this.untrustedAncestor();
    if (unsafeDir) throw new PolicyDeniedFault(name, `refusing to run it: the init script directory ${unsafeDir}`);
    const file = path.join(this.dir, name);
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!st) throw new NotFoundFault(`no such service: there is no init script ${name}`, name);
    if (!st.isFile()) throw new PolicyDeniedFault(name, `refusing to run it: the init script is not a regular file${st.isSymbolicLink() ? " (a symlink)" : ""}`);
    const unsafeFile = untrustedBecause(st);
    if (unsafeFile) throw new PolicyDeniedFault(name, `refusing to run it: the init script ${unsafeFile}`);
    if ((st.mode & 0o100) === 0) {
      throw new Fault("backend-failed", `${name}: the init script is not executable`, { backend: "initd", retryable: false });
    }
    return file;
  }

  /** Why a directory above the init script directory (as written, and after symbolic links) lets another user swap it, or undefined. */
  private untrustedAncestor(): string | undefined {
    const parents = new Set([path.dirname(this.dir), path.dirname(fs.realpathSync(this.dir))]);
    for (const parent of parents) {
      const why = untrustedAncestorBecause(parent);
      if (why) return `is below ${why}`;
    }
    return undefined;
  }
}

function withTruncation(text: string, r: BoundedRunResult): string {
  return r.truncated ? `${text}\n[output truncated]` : text;
}

function lastLine(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return (lines[lines.length - 1] ?? "").slice(0, 200);
}
