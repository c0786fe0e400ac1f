/**
 * The daemon's one Augeas tree: opened with module autoload off and one
 * transform per policy file, so nothing outside the policy is ever parsed.
 * It keeps a journal of the session's edits (so a failed `apply` can be undone
 * by reloading and replaying) and a snapshot of every file as loaded (so a save
 * never overwrites a file that changed on disk since).
 *
 * Every libaugeas call happens on the main thread, one at a time: libaugeas
 * handles are not thread-safe and it keeps process-wide regex state.
 */
import fs from "node:fs";
import path from "node:path";
import { Augeas, AugeasError } from "augeas-node-bindings";
import type { FileDiff, NodeChange } from "@machina/protocol";
import type { Logger } from "../logger.js";
import type { AugeasSection, FileRule } from "./augeas-section.js";
import { ConflictFault, Fault, PolicyDeniedFault } from "../faults.js";
import { checkContainment } from "./containment.js";
import { changedSince, fingerprint, readBytes, sameBytes, sameFingerprint, snapshotOf, type FileSnapshot, type Fingerprint } from "./snapshots.js";
import { nodeChangeDiff, unifiedDiff } from "./unified-diff.js";
import { mayShowFileText } from "./secret-rules.js";
import { augeasFault } from "./augeas-fault.js";
import { removeNewSaveTempFiles, removeStaleSaveTempFiles, saveTempFiles } from "./save-temp-files.js";
import { EditBudget, type BudgetView, type EditCost, type EditLimits } from "./edit-budget.js";
import { nodePathFromLabels } from "./augeas-label.js";
import { hiddenTouches, isTouched, type HiddenTouches } from "./hidden-touches.js";
import { DEFAULT_SESSION_LIMITS } from "../limits.js";
import { giveAttributes } from "./file-attributes.js";
import { runSaveValidators, type NewVersion } from "./save-validators.js";
import type { RecordedSave, SaveHistory } from "./save-history.js";
import { fileTag, identityOf, newTagKey, readFileVersion } from "./file-tag.js";
import { valueFromBytes } from "@machina/protocol";
import { augeasArg, BYTES, treeText } from "./tree-text.js";
import { clientPathText } from "./client-path.js";

/** The variable node counts are taken with (aug_defvar counts without building paths); client paths cannot name variables. */
const COUNT_VARIABLE = "machina_count";

/** A policy file and what became of it at the last load. */
export interface WorkspaceFile {
  rule: FileRule;
  /** The lens used: the policy's, or the module default found at start-up. */
  lens: string;
  /** Why it is not in the tree (refused by containment, no lens, parse error), if it is not. */
  problem?: string;
}

/** The policy engine's before-save check (see PolicyEngine.checkModified). */
export interface ModifiedChecker {
  checkModified(tree: Augeas): { files: string[] };
}

/** One applied edit, re-runnable after a reload. */
export interface JournalEntry {
  replay(aug: Augeas): void;
  /** The policy files (their paths) the edit touched. */
  files: readonly string[];
  /** The nodes it set, created, moved or removed, as node paths when it ran (hidden-touches.ts). */
  targets: readonly string[];
  /** True unless it only sets values (set, clear, setm): it may shift the positions of other nodes. */
  reshapes: boolean;
  /** Its price, as admitted (edit-budget.ts). */
  cost: EditCost;
}

/** What a save did (see AugeasWorkspace.save). */
export interface SaveOutcome {
  /** The files written, as the policy names them. */
  files: string[];
  /** True when some file was written. */
  changed: boolean;
  /** Per file the save concerned, the tag of its version on disk afterwards. */
  tags: Record<string, string>;
}

/** `expect` of a save: file → the tag it must have on disk. */
export type Expectations = Readonly<Record<string, string>>;

/** libaugeas' `newfile` save mode writes FILE's new text to FILE + this. */
const NEW_TEXT_SUFFIX = ".augnew";

/** How many times a load is tried again when a file changes while it is being loaded. */
const LOAD_ATTEMPTS = 5;
/** How close to a load a file's change time must be to make a reset parse it again (see unchangedSinceLoad). */
const RACY_NS = 100_000_000n;

/** The fingerprints a completed load was taken from, and when libaugeas had read the files (wall clock, ns, as file times are). */
interface LoadedFiles {
  at: bigint;
  files: Map<string, Fingerprint>;
}

function wallClockNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** What the client may see of a node (the policy engine answers). */
export interface NodeVisibility {
  isReadable(node: string): boolean;
  /** Readable and not secret: its value may be shown. */
  isValueVisible(node: string): boolean;
}

export class AugeasWorkspace {
  readonly aug: Augeas;
  /** --root after symbolic links, resolved once: the checks and libaugeas then walk the same directories. */
  private readonly root: string;
  private readonly files = new Map<string, WorkspaceFile>();
  private snapshots = new Map<string, FileSnapshot>();
  private journal: JournalEntry[] = [];
  /** Set by a completed reset, cleared by anything that may change the tree (see unchangedSinceLoad). */
  private loadedAs: LoadedFiles | undefined;
  private readonly budget: EditBudget;
  /** Where saves keep previous versions (save-history.ts); none until useHistory. */
  private history: SaveHistory | undefined;
  /**
   * Whose values the client may see: the policy engine's answer (useVisibility).
   * Until it is given, nothing is hidden — only workspaces without a client
   * (unit tests of saving) go without one.
   */
  private visibility: Pick<NodeVisibility, "isValueVisible"> = { isValueVisible: () => true };

  constructor(
    root: string,
    policy: AugeasSection,
    defaultLenses: ReadonlyMap<string, string>,
    private readonly logger: Logger,
    limits: EditLimits = DEFAULT_SESSION_LIMITS,
    /** The key of file tags (file-tag.ts): the daemon's, so tags outlive this process. */
    private readonly tagKey: Buffer = newTagKey(),
  ) {
    this.budget = new EditBudget(limits);
    this.root = realRoot(root);
    this.aug = new Augeas({ root: this.root, noModuleAutoload: true, noLoad: true });
    for (const rule of policy.files) {
      const lens = rule.lens ?? defaultLenses.get(rule.path);
      this.files.set(rule.path, lens ? { rule, lens } : { rule, lens: "", problem: "no lens handles it; name one in the policy" });
    }
    // A save killed half-way (SIGKILL, power loss) leaves libaugeas' temporary file behind.
    const trusted = policy.files.map((f) => f.path).filter((f) => checkContainment(this.root, f).ok);
    removeStaleSaveTempFiles(this.root, trusted, this.logger);
    this.reset();
  }

  /** Previews and saves ask `view` which values are hidden from the client (the session's policy engine). */
  useVisibility(view: Pick<NodeVisibility, "isValueVisible">): void {
    this.visibility = view;
  }

  /** Saves from now on record previous versions of files with `history` on (save-history.ts). */
  useHistory(history: SaveHistory): void {
    this.history = history;
  }

  /** The policy files, with their lenses and load problems (for logs and discovery). */
  describeFiles(): WorkspaceFile[] {
    return [...this.files.values()];
  }

  /**
   * Reloads every policy file from disk and forgets all pending edits. A file
   * that changes while it is loaded is loaded again (a few times), so its
   * snapshot always describes what its tree holds (see snapshots.ts).
   */
  reset(): void {
    this.journal = [];
    this.budget.reset();
    if (this.loadedAs && this.unchangedSinceLoad(this.loadedAs)) return;
    this.loadedAs = undefined;
    for (let attempt = 1; ; attempt++) {
      const before = this.fingerprints();
      this.reloadTree();
      // Before the fingerprints below: a write after a file's second fingerprint is later than this.
      const loadedAt = wallClockNs();
      const snapshots = new Map<string, FileSnapshot>();
      const unsettled: string[] = [];
      for (const [file, wf] of this.files) {
        if (wf.problem) continue;
        const was = before.get(file);
        const now = this.fingerprintOf(file);
        if (was && now && sameFingerprint(was, now)) snapshots.set(file, now.snapshot);
        else unsettled.push(file);
      }
      if (unsettled.length === 0 || attempt === LOAD_ATTEMPTS) {
        for (const file of unsettled) {
          snapshots.set(file, { exists: true, stale: "it kept changing on disk while it was being loaded; discard and try again" });
          this.logger.warn(`${file} kept changing on disk while it was being loaded (${attempt} times); saving it is a conflict until the next session`);
        }
        this.snapshots = snapshots;
        if (unsettled.length === 0) this.loadedAs = { at: loadedAt, files: before };
        return;
      }
      this.logger.debug(`${unsettled.join(", ")} changed on disk while being loaded; loading again`);
    }
  }

  /**
   * Refuses (`limit-exceeded`) an edit of this cost that would take the
   * pending edits or a file's tree beyond the session's limits; changes nothing.
   */
  admit(cost: EditCost): void {
    this.budget.admit(cost, this.budgetView);
  }

  /** Records a successful edit (admitted first). */
  record(entry: JournalEntry): void {
    this.journal.push(entry);
    this.budget.add(entry.cost);
  }

  private readonly budgetView: BudgetView = {
    countNodes: (file) => {
      const wf = this.files.get(file);
      return wf ? this.count(`${nodePathFromLabels(wf.rule.nodeLabels)}//*`) : 0;
    },
    exists: (node) => this.count(node) > 0,
    diskSize: (file) => this.snapshots.get(file)?.size ?? 0,
  };

  /** Nodes `path` selects, without building their paths (which costs O(siblings) each). */
  private count(path: string): number {
    try {
      return this.aug.defvar(COUNT_VARIABLE, augeasArg(path));
    } finally {
      this.aug.defvar(COUNT_VARIABLE, null);
    }
  }

  /** A position in the journal to roll back to. */
  mark(): number {
    return this.journal.length;
  }

  /**
   * Undoes every edit after `mark`: reload from disk, replay the edits before
   * it. A file that is no longer what its snapshot describes (another writer
   * changed it) keeps the edits replayed on what is on disk now, and saving it
   * is a conflict: the session's view of it is gone.
   */
  rollback(mark: number): void {
    const keep = this.journal.slice(0, mark);
    const before = this.fingerprints();
    this.reloadTree();
    for (const [file, wf] of this.files) {
      const snapshot = this.snapshots.get(file);
      if (wf.problem || !snapshot || snapshot.stale) continue;
      const was = before.get(file);
      const now = this.fingerprintOf(file);
      if (!was || !now || !sameFingerprint(was, now) || !sameBytes(now.snapshot, snapshot)) {
        this.snapshots.set(file, { ...snapshot, stale: "it changed on disk since it was loaded" });
      }
    }
    this.journal = [];
    for (const entry of keep) {
      entry.replay(this.aug);
      this.journal.push(entry);
    }
    this.budget.rolledBack(keep.length);
  }

  /**
   * Anything but a read may have changed the tree since it was loaded: the
   * next reset parses every file again. (The host calls this after each call
   * that is not a pure read, whatever it did.)
   */
  touched(): void {
    this.loadedAs = undefined;
  }

  /**
   * Whether a reset may keep the tree as it is: nothing but reads ran since
   * the load, nothing is pending, every file still passes containment with no
   * problem recorded, and each is the same inode with the same change time as
   * when it was loaded (every write and rename over a file moves its change
   * time, which no user can set back). A change time within RACY_NS of the
   * load does not count: file times come from a coarse clock, so a second
   * write in the same tick as the load could leave it unmoved — then the files
   * are parsed again, as git re-reads "racily clean" files. This turns the
   * reset of a session that only read (most panel requests) from a parse of
   * every file into a stat of each. (A stale tree would not lose anything in
   * any case: a save compares the bytes on disk with the snapshot first.)
   */
  private unchangedSinceLoad(loaded: LoadedFiles): boolean {
    for (const [file, wf] of this.files) {
      if (!wf.lens) continue;
      if (wf.problem || !checkContainment(this.root, file).ok) return false;
      const was = loaded.files.get(file);
      if (!was) return false;
      let st: fs.BigIntStats | undefined;
      try {
        st = fs.statSync(path.join(this.root, file), { bigint: true, throwIfNoEntry: false });
      } catch {
        return false;
      }
      if (!st) {
        if (was.snapshot.exists) return false;
        continue;
      }
      if (!was.snapshot.exists || st.ino !== was.ino || st.ctimeNs !== was.ctimeNs || st.ctimeNs + RACY_NS >= loaded.at) return false;
    }
    return true;
  }

  /** Every loadable policy file's fingerprint, taken right before a load (see snapshots.ts). */
  private fingerprints(): Map<string, Fingerprint> {
    const out = new Map<string, Fingerprint>();
    for (const [file, wf] of this.files) {
      const f = wf.lens ? this.fingerprintOf(file) : undefined;
      if (f) out.set(file, f);
    }
    return out;
  }

  /** The file's fingerprint, or undefined when it cannot be read (containment refuses such a file). */
  private fingerprintOf(file: string): Fingerprint | undefined {
    try {
      return fingerprint(this.root, file);
    } catch {
      return undefined;
    }
  }

  /** True when some edit is pending. */
  get dirty(): boolean {
    return this.journal.length > 0;
  }

  /**
   * What a save would change in every file (of `pendingFiles`) whose text it
   * would change, shown so that no unreadable node and no secret value can
   * appear: the text diff of a file the policy lets the client read whole and
   * that holds no secret, the readable nodes that change otherwise (see the
   * protocol's FileDiff). A file where an edit named a node whose value the
   * client may not see is listed even when its text is unchanged: whether it
   * is listed must not tell whether the value set equals the one on disk.
   * Writes nothing. Texts are compared as bytes (a file need not be UTF-8).
   */
  preview(files: readonly string[], view: NodeVisibility): FileDiff[] {
    const out: FileDiff[] = [];
    for (const file of files) {
      const wf = this.files.get(file);
      if (!wf) continue;
      const after = this.previewBytes(file);
      // The diff and its tag come from one read, so the tag names the version the diff was made from.
      const version = readFileVersion(this.root, file, this.tagKey);
      const before = version.bytes ?? Buffer.alloc(0);
      const touches = hiddenTouches(this.journal, wf.rule, (node) => view.isValueVisible(node));
      // A file with an edit of a hidden value is listed even when its bytes stay: a save writes it anyway.
      if (after.equals(before) && !touches.any) continue;
      if (mayShowFileText(wf.rule)) out.push({ file, scope: "text", diff: unifiedDiff(file, before, after), tag: version.tag });
      else {
        const nodes = this.readableNodeChanges(wf, before, view, touches);
        out.push({ file, scope: "nodes", diff: nodeChangeDiff(file, nodes), nodes, tag: version.tag });
      }
    }
    return out;
  }

  /**
   * The files in which a pending edit touched a node whose value the client
   * may not see (hidden-touches.ts): whether such a file's bytes change must
   * not show, so a save always writes it and a preview always lists it.
   */
  private hiddenEditFiles(): Set<string> {
    const files = new Set<string>();
    for (const file of this.files.keys()) if (this.editsTouchHiddenValues(file, this.visibility)) files.add(file);
    return files;
  }

  /**
   * Throws unless every file of `expect` is a policy file (`policy-denied`)
   * that has exactly the expected tag on disk now (`conflict`, naming the
   * file and nothing of its content).
   */
  checkExpected(expect: Expectations | undefined): void {
    if (!expect) return;
    for (const [file, tag] of Object.entries(expect)) {
      if (!this.files.has(file)) throw new PolicyDeniedFault(file, "expect names a file that is not an [[augeas.file]] of the policy", file);
      if (readFileVersion(this.root, file, this.tagKey).tag !== tag) {
        throw new Fault("conflict", `${file} is not the version you expected: it changed on disk since you saw it (its tag differs); nothing was written`, { file });
      }
    }
  }

  /**
   * True when a pending edit of `file` named a node whose value the client
   * may not see (secret or unreadable): such a file must be reported changed
   * (and written) even when its bytes come out equal, or the answer would
   * tell whether the value set equals the hidden one.
   */
  editsTouchHiddenValues(file: string, view: Pick<NodeVisibility, "isValueVisible">): boolean {
    const wf = this.files.get(file);
    return wf !== undefined && hiddenTouches(this.journal, wf.rule, (node) => view.isValueVisible(node)).any;
  }

  /**
   * Writes pending edits. Everything is checked before anything is written:
   * every modified node lies in a writable policy file; each file to write is
   * still the file the policy names; none changed on disk since it was loaded;
   * and each one's new text can be produced (a failing put is reported here,
   * not half-way through the save). Answers the files written.
   *
   * libaugeas writes each new text to FILE.augnew (its `newfile` mode: a
   * temporary file renamed into place), leaving FILE alone; the daemon then
   * checks every file again — a writer that changed one while libaugeas was
   * producing the new texts is a conflict, not overwritten — and only then
   * renames each FILE.augnew over FILE. What it renamed is the snapshot.
   *
   * Between the two, `prepareNewTexts` may wait for programs (validators);
   * the host takes no other request meanwhile, so the tree cannot change.
   *
   * With `expect`, every file it names must have that tag on disk, checked
   * first and again right before the renames (`conflict`). A file whose
   * bytes would not change is left alone (libaugeas does not write it), but
   * one in which a pending edit touched a hidden value is always written.
   * Answers the files written, whether any was, and every candidate's tag
   * on disk afterwards.
   */
  async save(candidates: readonly string[], expect?: Expectations): Promise<SaveOutcome> {
    this.checkExpected(expect);
    const hidden = this.hiddenEditFiles();
    const toWrite: string[] = [];
    for (const file of candidates) {
      this.checkWritable(file);
      const next = this.newTextPath(file);
      if (fs.existsSync(next)) {
        throw new ConflictFault(file, `${file}.augnew exists — another tool's proposed new version (augtool --new) or the remains of an interrupted save; remove it to save`);
      }
      // With several files, every new text is produced before anything is
      // written, so a failing put is reported naming its file. With one,
      // libaugeas' own save is that check and costs no second put (the put is
      // most of a save's time), and leaves a file whose text is unchanged alone.
      if (candidates.length === 1 || hidden.has(file) || !this.previewBytes(file).equals(this.diskBytes(file))) toWrite.push(file);
    }
    if (toWrite.length === 0) {
      this.journal = [];
      this.budget.saved();
      return { files: [], changed: false, tags: this.tagsOf(candidates) };
    }
    // Set right before each save so nothing a client did can change how files are written.
    this.aug.set("/augeas/save", "newfile");
    const temps = saveTempFiles(this.root, toWrite);
    let written: string[];
    try {
      this.aug.save();
      // Only read the events of this save: libaugeas clears them when it saves, so
      // without a save they name the files an earlier save (even an earlier
      // session's) wrote — which must neither be reported nor re-snapshotted.
      written = this.aug
        .match("/augeas/events/saved")
        .map((n) => this.aug.get(n) ?? "")
        .map((node) => node.replace(/^\/files/, ""));
      for (const file of written) this.checkWritable(file);
      // libaugeas leaves a file whose text is unchanged alone; one with an
      // edit of a hidden value is written all the same (its own bytes, a
      // fresh rename), or whether the hidden value changed would show.
      for (const file of toWrite) {
        if (hidden.has(file) && !written.includes(file) && fs.existsSync(path.join(this.root, file))) {
          this.copyAsNewText(file);
          written.push(file);
        }
      }
      // In one order whoever wrote them (libaugeas, or the line above): the
      // order must not tell which files' bytes changed.
      written.sort();
    } catch (e) {
      this.abandonSave(toWrite, temps);
      if (e instanceof Fault) throw e;
      throw augeasFault(e, toWrite.length === 1 ? toWrite[0] : undefined, this.logger);
    }
    let recorded: RecordedSave | undefined;
    try {
      await this.prepareNewTexts(written);
      for (const file of written) this.checkWritable(file);
      this.checkExpected(expect);
      // Last, so that a refusal above leaves no entry behind (save-history.ts).
      recorded = this.history?.record(written.map((file) => ({ file, previous: readBytes(this.root, file), next: fs.readFileSync(this.newTextPath(file)) })));
    } catch (e) {
      this.abandonSave(toWrite, temps);
      throw e;
    }
    const tags: Record<string, string> = {};
    for (const [i, file] of written.entries()) {
      const next = this.newTextPath(file);
      try {
        // The tag of what is renamed: the inode, size and mtime the file keeps once in place.
        const fd = fs.openSync(next, "r");
        let bytes: Buffer;
        try {
          const identity = identityOf(fd);
          bytes = fs.readFileSync(fd);
          tags[file] = fileTag(this.tagKey, file, identity, bytes);
        } finally {
          fs.closeSync(fd);
        }
        fs.renameSync(next, path.join(this.root, file));
        this.snapshots.set(file, snapshotOf(bytes));
      } catch (e) {
        // Cannot happen short of a broken file system: the directory is root's and the names are checked.
        if (i === 0) recorded?.drop();
        for (const rest of written.slice(i)) fs.rmSync(this.newTextPath(rest), { force: true });
        this.logger.error(`could not put the new text of ${file} in place; ${written.slice(0, i).join(", ") || "no file"} was written, pending edits are discarded`, e);
        this.reset();
        throw e;
      }
    }
    this.journal = [];
    this.budget.saved();
    const untouched = candidates.filter((f) => !written.includes(f));
    return { files: written, changed: written.length > 0, tags: { ...this.tagsOf(untouched), ...tags } };
  }

  /** The tag of each file as it is on disk now. */
  private tagsOf(files: readonly string[]): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const file of files) tags[file] = readFileVersion(this.root, file, this.tagKey).tag;
    return tags;
  }

  /**
   * FILE.augnew holding FILE's own bytes, with its owner and mode, as
   * libaugeas would have written it had the text changed.
   */
  private copyAsNewText(file: string): void {
    const from = path.join(this.root, file);
    const next = this.newTextPath(file);
    const st = fs.statSync(from);
    fs.copyFileSync(from, next, fs.constants.COPYFILE_EXCL);
    fs.chownSync(next, st.uid, st.gid);
    fs.chmodSync(next, st.mode & 0o7777);
  }

  /**
   * Puts earlier versions of files back (augeas.rollback), the way a save
   * writes: nothing may be pending; each file must still have the bytes
   * whose SHA-256 is `expect` (null: must not exist), be writable and be
   * unchanged since it was loaded; each version is written to FILE.augnew,
   * prepared and checked again like a save's new texts, recorded in the
   * history, and renamed into place (a `null` version removes the file: it
   * did not exist). The tree is then reloaded from disk. Answers the files
   * written or removed.
   */
  async restore(versions: readonly { file: string; bytes: Buffer | null; expect: string | null }[]): Promise<string[]> {
    if (this.dirty) throw new Fault("invalid-params", "the session has pending edits: save or discard them first", {});
    const files = versions.map((v) => v.file);
    const stillAsSaved = () => {
      for (const { file, expect } of versions) {
        this.checkWritable(file);
        // checkWritable: the disk holds the snapshot's bytes; so these are the bytes that save wrote.
        const snapshot = this.snapshots.get(file);
        if (snapshot?.exists !== (expect !== null) || (expect !== null && snapshot.sha256 !== expect)) {
          throw new Fault("conflict", `${file} is no longer as that save left it (it changed on disk since); nothing was written`, { file });
        }
      }
    };
    stillAsSaved();
    for (const file of files) {
      if (fs.existsSync(this.newTextPath(file))) throw new ConflictFault(file, `${file}.augnew exists; remove it first`);
    }
    const toWrite = versions.flatMap((v) => (v.bytes === null ? [] : [{ file: v.file, bytes: v.bytes }]));
    let recorded: RecordedSave | undefined;
    try {
      for (const { file, bytes } of toWrite) writeNewText(this.newTextPath(file), bytes, path.join(this.root, file));
      await this.prepareNewTexts(toWrite.map((v) => v.file));
      stillAsSaved();
      recorded = this.history?.record(versions.map(({ file, bytes }) => ({ file, previous: readBytes(this.root, file), next: bytes })));
    } catch (e) {
      for (const { file } of toWrite) fs.rmSync(this.newTextPath(file), { force: true });
      throw e;
    }
    for (const [i, { file, bytes }] of versions.entries()) {
      try {
        if (bytes === null) fs.unlinkSync(path.join(this.root, file));
        else fs.renameSync(this.newTextPath(file), path.join(this.root, file));
      } catch (e) {
        if (i === 0) recorded?.drop();
        for (const rest of versions.slice(i)) fs.rmSync(this.newTextPath(rest.file), { force: true });
        this.logger.error(`could not put the earlier version of ${file} in place; ${files.slice(0, i).join(", ") || "no file"} was restored`, e);
        this.reset();
        throw e;
      }
    }
    this.reset();
    return files;
  }

  /**
   * Every FILE.augnew of this save exists and nothing is renamed yet: the
   * place for checks of the new texts themselves. A throw abandons the save
   * (nothing is written, the edits stay pending). Each new version first
   * gets the attributes FILE has (or a created file's, from the policy:
   * file-attributes.ts) — whoever wrote it — so the validators
   * (save-validators.ts) check the file exactly as it will be.
   */
  private async prepareNewTexts(written: readonly string[]): Promise<void> {
    const versions: NewVersion[] = written.map((file) => ({ rule: this.files.get(file)!.rule, temp: this.newTextPath(file), target: path.join(this.root, file) }));
    for (const version of versions) giveAttributes(version, this.logger);
    await runSaveValidators(versions, this.logger);
  }

  /** A save that will not happen: its temporary files go, and its edits stay pending. */
  private abandonSave(toWrite: readonly string[], temps: ReadonlySet<string>): void {
    for (const f of removeNewSaveTempFiles(this.root, toWrite, temps)) this.logger.debug(`removed ${f}, left behind by the abandoned save`);
    // libaugeas marks the tree clean even when the save failed, so a retry
    // would write nothing and report success: rebuild the pending edits
    // (the files on disk are unchanged) so they stay pending for real.
    try {
      this.rollback(this.journal.length);
    } catch (replay) {
      this.logger.error("could not restore the pending edits after a failed save; discarding them", replay);
      this.reset();
    }
  }

  /** Throws unless `file` may be written now: a writable policy file, still the file the policy names, unchanged on disk since it was loaded, and there unless the policy lets it be created. */
  private checkWritable(file: string): void {
    const wf = this.files.get(file);
    if (!wf || wf.rule.write.length === 0) throw new PolicyDeniedFault(file, "the policy does not let this file be written");
    const contained = checkContainment(this.root, file);
    if (!contained.ok) throw new PolicyDeniedFault(file, `refusing to write it: ${contained.reason}`);
    const snapshot = this.snapshots.get(file);
    const why = snapshot ? changedSince(this.root, file, snapshot) : "it was not loaded";
    if (why) throw new ConflictFault(file, why);
    // libaugeas would create it (with the daemon's umask and owner): only the policy may say so, and how (new-file-rule.ts).
    if (!snapshot!.exists && !wf.rule.create) throw new PolicyDeniedFault(file, "it does not exist, and the policy does not let machina create it (create = true)", file);
  }

  /** Where libaugeas' `newfile` mode writes the new text of `file`. */
  private newTextPath(file: string): string {
    return path.join(this.root, file) + NEW_TEXT_SUFFIX;
  }

  close(): void {
    this.aug.close();
  }

  /**
   * The files a save would write: those libaugeas marks modified (the engine
   * refuses if any modified node lies outside a writable policy file) plus
   * those the journal says were edited. This is the authorisation of a save
   * or preview; its answer is what `save` and `preview` take.
   */
  pendingFiles(engine: ModifiedChecker): string[] {
    const set = new Set<string>(engine.checkModified(this.aug).files);
    for (const e of this.journal) for (const f of e.files) set.add(f);
    return [...set].sort();
  }

  /**
   * The readable nodes whose value or existence differs between the file on
   * disk (parsed by its lens into a scratch tree under /augeas, which no
   * client path reaches and no save writes) and the pending tree. Only nodes
   * `view` lets the client read are looked at, and only values it may see are
   * ever read. A readable node whose value is hidden (secret) is listed
   * without values (`hidden`) when it appears or disappears, and as changed
   * exactly when a pending edit named it — never by comparing its values, so
   * the list cannot tell whether a value set equals the one on disk.
   */
  private readableNodeChanges(wf: WorkspaceFile, before: Buffer, view: NodeVisibility, touches: HiddenTouches): NodeChange[] {
    const aug = this.aug;
    const scratch = "/augeas/machina-preview";
    let old: Map<string, NodeValue>;
    try {
      aug.set(`${scratch}/text`, before);
      aug.textStore(wf.lens, `${scratch}/text`, `${scratch}/tree`);
      old = this.readableValues(`${scratch}/tree`, wf.rule.node, view);
    } catch (e) {
      throw augeasFault(e, wf.rule.path, this.logger);
    } finally {
      aug.rm(scratch);
    }
    const now = this.readableValues(wf.rule.node, wf.rule.node, view);
    const changes: NodeChange[] = [];
    for (const node of new Set([...old.keys(), ...now.keys()])) {
      const b = old.get(node);
      const a = now.get(node);
      const change = b === undefined ? "added" : a === undefined ? "removed" : "changed";
      if (b === HIDDEN_VALUE || a === HIDDEN_VALUE) {
        if (change === "changed" && !isTouched(touches, node)) continue;
        changes.push({ node: clientPathText(node), before: null, after: null, change, hidden: true });
        continue;
      }
      // Values compare as bytes: two Latin-1 values that differ must not look equal as U+FFFD.
      if (b === a || (b && a && b.equals(a))) continue;
      changes.push({ node: clientPathText(node), before: valueFromBytes(b ?? null), after: valueFromBytes(a ?? null), change });
    }
    return changes.sort((x, y) => (x.node < y.node ? -1 : x.node > y.node ? 1 : 0));
  }

  /** Readable node (as a path below `fileNode`, tree text) → value's bytes (HIDDEN_VALUE where the client may not see it, which is then not even read), for every node below `base`. */
  private readableValues(base: string, fileNode: string, view: NodeVisibility): Map<string, NodeValue> {
    const values = new Map<string, NodeValue>();
    for (const raw of this.aug.match(augeasArg(`${base}//*`), BYTES)) {
      const node = fileNode + treeText(raw).slice(base.length);
      if (view.isValueVisible(node)) values.set(node, this.aug.get(raw, BYTES) ?? null);
      else if (view.isReadable(node)) values.set(node, HIDDEN_VALUE);
    }
    return values;
  }

  /** The bytes a save would write for `file` (libaugeas' own, exactly). */
  private previewBytes(file: string): Buffer {
    try {
      return this.aug.preview(`/files${file}`, BYTES) ?? Buffer.alloc(0);
    } catch (e) {
      throw augeasFault(e, file, this.logger);
    }
  }

  /** The file's bytes on disk (none when it does not exist). */
  private diskBytes(file: string): Buffer {
    return readBytes(this.root, file) ?? Buffer.alloc(0);
  }

  private reloadTree(): void {
    this.loadedAs = undefined;
    const aug = this.aug;
    aug.rm("/augeas/load/*");
    for (const [file, wf] of this.files) {
      if (!wf.lens) continue;
      const contained = checkContainment(this.root, file);
      if (!contained.ok) {
        wf.problem = `not loaded: ${contained.reason}`;
        this.logger.warn(`${file} ${wf.problem}`);
        continue;
      }
      delete wf.problem;
      aug.transform(wf.lens, file);
    }
    // aug_load skips a file whose tree is clean and whose mtime, in whole
    // seconds, is what it was at the last load or save — so a file another
    // writer changed within the same second would keep its stale tree, while
    // the snapshot below records the new bytes and a save would then silently
    // overwrite them. Forget what libaugeas remembers so every file is parsed again.
    aug.rm("/augeas/files/*");
    aug.rm("/files/*");
    try {
      aug.load();
    } catch (e) {
      if (!(e instanceof AugeasError)) throw e;
      for (const f of e.files) {
        const wf = f.file ? this.files.get(f.file) : undefined;
        if (wf) wf.problem = `not loaded: ${f.kind}${f.message ? ` (${f.message})` : ""}`;
        this.logger.warn(`augeas: ${f.file ?? f.node}: ${f.kind}${f.message ? `: ${f.message}` : ""}`);
      }
    }
  }
}

/**
 * Writes a rollback's FILE.augnew (0600, never through a link, never over an
 * existing file) with the owner and mode of `current`, the file it replaces,
 * when that exists — as libaugeas does for a save's new text.
 */
function writeNewText(next: string, bytes: Buffer, current: string): void {
  const fd = fs.openSync(next, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeFileSync(fd, bytes);
    const st = fs.statSync(current, { throwIfNoEntry: false });
    if (st) {
      fs.fchownSync(fd, st.uid, st.gid);
      fs.fchmodSync(fd, st.mode & 0o7777);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** --root after symbolic links (as given when it cannot be resolved: every file then fails its containment check). */
function realRoot(root: string): string {
  try {
    return fs.realpathSync(root);
  } catch {
    return path.resolve(root);
  }
}

/** Stands for a value the client may not see, in place of the value (which is never read). */
const HIDDEN_VALUE = Symbol("hidden value");
type NodeValue = Buffer | null | typeof HIDDEN_VALUE;

