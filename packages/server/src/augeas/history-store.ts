/**
 * The history of saves (`[[augeas.file]] history = N`): for each recorded
 * save, who made it and when, and per file the bytes it replaced and the hash
 * of the bytes it wrote — so `augeas.rollback` can put the previous version
 * back, and only while the file is still what that save left.
 *
 * Layout, below the history directory (--history-dir, root's, 0700):
 *
 *     <id>/             one entry, named by the audit id of the call that saved (0700)
 *       meta.json       the call (id, time, peer, method) and per file: path, whether it
 *                       existed, previous SHA-256 and size, new SHA-256, its blob (0600)
 *       <n>.prev        the previous bytes of the entry's n-th file (0600; none when the
 *                       file did not exist)
 *     .tmp-<id>-<rand>  an entry being written, renamed to <id> once complete
 *     .trash-<id>-<rand> an entry being removed
 *
 * Every write is atomic: an entry is assembled in a `.tmp-` directory and
 * renamed into place, meta.json is replaced by rename, an entry is renamed
 * aside before it is deleted — so a crash leaves whole entries or none, and
 * the leftovers (`.tmp-`, `.trash-`) are removed at the next open. Nothing
 * here follows a symbolic link: files are opened O_NOFOLLOW, entries are
 * lstat'ed and only real directories count, and the directory itself must be
 * one only root can change (trusted-path.ts) — it holds previous versions of
 * configuration files, secrets included.
 *
 * Bounded: per file the `keep(file)` newest entries that hold it (older ones
 * lose that file, and an entry with no file left goes), and in total
 * `maxBytes` (oldest entries go first). The store lives in the Augeas host,
 * the only process that writes it; it reads the directory once and keeps an
 * index in memory.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../logger.js";
import { untrustedAncestorBecause, untrustedBecause } from "../trusted-path.js";

/** An entry's name: an audit id (audit.ts), lower-case letters, digits and `-` — never `.`, `/` or a path. */
const ENTRY_ID = /^[0-9a-z]+(-[0-9a-z]+)*$/;
const MAX_ID_LENGTH = 64;
const META = "meta.json";
const FORMAT = 1;

/** The default total bound (--history-max-bytes). */
export const DEFAULT_HISTORY_MAX_BYTES = 64 * 1024 * 1024;
/** The default directory (--history-dir). */
export const DEFAULT_HISTORY_DIR = "/var/lib/machina/history";

export interface HistoryPeer {
  pid: number;
  uid: number;
  gid: number;
}

/** The call a save belongs to: what its audit line says of it. */
export interface HistoryCall {
  /** Its audit id. */
  id: string;
  /** When it started (ISO 8601). */
  time: string;
  peer: HistoryPeer;
  method: string;
}

/** One file of a stored entry. */
export interface StoredFile {
  /** The policy file (`/etc/hosts`). */
  file: string;
  /** The file existed before the save. */
  existed: boolean;
  /** SHA-256 (hex) of the bytes the save replaced; null when it did not exist. */
  previousSha256: string | null;
  /** SHA-256 (hex) of the bytes the save wrote; null when the save removed the file (a rollback to "did not exist"). */
  newSha256: string | null;
  /** Size of the bytes the save replaced (0 when it did not exist). */
  previousSize: number;
  /** The name of the file holding the previous bytes, in the entry's directory; absent when it did not exist. */
  blob?: string;
}

export interface StoredEntry extends HistoryCall {
  /** Position in the store: larger is newer (ids of different daemon runs do not sort). */
  order: number;
  files: StoredFile[];
}

/** What a save is about to do to one file. */
export interface FileVersions {
  file: string;
  /** The bytes on disk now; null when it does not exist. */
  previous: Buffer | null;
  /** The bytes the save writes; null when it removes the file. */
  next: Buffer | null;
}

/** The store cannot be used (its directory is unsafe, a write failed): the caller must not go on as if it had recorded. */
export class HistoryUnavailable extends Error {
  override readonly name = "HistoryUnavailable";
}

/** An entry bigger than the whole store's bound: it cannot be kept. */
export class HistoryEntryTooLarge extends Error {
  override readonly name = "HistoryEntryTooLarge";
}

interface Indexed {
  entry: StoredEntry;
  /** Bytes it takes on disk (meta.json and blobs). */
  bytes: number;
}

export function sha256(bytes: Buffer): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** True when `id` can name an entry (and so is safe to join to the directory). */
export function isHistoryId(id: string): boolean {
  return id.length <= MAX_ID_LENGTH && ENTRY_ID.test(id);
}

export class HistoryStore {
  private index: Map<string, Indexed> | undefined;
  /** The directory's device and inode when the index was read: another directory there means reading it again. */
  private indexedDir: { dev: number; ino: number } | undefined;
  private nextOrder = 1;

  constructor(
    /** Absolute path of the history directory; created (0700) when missing. */
    readonly dir: string,
    readonly maxBytes: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Checks the directory (creating it when missing) and reads the index;
   * throws HistoryUnavailable naming what is wrong. Every other method calls
   * it first, so the checks hold at each use, not only at start-up.
   */
  open(): void {
    const st = trustedDirectory(this.dir);
    if (!this.index || this.indexedDir?.dev !== st.dev || this.indexedDir.ino !== st.ino) {
      this.index = this.scan();
      this.indexedDir = { dev: st.dev, ino: st.ino };
    }
  }

  /** Every entry, newest first. */
  entries(): StoredEntry[] {
    this.open();
    return [...this.index!.values()].map((i) => i.entry).sort((a, b) => b.order - a.order);
  }

  /** The entry `id`, or undefined (also for a string that cannot be an id). */
  entry(id: string): StoredEntry | undefined {
    if (!isHistoryId(id)) return undefined;
    this.open();
    return this.index!.get(id)?.entry;
  }

  /** Total bytes the entries take. */
  get totalBytes(): number {
    this.open();
    let total = 0;
    for (const i of this.index!.values()) total += i.bytes;
    return total;
  }

  /**
   * The bytes `file` had before the save of entry `id`, or null when it did
   * not exist; checked against the hash recorded with them (a damaged blob
   * throws HistoryUnavailable rather than being restored).
   */
  previousBytes(id: string, file: string): Buffer | null {
    const entry = this.entry(id);
    const f = entry?.files.find((x) => x.file === file);
    if (!entry || !f) throw new HistoryUnavailable(`the history holds no version of ${file} in ${id}`);
    if (!f.existed) return null;
    const bytes = readNoFollow(path.join(this.dir, id, f.blob!));
    if (sha256(bytes) !== f.previousSha256 || bytes.length !== f.previousSize) {
      throw new HistoryUnavailable(`the previous version of ${file} in history entry ${id} is damaged (its hash differs from the one recorded)`);
    }
    return bytes;
  }

  /**
   * Records a save as one new entry, written whole or not at all, then
   * prunes: per file to `keep(file)` entries, in total to maxBytes (oldest
   * first). Throws HistoryEntryTooLarge when the entry alone exceeds
   * maxBytes (nothing written), HistoryUnavailable when it cannot be written.
   */
  add(call: HistoryCall, files: readonly FileVersions[], keep: (file: string) => number): StoredEntry {
    if (!isHistoryId(call.id)) throw new HistoryUnavailable(`${JSON.stringify(call.id)} cannot name a history entry`);
    this.open();
    const index = this.index!;
    if (index.has(call.id) || exists(path.join(this.dir, call.id))) throw new HistoryUnavailable(`a history entry ${call.id} exists already`);
    const stored: StoredFile[] = files.map((f, n) => ({
      file: f.file,
      existed: f.previous !== null,
      previousSha256: f.previous === null ? null : sha256(f.previous),
      newSha256: f.next === null ? null : sha256(f.next),
      previousSize: f.previous?.length ?? 0,
      ...(f.previous === null ? {} : { blob: `${n}.prev` }),
    }));
    const entry: StoredEntry = { id: call.id, time: call.time, peer: { pid: call.peer.pid, uid: call.peer.uid, gid: call.peer.gid }, method: call.method, order: this.nextOrder, files: stored };
    const meta = metaText(entry);
    const bytes = Buffer.byteLength(meta) + files.reduce((n, f) => n + (f.previous?.length ?? 0), 0);
    if (bytes > this.maxBytes) throw new HistoryEntryTooLarge(`the previous versions take ${bytes} bytes, more than --history-max-bytes (${this.maxBytes})`);

    const temp = path.join(this.dir, `.tmp-${call.id}-${crypto.randomBytes(6).toString("hex")}`);
    try {
      fs.mkdirSync(temp, { mode: 0o700 });
      files.forEach((f, n) => {
        if (f.previous !== null) writeNew(path.join(temp, `${n}.prev`), f.previous);
      });
      writeNew(path.join(temp, META), Buffer.from(meta));
      syncDirectory(temp);
      fs.renameSync(temp, path.join(this.dir, call.id));
      syncDirectory(this.dir);
    } catch (e) {
      fs.rmSync(temp, { recursive: true, force: true });
      throw new HistoryUnavailable(`cannot write history entry ${call.id} in ${this.dir}: ${(e as Error).message}`);
    }
    index.set(call.id, { entry, bytes });
    this.nextOrder++;
    this.prune(entry, keep);
    return entry;
  }

  /** Removes entry `id` (a save that was abandoned after its entry was written). */
  remove(id: string): void {
    if (!isHistoryId(id)) return;
    this.open();
    if (!this.index!.has(id)) return;
    this.removeEntry(id);
  }

  /** Per file of `added`, keeps its `keep(file)` newest versions; then the total bound, oldest entries first. */
  private prune(added: StoredEntry, keep: (file: string) => number): void {
    const index = this.index!;
    const newestFirst = () => [...index.values()].sort((a, b) => b.entry.order - a.entry.order);
    for (const { file } of added.files) {
      const holding = newestFirst().filter((i) => i.entry.files.some((f) => f.file === file));
      for (const old of holding.slice(Math.max(1, keep(file)))) this.dropFile(old.entry.id, file);
    }
    let total = 0;
    for (const i of index.values()) total += i.bytes;
    for (const oldest of newestFirst().reverse()) {
      if (total <= this.maxBytes || oldest.entry.id === added.id) break;
      total -= oldest.bytes;
      this.removeEntry(oldest.entry.id);
    }
  }

  /** Takes `file` out of entry `id`: meta.json rewritten without it (atomically), then its blob removed. */
  private dropFile(id: string, file: string): void {
    const index = this.index!;
    const indexed = index.get(id)!;
    const rest = indexed.entry.files.filter((f) => f.file !== file);
    if (rest.length === 0) return this.removeEntry(id);
    const gone = indexed.entry.files.filter((f) => f.file === file);
    const entry = { ...indexed.entry, files: rest };
    const dir = path.join(this.dir, id);
    const meta = metaText(entry);
    const temp = path.join(dir, `.${META}.${crypto.randomBytes(6).toString("hex")}`);
    try {
      writeNew(temp, Buffer.from(meta));
      fs.renameSync(temp, path.join(dir, META));
      syncDirectory(dir);
    } catch (e) {
      fs.rmSync(temp, { force: true });
      this.logger.warn(`history: could not prune ${file} from entry ${id}: ${(e as Error).message}`);
      return;
    }
    let freed = 0;
    for (const g of gone) {
      if (!g.blob) continue;
      freed += g.previousSize;
      fs.rmSync(path.join(dir, g.blob), { force: true });
    }
    index.set(id, { entry, bytes: indexed.bytes - freed - Buffer.byteLength(metaText(indexed.entry)) + Buffer.byteLength(meta) });
  }

  /** Renames the entry aside (so it is gone at once, even if the deletion is cut short), then deletes it. */
  private removeEntry(id: string): void {
    this.index!.delete(id);
    const trash = path.join(this.dir, `.trash-${id}-${crypto.randomBytes(6).toString("hex")}`);
    try {
      fs.renameSync(path.join(this.dir, id), trash);
      fs.rmSync(trash, { recursive: true, force: true });
    } catch (e) {
      this.logger.warn(`history: could not remove entry ${id}: ${(e as Error).message}`);
    }
  }

  /** Reads every entry; removes what interrupted writes and removals left; skips (and logs) anything else. */
  private scan(): Map<string, Indexed> {
    const index = new Map<string, Indexed>();
    let maxOrder = 0;
    for (const name of fs.readdirSync(this.dir)) {
      const at = path.join(this.dir, name);
      if (name.startsWith(".tmp-") || name.startsWith(".trash-")) {
        // rmSync removes a symbolic link itself, never what it points to.
        fs.rmSync(at, { recursive: true, force: true });
        continue;
      }
      try {
        if (!isHistoryId(name)) throw new Error("not an entry's name");
        const st = fs.lstatSync(at);
        if (!st.isDirectory()) throw new Error(st.isSymbolicLink() ? "a symbolic link" : "not a directory");
        const entry = parseMeta(readNoFollow(path.join(at, META)).toString("utf8"), name);
        let bytes = Buffer.byteLength(metaText(entry));
        for (const f of entry.files) {
          if (!f.blob) continue;
          const b = fs.lstatSync(path.join(at, f.blob));
          if (!b.isFile()) throw new Error(`${f.blob} is not a regular file`);
          bytes += b.size;
        }
        index.set(name, { entry, bytes });
        maxOrder = Math.max(maxOrder, entry.order);
      } catch (e) {
        this.logger.warn(`history: ignoring ${at}: ${(e as Error).message}`);
      }
    }
    this.nextOrder = maxOrder + 1;
    return index;
  }
}

/**
 * Makes sure `dir` is a directory only root can change, reached through
 * directories only root can change, and readable by root only (mode 0700,
 * tightened if it was looser); creates it (and missing parents, 0700) when
 * absent. Answers its lstat. A symbolic link is refused, not followed.
 */
export function trustedDirectory(dir: string): fs.Stats {
  if (!path.isAbsolute(dir)) throw new HistoryUnavailable(`the history directory ${dir} is not an absolute path`);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new HistoryUnavailable(`cannot inspect the history directory ${dir}: ${(e as Error).message}`);
    const ancestors = untrustedAncestorBecause(realAncestor(path.dirname(dir)));
    if (ancestors) throw new HistoryUnavailable(`refusing to create the history directory ${dir}: ${ancestors}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    st = fs.lstatSync(dir);
  }
  if (st.isSymbolicLink()) throw new HistoryUnavailable(`refusing to use the history directory ${dir}: it is a symbolic link`);
  if (!st.isDirectory()) throw new HistoryUnavailable(`refusing to use the history directory ${dir}: it is not a directory`);
  const why = untrustedBecause(st);
  if (why) throw new HistoryUnavailable(`refusing to use the history directory ${dir}: it ${why}`);
  const ancestors = untrustedAncestorBecause(fs.realpathSync(path.dirname(dir)));
  if (ancestors) throw new HistoryUnavailable(`refusing to use the history directory ${dir}: ${ancestors}`);
  if (st.mode & 0o077) {
    // Root's own directory, readable by others: previous versions of secret files would be too.
    fs.chmodSync(dir, 0o700);
    st = fs.lstatSync(dir);
  }
  return st;
}

/** The real path of the nearest existing directory at or above `dir`. */
function realAncestor(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (exists(d)) return fs.realpathSync(d);
    if (d === path.dirname(d)) return d;
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Creates `file` (0600) with `bytes`, refusing to follow or reuse anything there, and syncs it. */
function writeNew(file: string, bytes: Buffer): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function readNoFollow(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    if (!fs.fstatSync(fd).isFile()) throw new Error(`${file} is not a regular file`);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function metaText(entry: StoredEntry): string {
  return JSON.stringify({ format: FORMAT, ...entry }) + "\n";
}

/** An entry's meta.json, checked field by field (a file here is root's, but a bad one must not become a path). */
function parseMeta(text: string, name: string): StoredEntry {
  const m = JSON.parse(text) as Record<string, unknown>;
  const fail = (what: string): never => {
    throw new Error(`meta.json: ${what}`);
  };
  if (m.format !== FORMAT) fail(`unknown format ${String(m.format)}`);
  if (m.id !== name) fail("its id is not the directory's name");
  if (typeof m.time !== "string" || typeof m.method !== "string" || typeof m.order !== "number") fail("time, method or order missing");
  const peer = m.peer as Record<string, unknown> | undefined;
  if (!peer || typeof peer.pid !== "number" || typeof peer.uid !== "number" || typeof peer.gid !== "number") fail("peer missing");
  if (!Array.isArray(m.files) || m.files.length === 0) fail("no files");
  const files = (m.files as Record<string, unknown>[]).map((f, n): StoredFile => {
    const hash = (v: unknown) => v === null || (typeof v === "string" && /^[0-9a-f]{64}$/.test(v));
    if (typeof f.file !== "string" || !f.file.startsWith("/") || typeof f.existed !== "boolean" || typeof f.previousSize !== "number") fail(`file ${n}`);
    if (!hash(f.previousSha256) || !hash(f.newSha256)) fail(`file ${n}: a hash`);
    if (f.existed && (typeof f.blob !== "string" || !/^[0-9]+\.prev$/.test(f.blob) || f.previousSha256 === null)) fail(`file ${n}: its previous bytes`);
    return {
      file: f.file as string,
      existed: f.existed as boolean,
      previousSha256: f.previousSha256 as string | null,
      newSha256: f.newSha256 as string | null,
      previousSize: f.previousSize as number,
      ...(f.existed ? { blob: f.blob as string } : {}),
    };
  });
  return {
    id: name,
    time: m.time as string,
    peer: { pid: peer!.pid as number, uid: peer!.uid as number, gid: peer!.gid as number },
    method: m.method as string,
    order: m.order as number,
    files,
  };
}
