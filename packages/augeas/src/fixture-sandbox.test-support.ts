// Test support (not a test file): temporary Augeas roots holding copies of
// packages/augeas/fixtures, so tests never touch the real /etc.
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Augeas } from "#src/augeas.js";
import type { AugeasOptions } from "#src/options.js";

/** packages/augeas/fixtures, from dist-test/. */
export const fixturesDir = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** The fixture files and the lens each is loaded with. */
export const fixtureTransforms: ReadonlyArray<readonly [lens: string, file: string]> = [
  ["Hosts.lns", "/etc/hosts"],
  ["Hostname.lns", "/etc/hostname"],
  ["Sshd.lns", "/etc/ssh/sshd_config"],
  ["Fstab.lns", "/etc/fstab"],
  ["Shellvars.lns", "/etc/default/grub"],
];

export interface Sandbox {
  root: string;
  /** Absolute path of `file` (e.g. "/etc/hosts") inside the root. */
  path(file: string): string;
  read(file: string): string;
  mtimeMs(file: string): number;
  /** Copies fixtures/`from` to `file` inside the root. */
  add(from: string, file: string): void;
  remove(): void;
}

export function makeSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), "augeas-test-"));
  cpSync(join(fixturesDir, "etc"), join(root, "etc"), { recursive: true });
  const path = (file: string): string => join(root, file);
  return {
    root,
    path,
    read: (file) => readFileSync(path(file), "utf8"),
    mtimeMs: (file) => statSync(path(file)).mtimeMs,
    add: (from, file) => cpSync(join(fixturesDir, from), path(file)),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The daemon's way of opening Augeas: no autoload, one transform per file. */
export function openSandbox(sandbox: Sandbox, options: AugeasOptions = {}, load = true): Augeas {
  const aug = new Augeas({ root: sandbox.root, noModuleAutoload: true, noLoad: true, ...options });
  for (const [lens, file] of fixtureTransforms) aug.transform(lens, file);
  if (load) aug.load();
  return aug;
}
