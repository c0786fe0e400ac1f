/**
 * What `machinad policy check` asks libaugeas itself about a policy's files,
 * with a real (throw-away) Augeas handle that loads no file:
 *
 * - does a named lens exist? (`aug_text_store` with it answers ENOLENS if not);
 * - can a write pattern ever match a node the lens produces? A pattern that
 *   matches no node of the file as it is now, and whose last label the lens
 *   refuses to write below every node where it could go, grants nothing: it
 *   is almost always a typo (`ipadr`) that leaves the reviewer believing the
 *   policy allows something it does not.
 *
 * The second question is answered by trying: parse the file's current text
 * (empty when it does not exist) with `aug_text_store`, add one node with the
 * pattern's last label next to the nodes where it could go, and ask the lens
 * to write the tree back (`aug_text_retrieve`). Only a refusal in every place
 * and with every value tried counts; anything the probe cannot decide (a
 * pattern ending in `*` or `**`, no place to try, a file that does not parse)
 * is reported as nothing.
 */
import { Augeas, AugeasError } from "augeas-node-bindings";
import { escapeLabel, nodePathLabels } from "./augeas-label.js";
import { matchSegments, type NodePattern } from "./node-pattern.js";

/** Probe nodes live here, far from /files and /augeas. */
const TEXT = "/probe-text/in";
const OUT = "/probe-text/out";
const TREE = "/probe-tree";
/** Places tried per pattern: enough to find a parent the lens accepts, bounded for large files. */
const MAX_PARENTS = 8;

export class LensChecker {
  private readonly aug = new Augeas({ root: "/", noModuleAutoload: true, noLoad: true });

  /** Whether libaugeas finds the lens (`Hosts.lns`) in its lens directories. */
  lensExists(lens: string): boolean {
    this.aug.set(TEXT, "");
    try {
      this.aug.textStore(lens, TEXT, TREE);
      return true;
    } catch (e) {
      if (e instanceof AugeasError && e.code === "ENOLENS") return false;
      // Any other failure (the empty text does not parse) means the lens was found.
      return true;
    } finally {
      this.aug.rm(TREE);
    }
  }

  /**
   * The write patterns no node of this file can ever match, given its current
   * `text` (null: the file does not exist yet). Each answer comes with the
   * places tried, for the message.
   */
  unmatchableWrites(lens: string, text: string | null, write: readonly NodePattern[]): { pattern: NodePattern; label: string; tried: number }[] {
    const out: { pattern: NodePattern; label: string; tried: number }[] = [];
    const source = text ?? "";
    const nodes = this.storedLabels(lens, source);
    if (nodes === undefined) return out;
    for (const pattern of write) {
      const segs = pattern.segments;
      if (nodes.some((labels) => matchSegments(segs, labels))) continue;
      const last = segs[segs.length - 1];
      if (last?.kind !== "label") continue;
      const parentSegs = segs.slice(0, -1);
      const parents = [[], ...nodes].filter((labels) => matchSegments(parentSegs, labels)).slice(0, MAX_PARENTS);
      if (parents.length === 0) continue;
      if (!parents.some((p) => this.acceptsChild(lens, source, p, last.label))) out.push({ pattern, label: last.label, tried: parents.length });
    }
    return out;
  }

  close(): void {
    this.aug.close();
  }

  /** Every node of the parsed text, as labels below the file's node; undefined when it does not parse. */
  private storedLabels(lens: string, text: string): string[][] | undefined {
    if (!this.store(lens, text)) return undefined;
    try {
      return this.aug.match(`${TREE}//*`).map((p) => nodePathLabels(p).slice(1));
    } finally {
      this.aug.rm(TREE);
    }
  }

  private store(lens: string, text: string): boolean {
    this.aug.rm(TREE);
    this.aug.set(TEXT, text);
    try {
      this.aug.textStore(lens, TEXT, TREE);
      return true;
    } catch {
      return false;
    }
  }

  /** Whether the lens writes back the text with one new `label` child of `parent`, in some position, with some value. */
  private acceptsChild(lens: string, text: string, parent: readonly string[], label: string): boolean {
    const parentPath = TREE + parent.map((l) => `/${escapeLabel(l)}`).join("");
    const child = escapeLabel(label);
    for (const position of ["first", "last"] as const) {
      for (const value of [null, "x", "1", "yes"]) {
        if (!this.store(lens, text)) return false;
        try {
          const parents = this.aug.match(parentPath);
          const at = parents[0];
          if (at === undefined) return false;
          const siblings = this.aug.match(`${at}/*`);
          if (siblings.length === 0 || position === "last") {
            this.aug.set(`${at}/${child}[last()+1]`, value);
          } else {
            this.aug.insert(siblings[0]!, label, true);
            this.aug.set(`${at}/${child}[1]`, value);
          }
          this.aug.textRetrieve(lens, TEXT, TREE, OUT);
          return true;
        } catch {
          // refused in this position with this value: try the next
        } finally {
          this.aug.rm(TREE);
        }
      }
    }
    return false;
  }
}
