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
   * Nodes whose values are secret (secret-rules.ts): set, matched and listed,
   * never read back or shown. `secret = true` is `["**"]`; default none.
   */
  secret: NodePattern[];
}

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
    v.keys(t, key, ["path", "lens", "read", "write", "secret"]);
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
    const secret = secretPatterns(v, t, key);
    if (!ok || filePath === undefined || read === undefined || write === undefined || secret === undefined) return;
    byPath.set(filePath, i);
    const nodeLabels = ["files", ...filePath.slice(1).split("/")];
    const rule: FileRule = { path: filePath, node: nodeLabels.map((l) => `/${escapeLabel(l)}`).join(""), nodeLabels, read, write, secret };
    if (lens !== undefined) rule.lens = lens;
    files.push(rule);
    patternWarnings(v, rule, key);
    if (options.root !== undefined) {
      const onDisk = path.join(options.root, filePath);
      try {
        lstatSync(onDisk);
      } catch {
        v.warn(`${key}.path`, `${onDisk} does not exist (yet)`);
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
  }
  return lines;
}
