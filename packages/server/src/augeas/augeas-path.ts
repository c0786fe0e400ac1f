/*
 * The strict subset of Augeas' path language that clients may use.
 *
 *   path      := "/files" ("/" step)+
 *   step      := ("*" | label) predicate*
 *   predicate := "[" N "]" | "[last()]" | "[" rel ("=" | "!=") literal "]"
 *   rel       := ("*" | label) ("/" ("*" | label))*
 *   label     := (plain character | "\" printable ASCII | "%" HEX HEX)+
 *
 * Paths are ASCII. `%HH` is one byte from 0x80 to 0xFF of a label (a literal
 * `%` is `\%`): the label's bytes are decoded as tree text (tree-text.ts), so
 * `caf%E9` is the Latin-1 label libaugeas holds as `caf` 0xE9, and `caf%C3%A9`
 * the UTF-8 `café` — the spelling `augeas.match` answers (client-path.ts).
 *
 * Anything else is refused with the offending part named. The daemon never
 * hands the client's string to libaugeas: it passes `canonical`, re-serialised
 * from the AST, so what is authorised is exactly what is evaluated.
 */
import { PathRejectedError } from "../policy/policy-errors.js";
import { escapeLabel, labelProblem, PLAIN_LABEL_CHAR } from "./augeas-label.js";
import { treeText } from "./tree-text.js";
import type { PatternSegment } from "./node-pattern.js";

export const MAX_PATH_LENGTH = 4096;
export const MAX_PATH_STEPS = 64;
/** pathx stores positions in an int. */
const MAX_POSITION = 2 ** 31 - 1;

export type NameTest = { kind: "label"; label: string } | { kind: "any" };

export type Predicate =
  | { kind: "position"; position: number }
  | { kind: "last" }
  | { kind: "compare"; rel: NameTest[]; op: "=" | "!="; literal: string };

export interface PathStep {
  test: NameTest;
  predicates: Predicate[];
}

export interface AugeasPath {
  /** The first step is always the label `files`. */
  steps: PathStep[];
  /** What the daemon passes to libaugeas. */
  canonical: string;
}

export interface RelativeAugeasPath {
  steps: PathStep[];
  canonical: string;
}

/** Parses a client path; throws PathRejectedError. */
export function parseAugeasPath(text: string): AugeasPath {
  const parser = new PathParser(text);
  parser.checkWhole();
  if (!text.startsWith("/files/")) {
    throw new PathRejectedError(text, text.slice(0, 7), "paths must start with /files/ (the /augeas tree and anything else are out of reach)", 0);
  }
  const steps = parser.parseSteps(1);
  return { steps, canonical: serialiseSteps(steps, true) };
}

/** Parses a path relative to a node (setm's `sub`); the same grammar without the leading `/files`. */
export function parseRelativeAugeasPath(text: string): RelativeAugeasPath {
  const parser = new PathParser(text);
  parser.checkWhole();
  if (text.startsWith("/")) throw new PathRejectedError(text, "/", "expected a relative path", 0);
  const steps = parser.parseSteps(0);
  return { steps, canonical: serialiseRelativeSteps(steps) };
}

/**
 * A relative path as libaugeas must read it on its own (setm's `sub`): its first
 * label must not start with a bare digit, or pathx reads `2` as the number 2.
 */
function serialiseRelativeSteps(steps: readonly PathStep[]): string {
  return steps
    .map((step, i) => (i === 0 ? serialiseTest(step.test, true) + step.predicates.map(serialisePredicate).join("") : serialiseStep(step)))
    .join("/");
}

/** The canonical text of steps: absolute (`/a/b`) or relative (`a/b`). */
export function serialiseSteps(steps: readonly PathStep[], absolute: boolean): string {
  const body = steps.map(serialiseStep).join("/");
  return absolute ? `/${body}` : body;
}

export function serialiseStep(step: PathStep): string {
  return serialiseTest(step.test, false) + step.predicates.map(serialisePredicate).join("");
}

function serialiseTest(test: NameTest, leadingDigitEscaped: boolean): string {
  return test.kind === "any" ? "*" : escapeLabel(test.label, leadingDigitEscaped);
}

function serialisePredicate(p: Predicate): string {
  switch (p.kind) {
    case "position":
      return `[${p.position}]`;
    case "last":
      return "[last()]";
    case "compare": {
      // The first label of a predicate's path must not start with a digit, or
      // pathx reads it as a number.
      const rel = p.rel.map((t, i) => serialiseTest(t, i === 0)).join("/");
      const quote = p.literal.includes('"') ? "'" : '"';
      return `[${rel} ${p.op} ${quote}${p.literal}${quote}]`;
    }
  }
}

/** The shape of the first `count` steps (all by default) for static policy analysis. */
export function stepsShape(steps: readonly PathStep[], count = steps.length): PatternSegment[] {
  return steps.slice(0, count).map((s) => testSegment(s.test));
}

export function testSegment(test: NameTest): PatternSegment {
  return test.kind === "any" ? { kind: "one" } : { kind: "label", label: test.label };
}

function variablePart(text: string): string {
  return /^\$[A-Za-z0-9_]*/.exec(text)?.[0] ?? "$";
}

const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]*\s*\(/;

class PathParser {
  private i = 0;
  constructor(private readonly text: string) {}

  private reject(part: string, reason: string, at = this.i): never {
    throw new PathRejectedError(this.text, part, reason, at);
  }

  checkWhole(): void {
    const t = this.text;
    if (t.length > MAX_PATH_LENGTH) this.reject(t.slice(0, 32) + "…", `path longer than ${MAX_PATH_LENGTH} characters`, 0);
    const control = /[\x00-\x1f\x7f]/.exec(t);
    if (control) this.reject(JSON.stringify(control[0]).slice(1, -1), "control characters are not allowed", control.index);
    const nonAscii = /[^\x00-\x7f]/.exec(t);
    if (nonAscii) this.reject(nonAscii[0], "only ASCII is allowed (write a label's other bytes as %HH, e.g. caf%C3%A9 for café)", nonAscii.index);
  }

  /** Parses `/`-separated steps starting at `start`, up to the end of the text. */
  parseSteps(start: number): PathStep[] {
    const t = this.text;
    this.i = start;
    const steps: PathStep[] = [this.parseStep(true)];
    while (this.i < t.length) {
      if (t[this.i] !== "/") this.unexpected();
      this.i++;
      steps.push(this.parseStep(true));
      if (steps.length > MAX_PATH_STEPS) this.reject(t.slice(0, this.i), `more than ${MAX_PATH_STEPS} steps`);
    }
    return steps;
  }

  private parseStep(allowPredicates: boolean): PathStep {
    const test = this.parseNameTest();
    const predicates: Predicate[] = [];
    while (this.text[this.i] === "[") {
      if (!allowPredicates) this.reject("[", "predicates are not allowed inside a predicate's path");
      predicates.push(this.parsePredicate());
    }
    return { test, predicates };
  }

  private parseNameTest(): NameTest {
    const t = this.text;
    const start = this.i;
    const ch = t[start];
    if (ch === undefined) this.reject(t.slice(Math.max(0, start - 1)), "empty step (trailing '/')", start);
    if (ch === "/") this.reject("//", "'//' (descendant search) is not allowed", start - 1);
    if (ch === "*") {
      this.i++;
      const next = t[this.i];
      if (next !== undefined && next !== "/" && next !== "[" && next !== "]" && next !== " " && next !== "=" && next !== "!") {
        this.reject(t.slice(start, start + 2), "'*' must be a whole step");
      }
      return { kind: "any" };
    }
    if (ch === "$") this.reject(variablePart(t.slice(start)), "variables are not allowed");
    if (FUNCTION_NAME.test(t.slice(start))) {
      const name = /^[A-Za-z][A-Za-z0-9_-]*/.exec(t.slice(start))![0];
      this.reject(`${name}(`, `function ${name}() is not allowed here`);
    }
    // The label's bytes: ASCII characters as they are, `%HH` as one byte.
    const bytes: number[] = [];
    while (this.i < t.length) {
      const c = t[this.i]!;
      if (c === "\\") {
        const next = t[this.i + 1];
        if (next === undefined) this.reject("\\", "dangling '\\' at the end");
        bytes.push(next.charCodeAt(0));
        this.i += 2;
        continue;
      }
      if (c === "%") {
        bytes.push(this.parsePercentByte());
        continue;
      }
      if (c === ":" && t[this.i + 1] === ":") {
        this.reject(t.slice(start, this.i + 2), "axes ('::') are not allowed");
      }
      if (PLAIN_LABEL_CHAR.test(c)) {
        bytes.push(c.charCodeAt(0));
        this.i++;
        continue;
      }
      break;
    }
    if (this.i === start) this.unexpected();
    const raw = t.slice(start, this.i);
    const label = treeText(Buffer.from(bytes));
    if (label === "..") this.reject(raw, "'..' (parent) steps are not allowed", start);
    if (raw === ".") this.reject(raw, "'.' (self) steps are not allowed", start);
    const problem = labelProblem(label, true);
    if (problem) this.reject(raw, problem, start);
    return { kind: "label", label };
  }

  /** `%HH` at the cursor: one byte of a label, 0x80 to 0xFF (ASCII is written as itself, or escaped with '\\'). */
  private parsePercentByte(): number {
    const t = this.text;
    const hex = /^%([0-9A-Fa-f]{2})/.exec(t.slice(this.i));
    if (!hex) this.reject(t.slice(this.i, this.i + 3), "'%' must be followed by two hex digits (a byte of the label); a literal '%' is '\\%'");
    const byte = parseInt(hex[1]!, 16);
    if (byte < 0x80) this.reject(hex[0], "%HH is for bytes 0x80 to 0xFF; write an ASCII character as itself (or escaped with '\\')");
    this.i += 3;
    return byte;
  }

  private parsePredicate(): Predicate {
    const t = this.text;
    const open = this.i;
    this.i++; // '['
    this.skipSpaces();
    const rest = t.slice(this.i);
    let pred: Predicate;
    const number = /^[0-9]+/.exec(rest);
    // `[1/ipaddr = "x"]`: a label that starts with digits, not a position.
    const labelAfterDigits = number !== null && /^[/\\A-Za-z_\-.#@+~,:%]/.test(rest.slice(number[0].length));
    if (number && !labelAfterDigits) {
      const digits = number[0];
      if (!/^[1-9][0-9]*$/.test(digits) || Number(digits) > MAX_POSITION) {
        this.reject(digits, "a position must be an integer from 1 to 2147483647 without leading zeros");
      }
      this.i += digits.length;
      pred = { kind: "position", position: Number(digits) };
    } else if (/^last\s*\(\s*\)/.test(rest)) {
      this.i += /^last\s*\(\s*\)/.exec(rest)![0].length;
      pred = { kind: "last" };
    } else if (FUNCTION_NAME.test(rest)) {
      const name = /^[A-Za-z][A-Za-z0-9_-]*/.exec(rest)![0];
      this.reject(`${name}(`, `function ${name}() is not allowed (only last())`);
    } else if (rest.startsWith("/")) {
      this.reject("/", "absolute paths inside predicates are not allowed");
    } else if (rest.startsWith("$")) {
      this.reject(variablePart(rest), "variables are not allowed");
    } else if (rest.startsWith("'") || rest.startsWith('"') || rest.startsWith("]") || rest.startsWith("(") || rest.startsWith("-")) {
      this.reject(rest.slice(0, 8), "a predicate must be a position, last() or PATH = \"literal\"");
    } else {
      pred = this.parseComparison();
    }
    this.skipSpaces();
    if (t[this.i] === "]") {
      this.i++;
      return pred;
    }
    const tail = t.slice(this.i);
    if (/^(and|or)\b/.test(tail)) this.reject(tail.slice(0, 3).trim(), "'and'/'or' are not allowed (chain predicates instead: [a = \"x\"][b = \"y\"])");
    if (tail.startsWith("|")) this.reject("|", "unions ('|') are not allowed");
    if (/^[-+*<>=!]/.test(tail) || tail.startsWith("div") || tail.startsWith("mod")) {
      this.reject(tail.slice(0, 2), "operators other than a single = or != are not allowed");
    }
    if (tail === "") this.reject(t.slice(open), "unterminated '['", open);
    this.unexpected();
  }

  private parseComparison(): Predicate {
    const t = this.text;
    const rel: NameTest[] = [];
    for (;;) {
      const test = this.parseNameTest();
      if (t[this.i] === "[") this.reject("[", "predicates are not allowed inside a predicate's path");
      rel.push(test);
      if (t[this.i] !== "/") break;
      this.i++;
      if (rel.length >= MAX_PATH_STEPS) this.reject(t.slice(0, this.i), `more than ${MAX_PATH_STEPS} steps`);
    }
    this.skipSpaces();
    let op: "=" | "!=";
    const rest = t.slice(this.i);
    if (rest.startsWith("=~")) this.reject("=~", "regular-expression matches are not allowed");
    if (rest.startsWith("!=")) op = "!=";
    else if (rest.startsWith("=")) op = "=";
    else if (rest.startsWith("|")) this.reject("|", "unions ('|') are not allowed");
    else if (rest.startsWith("]")) this.reject(t.slice(0, this.i + 1).slice(-16), "existence tests are not allowed: compare with = or != and a literal");
    else if (/^(and|or)\b/.test(rest)) this.reject(rest.slice(0, 3).trim(), "'and'/'or' are not allowed");
    else if (/^[<>]/.test(rest)) this.reject(rest.slice(0, 2), "only = and != comparisons are allowed");
    else this.unexpected();
    this.i += op.length;
    this.skipSpaces();
    const quote = t[this.i];
    if (quote !== '"' && quote !== "'") {
      const what = t.slice(this.i, this.i + 16);
      if (what.startsWith("$")) this.reject(variablePart(what), "variables are not allowed");
      this.reject(what, "the right-hand side must be a quoted literal");
    }
    const end = t.indexOf(quote, this.i + 1);
    if (end < 0) this.reject(t.slice(this.i), "unterminated string literal");
    const literal = t.slice(this.i + 1, end);
    this.i = end + 1;
    return { kind: "compare", rel, op, literal };
  }

  private skipSpaces(): void {
    while (this.text[this.i] === " ") this.i++;
  }

  private unexpected(): never {
    const t = this.text;
    const c = t[this.i];
    if (c === undefined) this.reject(t.slice(-8), "unexpected end of path");
    if (c === "|") this.reject("|", "unions ('|') are not allowed");
    if (c === "$") this.reject(variablePart(t.slice(this.i)), "variables are not allowed");
    if (c === "(" || c === ")") this.reject(c, "parentheses and function calls are not allowed");
    if (c === " ") this.reject("' '", "spaces are only allowed inside predicates (escape a space in a label as '\\ ')");
    this.reject(c, "unexpected character (escape it with '\\' if it is part of a label)");
  }
}
