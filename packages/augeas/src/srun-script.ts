// aug_srun runs augtool commands from text, calling aug_mv, aug_cp, aug_rename, aug_defnode and
// the path parser directly: every input the guards keep from the methods (tree-guards.ts,
// path-limits.ts) can reach libaugeas through it. So `srun` splits the text into lines exactly as
// aug_srun does, reads each line's command and arguments with a port of its tokenizer
// (src/augrun.c in libaugeas 1.14: nexttoken, parseline, cleanpath), runs the guards a method
// would run, and only then hands libaugeas that one line. Lines are run one at a time so that
// each guard sees the tree as the earlier lines left it.
import { MAX_PATH_BYTES, MAX_PATH_NESTING, MAX_PATH_STEPS } from "./path-limits.js";

/** One command line of an srun script: exact bytes, without its newline. */
export interface ScriptLine {
  bytes: Buffer;
}

const NEWLINE = 0x0a;
const HASH = 0x23;

/** C isspace: space, \t, \n, \v, \f, \r. */
function isSpace(c: number | undefined): boolean {
  return c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
}

/** C isblank: space and \t. */
function isBlank(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * The lines aug_srun would run, in order: it skips leading whitespace, blank lines and lines
 * starting with `#`, and runs everything else up to the next newline as one command.
 */
export function scriptLines(text: Buffer): ScriptLine[] {
  const lines: ScriptLine[] = [];
  let pos = 0;
  while (pos < text.length) {
    let eol = text.indexOf(NEWLINE, pos);
    if (eol < 0) eol = text.length;
    while (pos < eol && isSpace(text[pos])) pos++;
    if (pos >= text.length) break;
    if (text[pos] !== HASH && pos !== eol) lines.push({ bytes: text.subarray(pos, eol) });
    pos = eol === text.length ? eol : eol + 1;
  }
  return lines;
}

/**
 * What is wrong with `line` under the path limits, counted so that it bounds every argument of
 * it whatever the tokenizer makes of it: an argument's bytes are a subsequence of the line's
 * (quotes and escapes are only removed, `\t` and `\n` become one byte), so the line's length,
 * its `/` count and its count of every `[` and `(` (escaped or not, closed or not: an upper
 * bound on any nesting depth) bound each argument's.
 */
export function lineLimitProblem(line: Buffer): string | undefined {
  if (line.length > MAX_PATH_BYTES) return `is ${line.length} bytes long, more than the ${MAX_PATH_BYTES} a path may have`;
  let slashes = 0;
  let openers = 0;
  for (const c of line) {
    if (c === 0x2f) slashes++;
    else if (c === 0x5b || c === 0x28) openers++;
  }
  if (slashes > MAX_PATH_STEPS) return `has ${slashes} '/', more than the ${MAX_PATH_STEPS} steps a path may have`;
  if (openers > MAX_PATH_NESTING) return `has ${openers} '[' and '(', more than the ${MAX_PATH_NESTING} levels a path may nest`;
  return undefined;
}

/** A command's argument kinds, as augrun.c declares them: a path expression or a plain string. */
type ArgKind = "path" | "str";
interface CommandDef {
  args: ReadonlyArray<{ kind: ArgKind; optional: boolean }>;
}

const path = { kind: "path", optional: false } as const;
const optPath = { kind: "path", optional: true } as const;
const str = { kind: "str", optional: false } as const;
const optStr = { kind: "str", optional: true } as const;

/** Every command of libaugeas 1.14's aug_srun, with its arguments. */
const commands: Readonly<Record<string, CommandDef>> = {
  help: { args: [optStr] },
  quit: { args: [] },
  ls: { args: [path] },
  match: { args: [path, optStr] },
  count: { args: [path] },
  rm: { args: [path] },
  mv: { args: [path, path] },
  move: { args: [path, path] },
  cp: { args: [path, path] },
  copy: { args: [path, path] },
  rename: { args: [path, str] },
  set: { args: [path, optStr] },
  setm: { args: [path, path, optStr] },
  clearm: { args: [path, path] },
  span: { args: [path] },
  defvar: { args: [str, path] },
  defnode: { args: [str, path, optStr] },
  clear: { args: [path] },
  touch: { args: [path] },
  get: { args: [path] },
  label: { args: [path] },
  print: { args: [optPath] },
  source: { args: [path] },
  preview: { args: [path] },
  context: { args: [optPath] },
  "dump-xml": { args: [optPath] },
  transform: { args: [path, path, path] },
  "load-file": { args: [path] },
  save: { args: [] },
  load: { args: [] },
  info: { args: [] },
  ins: { args: [str, str, path] },
  insert: { args: [str, str, path] },
  store: { args: [str, path, path] },
  retrieve: { args: [str, path, path, path] },
  errors: { args: [] },
};

/** A line as aug_srun parses it: the command name and its arguments' bytes. */
export interface ParsedCommand {
  name: string;
  args: Buffer[];
}

const BACKSLASH = 0x5c;
const QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
// After a backslash, these pass through with the backslash (pathx reads them as escaped).
const passedEscapes = new Set([0x5d, 0x5b, 0x7c, 0x2f, 0x3d, 0x28, 0x29, 0x21, 0x2c]);

/** A tokenizer over one line, as nexttoken() walks it (on a copy it may rewrite in place). */
class Tokens {
  readonly #s: Buffer;
  #pos = 0;

  constructor(line: Buffer) {
    this.#s = Buffer.from(line);
  }

  /** Whether only blanks are left. */
  atEnd(): boolean {
    return this.#pos >= this.#s.length;
  }

  skipBlanks(): void {
    while (this.#pos < this.#s.length && isBlank(this.#s[this.#pos])) this.#pos++;
  }

  /** The next token, or undefined where augrun.c reports an error (libaugeas will report it). */
  next(isPath: boolean): Buffer | undefined {
    const s = this.#s;
    const at = (i: number): number => (i < s.length ? (s[i] ?? 0) : 0);
    let i = this.#pos;
    while (i < s.length && isBlank(s[i])) i++;
    const out: number[] = [];
    let quot = 0;
    let nbracket = 0;
    let nescaped = 0;
    while (i < s.length) {
      let copy = true;
      if (at(i) === BACKSLASH) {
        const next = at(i + 1);
        if (passedEscapes.has(next)) {
          nescaped = 2;
        } else if (next === 0x74 || next === 0x6e) {
          // \t and \n: the next character becomes a tab or a newline.
          s[i + 1] = next === 0x74 ? 0x09 : 0x0a;
          nescaped = 1;
          i += 1;
        } else if (next === 0x20 || next === 0x09 || next === QUOTE || next === DOUBLE_QUOTE || next === BACKSLASH) {
          // A blank passes with its backslash inside quotes; a quote with its backslash inside
          // the other quotes; otherwise (and always for a backslash) the next character alone.
          const keepsBackslash = (isBlank(next) && quot !== 0) || ((next === QUOTE || next === DOUBLE_QUOTE) && quot !== 0 && quot !== next);
          if (!keepsBackslash) {
            nescaped = 1;
            i += 1;
          }
        } else {
          return undefined; // unknown escape sequence
        }
      }
      const c = at(i);
      if (nescaped === 0) {
        if (c === 0x5b) nbracket += 1;
        if (c === 0x5d) nbracket -= 1;
        if (nbracket < 0 && isPath) return undefined; // unmatched [
        if (!isPath || nbracket === 0) {
          if (quot === 0 && (c === QUOTE || c === DOUBLE_QUOTE)) {
            quot = c;
            copy = false;
          } else if (quot !== 0 && c === quot) {
            quot = 0;
            copy = false;
          }
          if (quot === 0 && isBlank(c)) break;
        }
      } else {
        nescaped -= 1;
      }
      if (copy) out.push(c);
      i += 1;
    }
    if (i >= s.length && isPath && nbracket > 0) return undefined; // unmatched [
    if (i >= s.length && quot !== 0) return undefined; // unmatched quote
    // nexttoken continues after the blank that ended the token.
    this.#pos = i >= s.length ? s.length : i + 1;
    return Buffer.from(out);
  }
}

/** cleanpath(): trailing `/` and whitespace go, except from "/" itself. */
function cleanPath(token: Buffer): Buffer {
  if (token.length === 1 && token[0] === 0x2f) return token;
  let end = token.length;
  while (end > 0 && (token[end - 1] === 0x2f || isSpace(token[end - 1]))) end--;
  return token.subarray(0, end);
}

/**
 * The command and arguments aug_srun will run for `line`, or undefined where it will report a
 * syntax error (unknown command, wrong argument count, bad quoting) and run nothing.
 */
export function parseLine(line: Buffer): ParsedCommand | undefined {
  const tokens = new Tokens(line);
  const nameBytes = tokens.next(false);
  if (nameBytes === undefined) return undefined;
  const name = nameBytes.toString("latin1");
  const def = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (def === undefined) return undefined;
  const args: Buffer[] = [];
  while (!tokens.atEnd()) {
    tokens.skipBlanks();
    const arg = def.args[args.length];
    if (arg === undefined) return undefined; // too many arguments
    const token = tokens.next(arg.kind === "path");
    if (token === undefined) return undefined;
    args.push(arg.kind === "path" ? cleanPath(token) : token);
    tokens.skipBlanks();
  }
  if (args.length < def.args.filter((a) => !a.optional).length) return undefined; // not enough arguments
  return { name, args };
}
