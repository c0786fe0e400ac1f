/*
 * Finds the line of a key such as `augeas.file[1].write[2]` in TOML text, so
 * that a semantic error can point at the line a reviewer has to fix. smol-toml
 * reports positions only for syntax errors, hence this small scanner. It is
 * best effort: it understands table headers, arrays of tables, (dotted) keys
 * and array elements spread over lines; anything it cannot place falls back
 * to the nearest enclosing key or table it could.
 */

export type KeyLineIndex = (key: string) => number | undefined;

export function indexKeyLines(text: string): KeyLineIndex {
  const lines = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  const record = (key: string, line: number): void => {
    if (!lines.has(key)) lines.set(key, line);
  };
  let table = "";
  let pos = 0;
  let line = 1;
  const n = text.length;

  const skipToLineEnd = (): void => {
    while (pos < n && text[pos] !== "\n") pos++;
  };
  const skipSpaces = (): void => {
    while (pos < n && (text[pos] === " " || text[pos] === "\t")) pos++;
  };
  // Skips a string starting at pos (any of the four TOML kinds), counting newlines.
  const skipString = (): void => {
    const q = text[pos]!;
    const triple = text.startsWith(q.repeat(3), pos);
    const close = triple ? q.repeat(3) : q;
    pos += close.length;
    while (pos < n) {
      const c = text[pos]!;
      if (c === "\n") {
        if (!triple) return;
        line++;
      }
      if (c === "\\" && q === '"') {
        pos += 2;
        continue;
      }
      if (text.startsWith(close, pos)) {
        pos += close.length;
        while (triple && text[pos] === q) pos++;
        return;
      }
      pos++;
    }
  };
  const readKey = (): string | undefined => {
    const parts: string[] = [];
    for (;;) {
      skipSpaces();
      const c = text[pos];
      if (c === '"' || c === "'") {
        const start = pos;
        skipString();
        parts.push(text.slice(start + 1, pos - 1));
      } else {
        const m = /^[A-Za-z0-9_-]+/.exec(text.slice(pos, pos + 256));
        if (!m) return undefined;
        parts.push(m[0]);
        pos += m[0].length;
      }
      skipSpaces();
      if (text[pos] !== ".") return parts.join(".");
      pos++;
    }
  };
  // Records every element of the array value starting at pos ('[').
  const scanArray = (key: string): void => {
    const counters: number[] = [];
    const expecting: boolean[] = [];
    const here = (): string => key + counters.map((c) => `[${c}]`).join("");
    while (pos < n) {
      const c = text[pos]!;
      const depth = counters.length;
      if (c === "\n") {
        line++;
        pos++;
        continue;
      }
      if (c === " " || c === "\t" || c === "\r") {
        pos++;
        continue;
      }
      if (c === "#") {
        skipToLineEnd();
        continue;
      }
      if (depth > 0 && expecting[depth - 1] && c !== "]") {
        counters[depth - 1]!++;
        expecting[depth - 1] = false;
        record(here(), line);
      }
      if (c === "[") {
        counters.push(-1);
        expecting.push(true);
        pos++;
      } else if (c === "]") {
        counters.pop();
        expecting.pop();
        pos++;
        if (counters.length === 0) return;
      } else if (c === ",") {
        if (depth > 0) expecting[depth - 1] = true;
        pos++;
      } else if (c === '"' || c === "'") {
        skipString();
      } else if (c === "{") {
        // inline tables: skip to the matching brace
        let braces = 0;
        while (pos < n) {
          const d = text[pos]!;
          if (d === '"' || d === "'") {
            skipString();
            continue;
          }
          if (d === "\n") line++;
          if (d === "{") braces++;
          if (d === "}" && --braces === 0) {
            pos++;
            break;
          }
          pos++;
        }
      } else pos++;
    }
  };

  while (pos < n) {
    skipSpaces();
    const c = text[pos];
    if (c === "\n") {
      line++;
      pos++;
      continue;
    }
    if (c === undefined) break;
    if (c === "#" || c === "\r") {
      skipToLineEnd();
      continue;
    }
    if (c === "[") {
      const isArray = text[pos + 1] === "[";
      pos += isArray ? 2 : 1;
      const name = readKey() ?? "";
      if (isArray) {
        const index = arrayCounts.get(name) ?? 0;
        arrayCounts.set(name, index + 1);
        table = `${name}[${index}]`;
        record(name, line);
      } else table = name;
      record(table, line);
      skipToLineEnd();
      continue;
    }
    const key = readKey();
    if (key === undefined) {
      skipToLineEnd();
      continue;
    }
    const full = table ? `${table}.${key}` : key;
    record(full, line);
    skipSpaces();
    if (text[pos] === "=") pos++;
    skipSpaces();
    const v = text[pos];
    if (v === "[") scanArray(full);
    else if (v === '"' || v === "'") skipString();
    skipToLineEnd();
  }

  return (key: string): number | undefined => {
    let k = key;
    for (;;) {
      const found = lines.get(k);
      if (found !== undefined) return found;
      const shorter = k.replace(/(\[\d+\]|\.[^.[\]]*)$/, "");
      if (shorter === k || shorter === "") return lines.get(shorter);
      k = shorter;
    }
  };
}
