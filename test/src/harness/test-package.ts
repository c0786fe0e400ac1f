/**
 * The real Debian package the tests install and remove (`hello`), dpkg's view
 * of it, and a machine-wide lock: two test files (or two runs of the suite)
 * must not install and remove it under each other.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { waitFor } from "./wait.js";

export const TEST_PACKAGE = "hello";
export const APT_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C", DEBIAN_FRONTEND: "noninteractive" };

/** dpkg's view of the package: its status line, or "unknown" when dpkg has never heard of it. */
export function dpkgState(name = TEST_PACKAGE): string {
  const r = spawnSync("/usr/bin/dpkg-query", ["-W", "-f", "${db:Status-Status} ${Version}", "--", name], { env: APT_ENV, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "unknown";
}

export function installed(name = TEST_PACKAGE): boolean {
  return dpkgState(name).startsWith("installed");
}

/** Removes the package directly with apt-get (test setup and cleanup, not through the daemon). */
export function removeDirectly(name = TEST_PACKAGE): void {
  if (!installed(name)) return;
  const r = spawnSync("/usr/bin/apt-get", ["remove", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", "--", name], { env: APT_ENV, encoding: "utf8", timeout: 600_000 });
  assert.equal(r.status, 0, `could not remove ${name} before/after the tests: ${r.stderr}`);
}

/**
 * Takes the machine-wide package-test lock. `flock` holds the lock while `cat`
 * runs; cat echoing a line back says the lock is ours, and ending its stdin
 * (`release`) lets it go.
 */
export async function holdPackageLock(): Promise<{ release(): void }> {
  const holder = spawn("/usr/bin/flock", ["-w", "1800", "/run/lock/machina-package-test.lock", "/bin/cat"], { stdio: ["pipe", "pipe", "inherit"] });
  let echoed = "";
  holder.stdout.setEncoding("utf8").on("data", (s: string) => (echoed += s));
  holder.stdin.write("locked\n");
  await waitFor(() => echoed.includes("locked") || (holder.exitCode !== null && Promise.reject(new Error("flock gave up"))), "the package test lock", () => "", 1_900_000);
  return { release: () => void holder.stdin.end() };
}
