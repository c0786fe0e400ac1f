// Limits on path expressions, checked before libaugeas parses them. libaugeas 1.14 parses and
// evaluates path expressions recursively (one C stack frame chain per nesting level and per
// operator in a chain such as `a|a|a`) and walks long step lists in quadratic time, so an
// oversized path crashes the process (stack overflow, SIGSEGV) or blocks it for minutes.
// The numbers come from measurements; README.md ("Guards") has them.
import { checkString } from "./argument-checks.js";
import { guardError } from "./errors.js";
import type { StringOrBytes } from "./text.js";

/**
 * Longest path expression (and label), in UTF-8 bytes. Bounds operator chains: 8191 `|`s in
 * 16 KiB need ~0.9 MiB of stack; libaugeas overflowed a 4 MiB worker stack at ~37 000 (74 KB).
 */
export const MAX_PATH_BYTES = 16 * 1024;

/**
 * Most `/` characters in a path expression. Also bounds how much deeper one call can make the
 * tree: libaugeas walks deep trees slowly (match "//*" over a 5000-deep chain took 12 s).
 */
export const MAX_PATH_STEPS = 256;

/** Deepest nesting of `[` and `(`; ~10 000 levels overflowed a 4 MiB worker stack. */
export const MAX_PATH_NESTING = 64;

/**
 * What is wrong with `path` as a path expression under the limits, or undefined. Counts every
 * `/`, `[` and `(` that no backslash escapes, including those inside string literals: an
 * over-count only refuses a path that is close to the limits anyway, while telling literals
 * apart from names (a name may contain quotes) would take libaugeas' own parser. Bytes and
 * UTF-16 units count alike: these characters are ASCII, and no byte of a multi-byte UTF-8
 * sequence (nor a surrogate) is ASCII.
 */
export function pathLimitProblem(path: StringOrBytes): string | undefined {
  const structure = new PathStructure();
  if (typeof path !== "string") {
    if (path.length > MAX_PATH_BYTES) return `is ${path.length} bytes long, more than the ${MAX_PATH_BYTES} allowed`;
    for (let i = 0; i < path.length; i++) if (structure.escapes(path[i] ?? 0)) i++;
    return structure.problem();
  }
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so short strings skip the byte count.
  if (path.length * 3 > MAX_PATH_BYTES) {
    const bytes = Buffer.byteLength(path, "utf8");
    if (bytes > MAX_PATH_BYTES) return `is ${bytes} bytes long, more than the ${MAX_PATH_BYTES} allowed`;
  }
  for (let i = 0; i < path.length; i++) if (structure.escapes(path.charCodeAt(i))) i++;
  return structure.problem();
}

/** Counts steps and nesting one character (or byte) at a time. */
class PathStructure {
  #steps = 0;
  #depth = 0;
  #deepest = 0;

  /** Takes one character code; true if it is a backslash, whose next character is part of a name. */
  escapes(code: number): boolean {
    switch (code) {
      case 0x5c: // backslash
        return true;
      case 0x2f: // /
        this.#steps++;
        break;
      case 0x5b: // [
      case 0x28: // (
        this.#depth++;
        if (this.#depth > this.#deepest) this.#deepest = this.#depth;
        break;
      case 0x5d: // ]
      case 0x29: // )
        if (this.#depth > 0) this.#depth--;
        break;
    }
    return false;
  }

  problem(): string | undefined {
    if (this.#steps > MAX_PATH_STEPS) return `has ${this.#steps} '/' steps, more than the ${MAX_PATH_STEPS} allowed`;
    if (this.#deepest > MAX_PATH_NESTING) return `nests '[' and '(' ${this.#deepest} deep, more than the ${MAX_PATH_NESTING} allowed`;
    return undefined;
  }
}

/** A string that is a path expression within the limits; EGUARD otherwise. */
export function checkPath(value: unknown, name: string): asserts value is StringOrBytes {
  checkString(value, name);
  const problem = pathLimitProblem(value);
  if (problem !== undefined) throw guardError(`${name} ${problem} (libaugeas 1.14 can crash or stall on such paths)`);
}

export function checkNullablePath(value: unknown, name: string): asserts value is StringOrBytes | null {
  if (value !== null) checkPath(value, name);
}

/** A label: a string no longer than a path may be (a longer one could never be addressed). */
export function checkLabel(value: unknown, name: string): asserts value is StringOrBytes {
  checkString(value, name);
  const bytes = typeof value === "string" ? (value.length * 3 > MAX_PATH_BYTES ? Buffer.byteLength(value, "utf8") : 0) : value.length;
  if (bytes > MAX_PATH_BYTES) {
    throw guardError(`${name} is longer than the ${MAX_PATH_BYTES} bytes a path may have`);
  }
}
