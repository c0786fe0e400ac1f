/**
 * The checks every policy section uses: strict keys and types, each problem
 * reported with its dotted key (`augeas.file[1].write[0]`) and, where the TOML
 * text shows it, its line. Problems are collected, not thrown, so `machinad
 * policy check` can list them all at once.
 */
import type { PolicyProblem } from "./policy-errors.js";
import type { KeyLineIndex } from "./toml-key-lines.js";

/** A parsed TOML table. */
export type TomlTable = Record<string, unknown>;

/**
 * A policy regular expression: the text the policy wrote (`^…$`, shown in
 * explain, discovery and polkit rules) and the expression the daemon tests,
 * compiled as `^(?:…)$` so a top-level alternation cannot escape the anchors.
 */
export interface PolicyRegex {
  readonly source: string;
  readonly regex: RegExp;
}

export class PolicyValidator {
  readonly problems: PolicyProblem[] = [];
  constructor(private readonly lineOf: KeyLineIndex) {}

  private report(severity: PolicyProblem["severity"], key: string, message: string): void {
    const line = this.lineOf(key);
    this.problems.push(line === undefined ? { severity, key, message } : { severity, key, line, message });
  }
  error(key: string, message: string): void {
    this.report("error", key, message);
  }
  warn(key: string, message: string): void {
    this.report("warning", key, message);
  }

  keys(table: TomlTable, key: string, allowed: readonly string[]): void {
    for (const k of Object.keys(table)) {
      if (!allowed.includes(k)) {
        const full = key ? `${key}.${k}` : k;
        this.error(full, `unknown key ${JSON.stringify(k)} (allowed here: ${allowed.join(", ")})`);
      }
    }
  }

  table(value: unknown, key: string): TomlTable | undefined {
    if (isTomlTable(value)) return value;
    this.error(key, `must be a table, not ${describe(value)}`);
    return undefined;
  }

  tables(value: unknown, key: string, header: string): TomlTable[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.error(key, `must be an array of tables ([[${header}]]), not ${describe(value)}`);
      return [];
    }
    const out: TomlTable[] = [];
    value.forEach((item, i) => {
      if (isTomlTable(item)) out.push(item);
      else this.error(`${key}[${i}]`, `must be a table, not ${describe(item)}`);
    });
    return out;
  }

  bool(table: TomlTable, key: string, name: string, fallback: boolean): boolean {
    const value = table[name];
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    this.error(`${key}.${name}`, `must be true or false, not ${describe(value)}`);
    return fallback;
  }

  string(table: TomlTable, key: string, name: string): string | undefined {
    const value = table[name];
    if (value === undefined) return undefined;
    if (typeof value === "string") return value;
    this.error(`${key}.${name}`, `must be a string, not ${describe(value)}`);
    return undefined;
  }

  strings(table: TomlTable, key: string, name: string, fallback: string[], check?: (s: string, key: string) => boolean): string[] {
    const value = table[name];
    if (value === undefined) return fallback;
    if (!Array.isArray(value)) {
      this.error(`${key}.${name}`, `must be an array of strings, not ${describe(value)}`);
      return [];
    }
    const out: string[] = [];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const itemKey = `${key}.${name}[${i}]`;
      if (typeof item !== "string") this.error(itemKey, `must be a string, not ${describe(item)}`);
      else if (check && !check(item, itemKey)) return;
      else if (seen.has(item)) this.warn(itemKey, `${JSON.stringify(item)} is listed twice`);
      else {
        seen.add(item);
        out.push(item);
      }
    });
    return out;
  }

  anchoredRegex(source: string, key: string): PolicyRegex | undefined {
    if (!source.startsWith("^") || !/(^|[^\\])(\\\\)*\$$/.test(source) || source.length < 2) {
      this.error(key, `regular expression ${JSON.stringify(source)} must be anchored: start with ^ and end with $`);
      return undefined;
    }
    try {
      new RegExp(source);
      // Re-anchor around the whole body so that a top-level alternation
      // (^a|b$) cannot match more than the reviewer reads.
      return { source, regex: new RegExp(`^(?:${source.slice(1, -1)})$`) };
    } catch (err) {
      this.error(key, `regular expression ${JSON.stringify(source)} does not compile: ${(err as Error).message}`);
      return undefined;
    }
  }
}

export function isTomlTable(value: unknown): value is TomlTable {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return value instanceof Date ? "a date" : "a table";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
