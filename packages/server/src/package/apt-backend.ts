/**
 * Package management through apt-get, dpkg-query and apt-cache. Every run is
 * an argument vector with `--` before the package name, a cleared
 * environment, a time limit and an output cap (see run-program.ts). Names
 * reaching here have been checked against the Debian name grammar and the
 * policy already; this file adds what only apt can tell — a simulation of
 * each change, so a removal cannot take other packages (or machinad's own)
 * with it and an install cannot upgrade machinad.
 */
import type { ProgressUpdate } from "@machina/protocol";
import { Fault, PolicyDeniedFault, TimeoutFault } from "../faults.js";
import type { Logger } from "../logger.js";
import { runProgram, SAFE_PATH, type ProgramResult } from "../process/run-program.js";
import { errorLines, lockHeld, nameWasReinterpreted, parseCandidate, parseSimulation, warningLines, type PlannedAction } from "./apt-output.js";
import { parseStatusLine } from "./status-fd.js";

export interface AptBackendOptions {
  /** Time limit of one apt-get install/remove/update run. */
  timeoutMs: number;
  /** machinad's own package: never removed or upgraded from a call. */
  selfPackage: string;
  logger: Logger;
  /** Program locations, for tests; default the Debian ones. */
  programs?: Partial<Record<"aptGet" | "aptCache" | "dpkgQuery", string>>;
}

export interface PackageState {
  name: string;
  state: string;
  installed: string | null;
  candidate: string | null;
}

/** Everything apt and dpkg get from us: no proxy, locale or debconf settings of the daemon leak in. */
const APT_ENV: Record<string, string> = {
  PATH: SAFE_PATH,
  LC_ALL: "C",
  DEBIAN_FRONTEND: "noninteractive",
  APT_LISTCHANGES_FRONTEND: "none",
};

/** Options every apt-get run gets: fail at once on a held lock, keep changed conffiles, no questions. */
const APT_COMMON = [
  "-q",
  "-o", "DPkg::Lock::Timeout=0",
  "-o", "Dpkg::Options::=--force-confdef",
  "-o", "Dpkg::Options::=--force-confold",
  "-o", "APT::Get::AutomaticRemove=false",
];

/** Bytes of apt's output kept (the log of a big install is long; only its error lines matter). */
const APT_OUTPUT_CAP = 4 * 1024 * 1024;
/** Time limit of the quick queries (dpkg-query, apt-cache, simulations). */
const QUERY_TIMEOUT_MS = 60_000;

export class AptBackend {
  private readonly aptGet: string;
  private readonly aptCache: string;
  private readonly dpkgQuery: string;

  constructor(private readonly options: AptBackendOptions) {
    this.aptGet = options.programs?.aptGet ?? "/usr/bin/apt-get";
    this.aptCache = options.programs?.aptCache ?? "/usr/bin/apt-cache";
    this.dpkgQuery = options.programs?.dpkgQuery ?? "/usr/bin/dpkg-query";
  }

  get selfPackage(): string {
    return this.options.selfPackage;
  }

  async status(name: string): Promise<PackageState> {
    const dpkg = await this.run(this.dpkgQuery, ["-W", "-f", "${Version}\t${db:Status-Status}\n", "--", name], QUERY_TIMEOUT_MS);
    let state = "not-installed";
    let installed: string | null = null;
    // dpkg-query exits 1 for a package it has never heard of: that is "not-installed", not a failure.
    if (dpkg.exitCode === 0) {
      const [version = "", status = ""] = dpkg.stdout.toString("utf8").split("\n")[0]!.split("\t");
      if (status) state = status;
      if (version && state !== "not-installed" && state !== "config-files") installed = version;
    } else if (dpkg.exitCode !== 1) {
      throw this.failure("dpkg-query", dpkg);
    }
    const policy = await this.run(this.aptCache, ["policy", "--", name], QUERY_TIMEOUT_MS);
    if (policy.exitCode !== 0) throw this.failure("apt-cache", policy);
    return { name, state, installed, candidate: parseCandidate(policy.stdout.toString("utf8")) };
  }

  /** Installs `name`; answers false when it was installed already (nothing run: an install never upgrades). */
  async install(name: string, progress: (u: ProgressUpdate) => void): Promise<boolean> {
    if ((await this.status(name)).installed !== null) return false;
    const plan = await this.simulate(["install", "--no-install-recommends", "--no-remove"], name);
    // Dependencies may be installed or upgraded with it, as apt decides — but never machinad itself.
    const self = plan.find((p) => p.name === this.selfPackage);
    if (self) throw new PolicyDeniedFault(name, `installing it would ${self.action} machinad's own package ${this.selfPackage}`);
    if (plan.some((p) => p.action === "remove")) throw new PolicyDeniedFault(name, "installing it would remove other packages");
    if (!plan.some((p) => p.name === name)) return false;
    await this.change(["install", "-y", "--no-install-recommends", "--no-remove"], name, progress);
    return true;
  }

  /** Removes `name` (configuration files are kept); answers false when it was not installed. */
  async remove(name: string, progress: (u: ProgressUpdate) => void): Promise<boolean> {
    if ((await this.status(name)).installed === null) return false;
    const plan = await this.simulate(["remove"], name);
    const others = plan.filter((p) => !(p.action === "remove" && p.name === name)).map((p) => p.name);
    if (others.includes(this.selfPackage)) throw new PolicyDeniedFault(name, `removing it would also remove machinad's own package ${this.selfPackage}`);
    if (others.length) throw new PolicyDeniedFault(name, `removing it would also change ${others.slice(0, 20).join(", ")}${others.length > 20 ? ", …" : ""}`);
    if (plan.length === 0) return false;
    await this.change(["remove", "-y"], name, progress);
    return true;
  }

  /** Refreshes the package lists; answers apt's warnings. */
  async update(progress: (u: ProgressUpdate) => void): Promise<string[]> {
    const r = await this.runApt(["update"], progress);
    return warningLines(`${r.stdout.toString("utf8")}\n${r.stderr.toString("utf8")}`);
  }

  private async simulate(args: string[], name: string): Promise<PlannedAction[]> {
    const r = await this.run(this.aptGet, ["-s", ...APT_COMMON, ...args, "--", name], QUERY_TIMEOUT_MS);
    if (r.exitCode !== 0) throw this.failure("apt-get", r);
    const stdout = r.stdout.toString("utf8");
    if (nameWasReinterpreted(stdout)) throw new PolicyDeniedFault(name, "apt would read the name as a pattern or a virtual package, not this package");
    return parseSimulation(stdout);
  }

  private async change(args: string[], name: string, progress: (u: ProgressUpdate) => void): Promise<void> {
    await this.runApt([...args, "--", name], progress);
  }

  private async runApt(args: string[], progress: (u: ProgressUpdate) => void): Promise<ProgramResult> {
    let last = "";
    const r = await this.run(this.aptGet, [...APT_COMMON, "-o", "APT::Status-Fd=3", ...args], this.options.timeoutMs, (line) => {
      const update = parseStatusLine(line);
      if (!update) return;
      // apt repeats itself (the same dlstatus many times a second); send only changes.
      const key = JSON.stringify(update);
      if (key === last) return;
      last = key;
      progress(update);
    });
    if (r.timedOut) {
      this.options.logger.error(`apt-get ${args.join(" ")}: no result within ${this.options.timeoutMs} ms; stopped`);
      throw new TimeoutFault(this.options.timeoutMs);
    }
    if (r.exitCode !== 0) throw this.failure("apt-get", r);
    return r;
  }

  private async run(program: string, args: string[], timeoutMs: number, onStatusLine?: (line: string) => void): Promise<ProgramResult> {
    try {
      return await runProgram(program, args, {
        env: APT_ENV,
        timeoutMs,
        maxOutputBytes: APT_OUTPUT_CAP,
        ...(onStatusLine ? { onStatusLine } : {}),
      });
    } catch (e) {
      this.options.logger.error(`cannot run ${program}`, e);
      throw new Fault("backend-failed", `cannot run ${program}`, { backend: "apt", retryable: false });
    }
  }

  private failure(program: string, r: ProgramResult): Fault {
    const stderr = r.stderr.toString("utf8");
    const detail = errorLines(stderr) || `exit status ${r.exitCode ?? r.signal}`;
    this.options.logger.warn(`${program} failed (${r.exitCode ?? r.signal}): ${detail}`);
    if (r.timedOut) return new Fault("backend-failed", `${program} did not finish in time`, { backend: "apt", retryable: true, detail });
    if (lockHeld(stderr)) {
      return new Fault("backend-failed", "another process holds the package system's lock (another apt or dpkg is running); try again later", {
        backend: "apt",
        retryable: true,
        detail,
      });
    }
    return new Fault("backend-failed", `${program} failed: ${detail}`, { backend: "apt", retryable: false, detail });
  }
}
