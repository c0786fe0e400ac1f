/**
 * A sandbox for one daemon: a temporary directory holding
 *
 *   root/etc/…     copies of test/fixtures/etc (the daemon's --root)
 *   outside/       files outside the root (targets of hostile symlinks)
 *   run/           where the daemon creates its socket (made by the daemon)
 *   secret         the shared key (0600), from the protocol's generateKey/formatKey
 *   policy.toml    the policy, written from a TOML string
 *   audit.log      the daemon's --audit-log
 *
 * and helpers to snapshot every file's bytes (and identity) under root/ and
 * outside/, so a test can assert, after a refusal, that nothing on disk moved.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodeBase64, formatKey, generateKey } from "@machina/protocol";
import { STANDARD_POLICY } from "./policies.js";

/** test/fixtures/etc, from test/dist/harness/. */
export const FIXTURES_ETC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/etc");

/** The text of a fixture file, e.g. fixtureText("hosts"). */
export function fixtureText(rel: string): string {
  return fs.readFileSync(path.join(FIXTURES_ETC, rel), "utf8");
}

export interface SandboxOptions {
  /** The policy's TOML text (default: STANDARD_POLICY). */
  policy?: string;
}

/** One entry of a snapshot. */
interface EntryState {
  type: "file" | "symlink" | "dir" | "other";
  mode: number;
  /** Regular files: their bytes (base64, so assertion diffs stay printable). */
  bytes?: string;
  /** Symlinks: their target. */
  target?: string;
  ino: number;
  mtimeMs: number;
}

export type Snapshot = Map<string, EntryState>;

export class Sandbox {
  readonly dir: string;
  readonly root: string;
  readonly outside: string;
  readonly socket: string;
  readonly secretFile: string;
  readonly policyFile: string;
  readonly auditLog: string;
  readonly key: Uint8Array;
  /** The key as it appears in the secret file (base64, without the newline). */
  readonly keyBase64: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.root = path.join(dir, "root");
    this.outside = path.join(dir, "outside");
    this.socket = path.join(dir, "run", "machina.sock");
    this.secretFile = path.join(dir, "secret");
    this.policyFile = path.join(dir, "policy.toml");
    this.auditLog = path.join(dir, "audit.log");
    this.key = generateKey();
    this.keyBase64 = encodeBase64(this.key);
  }

  static create(options: SandboxOptions = {}): Sandbox {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-it-"));
    // mkdtemp makes it 0700; the daemon and clients run as root, so that is fine.
    const sb = new Sandbox(dir);
    fs.mkdirSync(sb.outside);
    sb.restoreFixtures();
    fs.writeFileSync(sb.secretFile, formatKey(sb.key), { mode: 0o600 });
    fs.chmodSync(sb.secretFile, 0o600);
    sb.writePolicy(options.policy ?? STANDARD_POLICY);
    return sb;
  }

  /** Replaces root/ with fresh copies of the fixtures. */
  restoreFixtures(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
    fs.mkdirSync(this.root);
    fs.cpSync(FIXTURES_ETC, path.join(this.root, "etc"), { recursive: true });
  }

  writePolicy(toml: string): void {
    fs.writeFileSync(this.policyFile, toml, { mode: 0o644 });
  }

  /** Writes another key file (0600) and answers its path. */
  writeSecret(name: string, key: Uint8Array, mode = 0o600): string {
    const file = path.join(this.dir, name);
    fs.writeFileSync(file, formatKey(key), { mode });
    fs.chmodSync(file, mode);
    return file;
  }

  /** The absolute path of a file below root/ ("/etc/hosts" or "etc/hosts"). */
  path(file: string): string {
    return path.join(this.root, file);
  }

  read(file: string): string {
    return fs.readFileSync(this.path(file), "utf8");
  }

  write(file: string, text: string): void {
    fs.writeFileSync(this.path(file), text);
  }

  stat(file: string): fs.Stats {
    return fs.statSync(this.path(file));
  }

  /** Every entry below root/ and outside/: type, mode, bytes, inode and mtime. */
  snapshot(): Snapshot {
    const out: Snapshot = new Map();
    for (const top of [this.root, this.outside]) walk(top, path.relative(this.dir, top), out);
    return out;
  }

  /**
   * Asserts that every file below root/ and outside/ is byte-identical to the
   * snapshot, that no entry appeared or vanished, and (unless
   * `{ metadata: false }`) that no file was rewritten (same inode and mtime).
   */
  assertUnchanged(before: Snapshot, options: { metadata?: boolean } = {}): void {
    const after = this.snapshot();
    const keys = (s: Snapshot) => [...s.keys()].sort();
    assert.deepEqual(keys(after), keys(before), "the set of files in the sandbox changed");
    for (const [name, was] of before) {
      const now = after.get(name)!;
      assert.equal(now.type, was.type, `${name}: type changed`);
      if (was.bytes !== undefined) {
        const a = Buffer.from(was.bytes, "base64").toString("utf8");
        const b = Buffer.from(now.bytes ?? "", "base64").toString("utf8");
        assert.equal(b, a, `${name}: content changed`);
        assert.equal(now.bytes, was.bytes, `${name}: bytes changed`);
      }
      assert.equal(now.target, was.target, `${name}: symlink target changed`);
      assert.equal(now.mode, was.mode, `${name}: mode changed`);
      if (options.metadata !== false && was.type !== "dir") {
        assert.equal(now.ino, was.ino, `${name}: replaced (inode changed)`);
        assert.equal(now.mtimeMs, was.mtimeMs, `${name}: rewritten (mtime changed)`);
      }
    }
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function walk(abs: string, rel: string, out: Snapshot): void {
  const st = fs.lstatSync(abs);
  const base = { mode: st.mode & 0o7777, ino: st.ino, mtimeMs: st.mtimeMs };
  if (st.isSymbolicLink()) {
    out.set(rel, { type: "symlink", ...base, target: fs.readlinkSync(abs) });
  } else if (st.isFile()) {
    out.set(rel, { type: "file", ...base, bytes: fs.readFileSync(abs).toString("base64") });
  } else if (st.isDirectory()) {
    out.set(rel, { type: "dir", ...base });
    for (const name of fs.readdirSync(abs).sort()) walk(path.join(abs, name), path.join(rel, name), out);
  } else {
    out.set(rel, { type: "other", ...base });
  }
}
