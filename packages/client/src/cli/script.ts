/**
 * The change scripts `machina apply` reads: augtool's editing commands, one per
 * line, turned into the change list of one `augeas.apply` call.
 *
 *   set PATH VALUE            setm BASE SUB [VALUE]     rm PATH (remove)
 *   ins LABEL before|after PATH (insert)               mv SRC DST (move)
 *   rename PATH LABEL         clear PATH                clearm BASE SUB
 *   touch PATH                save (ignored)
 *
 * `clearm` is a setm to no value and `touch` creates PATH when nothing matches
 * it (keeping the value of what does), as in augtool. Guards, spelled like
 * Puppet's augeas `onlyif`, become `op: "guard"` entries evaluated where they
 * stand in the list (after the lines before them); when one does not hold,
 * nothing of the script is applied:
 *
 *   onlyif get PATH == VALUE      onlyif get PATH != VALUE
 *   onlyif match PATH size OP N   (OP one of == != < <= > >=; N a count)
 *   onlyif exists PATH            onlyif missing PATH
 *
 * A script VALUE is always a string: a guard on "the node has no value" is
 * only expressible in the JSON change list (`value: null`).
 *
 * Lines whose first non-blank character is `#` are comments; blank lines are
 * ignored. Arguments are split on blanks, as augtool does:
 *
 * - `"…"` groups, with backslash escapes inside (`\"`, `\\`, `\t`, `\n`; `\[` and
 *   `\]` keep their backslash, for Augeas; any other `\c` is `c`);
 * - `'…'` groups literally, no escapes;
 * - outside quotes a backslash escapes the next character the same way (so
 *   `\ ` is a blank inside an argument);
 * - in a path argument, a bracketed predicate groups too: everything from `[`
 *   to its matching `]` — blanks, quotes, backslashes — is kept verbatim, so
 *   `/files/etc/hosts/*[canonical = "localhost"]/alias` is one argument with its
 *   quotes. Quotes inside a predicate are tracked, so `]` within a quoted
 *   literal does not close it.
 *
 * A `#` anywhere but at the start of a line is an ordinary character (labels
 * such as `#comment` are common in paths).
 */
import type { AugeasChange, AugeasGuard } from "@machina/protocol";

/** A script line that could not be parsed. The message reads `FILE:LINE: problem`. */
export class ScriptError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = "ScriptError";
  }
}

/** The parsed script: the change list, and the script line of each change. */
export interface ParsedScript {
  changes: AugeasChange[];
  lines: number[];
}

interface ArgSpec {
  name: string;
  /** Brackets group (and keep quotes verbatim) in path arguments. */
  path: boolean;
  optional?: boolean;
}

interface CommandSpec {
  args: ArgSpec[];
  /** How to write it, when the argument names do not say it well enough. */
  usage?: string;
  /** Builds the change; returns a problem text for a bad argument; `null` for a command that adds nothing. */
  build(args: string[]): AugeasChange | string | null;
}

const PATH = (name: string): ArgSpec => ({ name, path: true });
const WORD = (name: string): ArgSpec => ({ name, path: false });

const SET: CommandSpec = {
  args: [PATH("PATH"), WORD("VALUE")],
  build: ([path, value]) => ({ op: "set", path: path!, value: value! }),
};
const SETM: CommandSpec = {
  args: [PATH("BASE"), PATH("SUB"), { ...WORD("VALUE"), optional: true }],
  build: ([base, sub, value]) => ({ op: "setm", base: base!, sub: sub!, value: value ?? null }),
};
const REMOVE: CommandSpec = {
  args: [PATH("PATH")],
  build: ([path]) => ({ op: "remove", path: path! }),
};
const INSERT: CommandSpec = {
  args: [WORD("LABEL"), WORD("before|after"), PATH("PATH")],
  build: ([label, where, path]) =>
    where === "before" || where === "after"
      ? { op: "insert", label: label!, path: path!, before: where === "before" }
      : `expected 'before' or 'after', got '${where}'`,
};
const MOVE: CommandSpec = {
  args: [PATH("SRC"), PATH("DST")],
  build: ([source, destination]) => ({ op: "move", source: source!, destination: destination! }),
};
const RENAME: CommandSpec = {
  args: [PATH("PATH"), WORD("LABEL")],
  build: ([path, label]) => ({ op: "rename", path: path!, label: label! }),
};
const CLEAR: CommandSpec = {
  args: [PATH("PATH")],
  build: ([path]) => ({ op: "clear", path: path! }),
};
const CLEARM: CommandSpec = {
  args: [PATH("BASE"), PATH("SUB")],
  build: ([base, sub]) => ({ op: "setm", base: base!, sub: sub!, value: null }),
};
const TOUCH: CommandSpec = {
  args: [PATH("PATH")],
  build: ([path]) => ({ op: "touch", path: path! }),
};

const SIZE_OPS: readonly string[] = ["==", "!=", "<", "<=", ">", ">="];
const COUNT = /^[0-9]{1,9}$/;

const ONLYIF: CommandSpec = {
  args: [WORD("TEST"), PATH("PATH"), { ...WORD("OP"), optional: true }, { ...WORD("VALUE"), optional: true }, { ...WORD("N"), optional: true }],
  usage: "onlyif get PATH ==|!= VALUE | onlyif match PATH size OP N | onlyif exists|missing PATH",
  build: ([test, path, ...rest]): AugeasGuard | string => {
    const arity = (n: number, form: string) => (rest.length === n ? undefined : `expected ${form}`);
    switch (test) {
      case "get": {
        const wrong = arity(2, "onlyif get PATH ==|!= VALUE");
        if (wrong) return wrong;
        const [is, value] = rest as [string, string];
        if (is !== "==" && is !== "!=") return `expected '==' or '!=' after the path, got '${is}'`;
        return { op: "guard", get: path!, is, value };
      }
      case "match": {
        const wrong = arity(3, "onlyif match PATH size OP N");
        if (wrong) return wrong;
        const [size, op, n] = rest as [string, string, string];
        if (size !== "size") return `expected 'size' after the path, got '${size}' (only 'match PATH size OP N' is supported)`;
        if (!SIZE_OPS.includes(op)) return `expected one of ${SIZE_OPS.join(" ")} after 'size', got '${op}'`;
        if (!COUNT.test(n)) return `expected a count (0 to 999999999) after '${op}', got '${n}'`;
        return { op: "guard", match: path!, size: op as Extract<AugeasGuard, { match: string }>["size"], count: Number(n) };
      }
      case "exists":
      case "missing": {
        const wrong = arity(0, `onlyif ${test} PATH`);
        if (wrong) return wrong;
        return test === "exists" ? { op: "guard", exists: path! } : { op: "guard", missing: path! };
      }
      default:
        return `unknown test '${test}' (expected get, match, exists or missing)`;
    }
  },
};
/** `machina apply` saves at the end anyway; augtool scripts often end with `save`. */
const SAVE: CommandSpec = { args: [], build: () => null };

/** Every script command, aliases included. */
export const SCRIPT_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  set: SET,
  setm: SETM,
  rm: REMOVE,
  remove: REMOVE,
  ins: INSERT,
  insert: INSERT,
  mv: MOVE,
  move: MOVE,
  rename: RENAME,
  clear: CLEAR,
  clearm: CLEARM,
  touch: TOUCH,
  onlyif: ONLYIF,
  save: SAVE,
};

class LineProblem extends Error {}

const BLANK = /[ \t]/;

function escaped(next: string): string {
  switch (next) {
    case "t":
      return "\t";
    case "n":
      return "\n";
    case "[":
    case "]":
      return "\\" + next;
    default:
      return next;
  }
}

/**
 * Splits one line into arguments. `isPath(i)` says whether argument `i` is a
 * path (where brackets group). Throws LineProblem.
 */
export function splitArguments(line: string, isPath: (index: number) => boolean): string[] {
  const args: string[] = [];
  let i = 0;
  for (;;) {
    while (i < line.length && BLANK.test(line[i]!)) i++;
    if (i >= line.length) return args;
    const path = isPath(args.length);
    let out = "";
    let quote: '"' | "'" | null = null;
    let depth = 0;
    let innerQuote: '"' | "'" | null = null;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (quote === "'") {
        if (c === "'") quote = null;
        else out += c;
        continue;
      }
      if (c === "\\") {
        const next = line[i + 1];
        if (next === undefined) throw new LineProblem("backslash at the end of the line");
        i++;
        out += depth > 0 ? c + next : escaped(next);
        continue;
      }
      if (quote === '"') {
        if (c === '"') quote = null;
        else out += c;
        continue;
      }
      if (depth > 0) {
        // Inside a predicate everything is verbatim; only brackets outside
        // quoted literals count.
        if (innerQuote) {
          if (c === innerQuote) innerQuote = null;
        } else if (c === '"' || c === "'") innerQuote = c;
        else if (c === "[") depth++;
        else if (c === "]") depth--;
        out += c;
        continue;
      }
      if (BLANK.test(c)) break;
      if (c === '"' || c === "'") {
        quote = c;
        continue;
      }
      if (path && c === "[") depth++;
      else if (path && c === "]") throw new LineProblem("unmatched ']'");
      out += c;
    }
    if (quote) throw new LineProblem(`unterminated ${quote === '"' ? "double" : "single"} quote`);
    if (innerQuote) throw new LineProblem(`unterminated quote inside '[…]'`);
    if (depth > 0) throw new LineProblem("unmatched '['");
    args.push(out);
  }
}

function usage(command: string, spec: CommandSpec): string {
  return spec.usage ?? [command, ...spec.args.map((a) => (a.optional ? `[${a.name}]` : a.name))].join(" ");
}

function parseLine(line: string): AugeasChange | null {
  const command = /^[ \t]*([^ \t]+)/.exec(line)?.[1] ?? "";
  const spec = Object.prototype.hasOwnProperty.call(SCRIPT_COMMANDS, command) ? SCRIPT_COMMANDS[command] : undefined;
  if (!spec) {
    throw new LineProblem(`unknown command '${command}' (expected one of: ${Object.keys(SCRIPT_COMMANDS).join(", ")})`);
  }
  const args = splitArguments(line, (index) => index > 0 && spec.args[index - 1]?.path === true).slice(1);
  const required = spec.args.filter((a) => !a.optional).length;
  if (args.length < required) {
    throw new LineProblem(`${command}: missing ${spec.args[args.length]!.name} (usage: ${usage(command, spec)})`);
  }
  if (args.length > spec.args.length) {
    throw new LineProblem(`${command}: too many arguments (usage: ${usage(command, spec)})`);
  }
  args.forEach((arg, index) => {
    const a = spec.args[index]!;
    if (arg === "" && a.name !== "VALUE") throw new LineProblem(`${command}: ${a.name} is empty`);
  });
  const built = spec.build(args);
  if (typeof built === "string") throw new LineProblem(`${command}: ${built}`);
  return built;
}

/**
 * Parses a change script. `file` names it in errors (`-` for stdin reads best
 * as `<stdin>`). Throws {@link ScriptError} on the first bad line.
 */
export function parseScript(text: string, file: string): ParsedScript {
  const changes: AugeasChange[] = [];
  const lines: number[] = [];
  const all = text.replace(/^\uFEFF/, "").split("\n");
  all.forEach((raw, index) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    try {
      const change = parseLine(line);
      if (change) {
        changes.push(change);
        lines.push(index + 1);
      }
    } catch (error) {
      if (error instanceof LineProblem) throw new ScriptError(file, index + 1, error.message);
      throw error;
    }
  });
  return { changes, lines };
}
