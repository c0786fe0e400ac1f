/**
 * The policy's `[[augeas.file]]` entries: which files the daemon loads (paths
 * under --root), with which lens, and which of their nodes a client may read
 * and write (node patterns). Absent: no file is loaded and no `augeas.*`
 * method is granted.
 */
import path from "node:path";
import { lstatSync } from "node:fs";
import { policyPathProblem } from "../policy/policy-path.js";
import { describe, type PolicyValidator, type TomlTable } from "../policy/policy-validator.js";
import { explainCheckProgram, parseCheckProgram, type PolicyCheckProgram } from "../process/policy-check-program.js";
import { explainNewFile, parseNewFile, type NewFileRule } from "./new-file-rule.js";
import { VALIDATOR_FILE_ARG, validateArgvProblem } from "./save-validators.js";
import { escapeLabel } from "./augeas-label.js";
import { compileNodePattern, NodePatternError, type NodePattern } from "./node-pattern.js";
import { shapeCovered, shapeIntersects } from "./pattern-coverage.js";
import { isWholeFileSecret, SECRET_MEANING, WHOLE_FILE_SECRET } from "./secret-rules.js";

export interface FileRule {
  /** Absolute, normalised, relative to --root: `/etc/hosts`. */
  path: string;
  /** The file's node in the Augeas tree: `/files/etc/hosts` (labels escaped as libaugeas writes them). */
  node: string;
  /** Decoded labels of `node`: ["files", "etc", "hosts"]. */
  nodeLabels: string[];
  /** `Hosts.lns` form; undefined: the file's default lens, found at start-up. */
  lens?: string;
  read: NodePattern[];
  write: NodePattern[];
  /**
   * `validate`: run on every new version of the file before it replaces the
   * file (save-validators.ts); anything but exit 0 refuses the save.
   */
  validate?: PolicyCheckProgram;
  /** `create = true`: the daemon may create the file when it does not exist, with these attributes (new-file-rule.ts). */
  create?: NewFileRule;
  /** `history = N`: how many previous versions of the file saves keep (0: none, the default; history-store.ts). */
  history: number;
  /** `rollback = true`: `augeas.rollback` may put a recorded previous version back (needs history). */
  rollback: boolean;
  /**
   * Nodes whose values are secret (secret-rules.ts): set, matched and listed,
   * never read back or shown. `secret = true` is `["**"]`; default none.
   */
  secret: NodePattern[];
}

/** The most previous versions one file may keep (`history`): a bound a typo cannot blow past. */
export const MAX_FILE_HISTORY = 1000;

export interface AugeasSection {
  files: FileRule[];
}

const LENS_NAME = /^[A-Z][A-Za-z0-9_]*(\.[a-z][A-Za-z0-9_]*)?$/;

export function parseAugeasSection(doc: TomlTable, v: PolicyValidator, options: { root?: string }): AugeasSection {
  const files: FileRule[] = [];
  if (doc.augeas === undefined) return { files };
  const augeas = v.table(doc.augeas, "augeas");
  if (!augeas) return { files };
  v.keys(augeas, "augeas", ["file"]);
  const byPath = new Map<string, number>();
  v.tables(augeas.file, "augeas.file", "augeas.file").forEach((t, i) => {
    const key = `augeas.file[${i}]`;
    v.keys(t, key, ["path", "lens", "read", "write", "secret", "validate", "validate_timeout", "create", "mode", "owner", "group", "history", "rollback"]);
    const filePath = v.string(t, key, "path");
    let ok = true;
    if (filePath === undefined) {
      if (t.path === undefined) v.error(key, "missing path");
      ok = false;
    } else if (!checkFilePath(v, filePath, `${key}.path`)) ok = false;
    else if (byPath.has(filePath)) {
      v.error(`${key}.path`, `${filePath} is already listed as augeas.file[${byPath.get(filePath)}]`);
      ok = false;
    }
    let lens = v.string(t, key, "lens");
    if (lens !== undefined) {
      if (!LENS_NAME.test(lens)) {
        v.error(`${key}.lens`, `${JSON.stringify(lens)} is not a lens name (like "Hosts" or "Hosts.lns")`);
        ok = false;
      } else if (!lens.includes(".")) lens = `${lens}.lns`;
    }
    const read = patterns(v, t, key, "read", ["**"]);
    const write = patterns(v, t, key, "write", []);
    const validate = parseCheckProgram(t, key, v, { argv: "validate", timeout: "validate_timeout" }, validateArgvProblem);
    const create = parseNewFile(t, key, v);
    const { history, rollback } = historyKeys(v, t, key, write);
    const secret = secretPatterns(v, t, key);
    if (!ok || filePath === undefined || read === undefined || write === undefined || !validate.ok || !create.ok || secret === undefined) return;
    byPath.set(filePath, i);
    const nodeLabels = ["files", ...filePath.slice(1).split("/")];
    const rule: FileRule = { path: filePath, node: nodeLabels.map((l) => `/${escapeLabel(l)}`).join(""), nodeLabels, read, write, secret, history, rollback };
    if (lens !== undefined) rule.lens = lens;
    if (validate.check) rule.validate = validate.check;
    if (create.rule) rule.create = create.rule;
    files.push(rule);
    patternWarnings(v, rule, key);
    if (write.length === 0 && validate.check) v.warn(`${key}.validate`, `${filePath} is read-only: its validator never runs`);
    if (write.length === 0 && create.rule) v.warn(`${key}.create`, `${filePath} is read-only: it is never created`);
    if (options.root !== undefined) {
      const onDisk = path.join(options.root, filePath);
      try {
        lstatSync(onDisk);
      } catch {
        v.warn(`${key}.path`, `${onDisk} does not exist${rule.create ? " (yet): a save creates it" : ": saving it is refused unless the policy lets machina create it (create = true)"}`);
      }
    }
  });
  // A file whose node lies below another file's node would make "which rule
  // governs this node" ambiguous.
  for (const a of files) {
    for (const b of files) {
      if (a !== b && b.path.startsWith(`${a.path}/`)) {
        v.error(`augeas.file[${byPath.get(b.path)}].path`, `${b.path} lies inside ${a.path}, which is itself a policy file`);
      }
    }
  }
  return { files };
}

/** `history` (a whole number from 0 to MAX_FILE_HISTORY) and `rollback` (which needs history and write patterns). */
function historyKeys(v: PolicyValidator, t: TomlTable, key: string, write: NodePattern[] | undefined): { history: number; rollback: boolean } {
  let history = 0;
  let historyValid = true;
  if (t.history !== undefined) {
    if (typeof t.history === "number" && Number.isInteger(t.history) && t.history >= 0 && t.history <= MAX_FILE_HISTORY) history = t.history;
    else {
      historyValid = false;
      v.error(`${key}.history`, `must be a whole number of previous versions from 0 to ${MAX_FILE_HISTORY}, not ${describe(t.history)}`);
    }
  }
  const rollback = v.bool(t, key, "rollback", false);
  if (rollback && history === 0 && historyValid) v.error(`${key}.rollback`, "rollback = true needs history = N (N >= 1): without a history there is nothing to roll back to");
  if (rollback && write !== undefined && write.length === 0) v.error(`${key}.rollback`, "rollback = true on a read-only file: a rollback rewrites the file, so give it write patterns or drop rollback");
  if (history > 0 && write !== undefined && write.length === 0) v.warn(`${key}.history`, "history on a read-only file records nothing: only saves are recorded");
  return { history, rollback };
}

function checkFilePath(v: PolicyValidator, p: string, key: string): boolean {
  const problem = policyPathProblem(p);
  if (problem) v.error(key, `file path ${JSON.stringify(p)} ${problem}`);
  return problem === undefined;
}

function patterns(v: PolicyValidator, t: TomlTable, key: string, name: string, fallback: string[]): NodePattern[] | undefined {
  const before = v.problems.length;
  const out: NodePattern[] = [];
  for (const [i, source] of v.strings(t, key, name, fallback).entries()) {
    try {
      out.push(compileNodePattern(source));
    } catch (err) {
      if (!(err instanceof NodePatternError)) throw err;
      v.error(`${key}.${name}[${i}]`, `node pattern ${JSON.stringify(source)}: ${err.message}`);
    }
  }
  return v.problems.slice(before).some((p) => p.severity === "error") ? undefined : out;
}

/** `secret`: true (every node), false (none, the default), or node patterns as read and write take them. */
function secretPatterns(v: PolicyValidator, t: TomlTable, key: string): NodePattern[] | undefined {
  const value = t.secret;
  if (value === undefined || value === false) return [];
  if (value === true) return [compileNodePattern(WHOLE_FILE_SECRET)];
  if (!Array.isArray(value)) {
    v.error(`${key}.secret`, `must be true, false or an array of node patterns (like ["*/password"]), not ${describe(value)}`);
    return undefined;
  }
  return patterns(v, t, key, "secret", []);
}

function patternWarnings(v: PolicyValidator, rule: FileRule, key: string): void {
  const read = rule.read.map((p) => p.segments);
  rule.write.forEach((w, i) => {
    if (!shapeCovered(w.segments, read)) {
      v.warn(`${key}.write[${i}]`, `${JSON.stringify(w.source)} lets clients write nodes they cannot read back`);
    }
    const others = rule.write.filter((_, j) => j !== i).map((p) => p.segments);
    if (others.length > 0 && shapeCovered(w.segments, others)) {
      v.warn(`${key}.write[${i}]`, `${JSON.stringify(w.source)} adds nothing: the other write patterns already cover it`);
    }
  });
  if (rule.read.length === 0 && rule.write.length === 0) v.warn(key, `${rule.path} is loaded but nothing in it may be read or written`);
  const named = [...rule.read, ...rule.write].map((p) => p.segments);
  rule.secret.forEach((s, i) => {
    if (!shapeIntersects(s.segments, named)) {
      v.warn(`${key}.secret[${i}]`, `${JSON.stringify(s.source)} adds nothing: no read or write pattern names such a node`);
    }
  });
}

/** `policy explain` lines of the section. */
export function explainAugeasSection(section: AugeasSection, defaultLenses: ReadonlyMap<string, string>): string[] {
  const lines = [section.files.length ? "Configuration files (Augeas), paths below --root:" : "Configuration files: none."];
  for (const f of section.files) {
    const lens = f.lens ?? defaultLenses.get(f.path);
    lines.push(`  ${f.path}  (lens ${lens ? lens : "NONE FOUND: the file cannot be loaded"}${f.lens ? "" : ", the module default"}; node ${f.node})`);
    lines.push(`    may read:  ${f.read.length ? f.read.map((p) => p.source).join(", ") : "nothing"}`);
    lines.push(`    may write: ${f.write.length ? f.write.map((p) => p.source).join(", ") + " (create, set, rename, move, remove)" : "nothing (read-only)"}`);
    if (f.secret.length > 0) {
      const which = isWholeFileSecret(f) ? "every node of this file" : f.secret.map((p) => p.source).join(", ");
      lines.push(`    secret:    values of ${which} are secret: they ${SECRET_MEANING} (their nodes and labels may still be listed)`);
    }
    if (f.history > 0) {
      lines.push(`    history:   the ${f.history} newest previous version${f.history === 1 ? "" : "s"} kept by machinad (root-only; listed by augeas.history, never shown)`);
      lines.push(`    rollback:  ${f.rollback ? "augeas.rollback may put a previous version back (if the file is still as that save left it)" : "no (rollback = false)"}`);
    }
    if (f.write.length === 0) continue;
    if (f.validate) {
      lines.push(
        `    validated: every new version, before it replaces the file, by ${explainCheckProgram(f.validate)}, ${VALIDATOR_FILE_ARG} being the new version's temporary path; anything but exit 0 refuses the save (validation-failed) and nothing is written`,
      );
    }
    lines.push(`    ${explainNewFile(f.create)}`);
  }
  if (section.files.some((f) => f.write.length > 0)) lines.push("  A save keeps an existing file's owner, group, mode, ACLs and extended attributes (SELinux context included).");
  return lines;
}
