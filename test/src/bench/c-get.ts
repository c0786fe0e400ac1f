/**
 * `c.get` and `c.setsave`: compiles test/bench/c-get.c and c-setsave.c with
 * the system's cc and `pkg-config augeas` into a temporary directory and runs
 * them: c-get on the bench tree (one mean-per-call figure per batch),
 * c-setsave on a copy of its /etc/hosts (one figure per set + save).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchSize, ScenarioResult } from "./results.js";
import { latencyResult } from "./stats.js";
import { GET_PATH, HOSTS_FILE, HOSTS_LENS, SET_PATH } from "./bench-sandbox.js";

/** test/bench/, from test/dist/bench/. */
const SOURCES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bench");

function pkgConfig(args: string[]): string[] {
  return execFileSync("pkg-config", args, { encoding: "utf8" }).trim().split(/\s+/).filter(Boolean);
}

/** Compiles test/bench/NAME.c; answers the program's path (inside `dir`). */
export function compileCProgram(dir: string, name: "c-get" | "c-setsave"): string {
  const out = path.join(dir, name);
  const flags = [...pkgConfig(["--cflags", "augeas"]), "-O2", "-o", out, path.join(SOURCES, `${name}.c`), ...pkgConfig(["--libs", "augeas"])];
  execFileSync("cc", flags, { stdio: ["ignore", "inherit", "inherit"] });
  return out;
}

export function cGet(root: string, size: BenchSize): ScenarioResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-bench-cc-"));
  try {
    const exe = compileCProgram(dir, "c-get");
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

/** `c.setsave`: aug_set + aug_save of SET_PATH, each pair timed, on a copy of the tree's /etc/hosts. */
export function cSetSave(root: string, size: BenchSize): ScenarioResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-bench-cc-"));
  try {
    const exe = compileCProgram(dir, "c-setsave");
    const copy = path.join(dir, "root");
    fs.mkdirSync(path.join(copy, "etc"), { recursive: true });
    fs.copyFileSync(path.join(root, HOSTS_FILE), path.join(copy, HOSTS_FILE));
    const text = execFileSync(exe, [copy, HOSTS_LENS, HOSTS_FILE, SET_PATH, String(size.setsaveSamples)], { encoding: "utf8", env: {}, maxBuffer: 16 * 1024 * 1024 });
    const samples = text.trim().split("\n").map(Number);
    if (samples.length !== size.setsaveSamples || samples.some((x) => !Number.isFinite(x))) throw new Error(`c-setsave printed something unexpected:\n${text.slice(0, 500)}`);
    if (!fs.readFileSync(path.join(copy, HOSTS_FILE), "utf8").includes("c-bench-")) throw new Error("c-setsave: the saves did not reach the file");
    return latencyResult(samples);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
