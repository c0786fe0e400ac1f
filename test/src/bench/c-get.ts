/**
 * `c.get`: compiles test/bench/c-get.c with the system's cc and
 * `pkg-config augeas` into a temporary directory, runs it on the bench tree
 * and reads one mean-per-call figure per batch.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchSize, ScenarioResult } from "./results.js";
import { latencyResult } from "./stats.js";
import { GET_PATH, HOSTS_FILE, HOSTS_LENS } from "./bench-sandbox.js";

/** test/bench/c-get.c, from test/dist/bench/. */
const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bench/c-get.c");

function pkgConfig(args: string[]): string[] {
  return execFileSync("pkg-config", args, { encoding: "utf8" }).trim().split(/\s+/).filter(Boolean);
}

/** Compiles the C program; answers its path (inside `dir`). */
export function compileCGet(dir: string): string {
  const out = path.join(dir, "c-get");
  const flags = [...pkgConfig(["--cflags", "augeas"]), "-O2", "-o", out, SOURCE, ...pkgConfig(["--libs", "augeas"])];
  execFileSync("cc", flags, { stdio: ["ignore", "inherit", "inherit"] });
  return out;
}

export function cGet(root: string, size: BenchSize): ScenarioResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-bench-cc-"));
  try {
    const exe = compileCGet(dir);
    const text = execFileSync(exe, [root, HOSTS_LENS, HOSTS_FILE, GET_PATH, String(size.batches), String(size.batchSize)], {
      encoding: "utf8",
      env: {},
      maxBuffer: 16 * 1024 * 1024,
    });
    const samples = text.trim().split("\n").map(Number);
    if (samples.length !== size.batches || samples.some((x) => !Number.isFinite(x))) throw new Error(`c-get printed something unexpected:\n${text.slice(0, 500)}`);
    return latencyResult(samples);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
