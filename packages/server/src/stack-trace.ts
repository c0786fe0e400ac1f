/**
 * Stack traces for the daemon's log that point into the TypeScript sources.
 *
 * machinad runs from bundles (scripts/bundle.mjs) with a source map beside
 * each. Node's --enable-source-maps would parse every map when its bundle
 * loads — 7 MB of resident memory and start-up time, paid by every daemon for
 * the rare trace it logs. Instead a trace is mapped when it is logged: the map
 * of a frame's file is read then, once, with node:module's SourceMap. A frame
 * without a map (node's own, or a file with no map beside it) is left as is.
 */
import fs from "node:fs";
import path from "node:path";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

const maps = new Map<string, SourceMap | null>();

/** `file`'s source map (its FILE.map), or null when it has none that parses. */
function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  try {
    map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, "utf8")) as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    map = null;
  }
  maps.set(file, map);
  return map;
}

// "    at fn (/abs/file.cjs:12:34)" or "    at /abs/file.cjs:12:34" (also as file:// URLs).
const FRAME = /^(\s+at (?:.*? \()?)((?:file:\/\/)?\/[^():]+\.(?:cjs|mjs|js)):(\d+):(\d+)(\)?)$/;

/** One frame line mapped to its original source, or the line unchanged. */
function mapFrame(line: string): string {
  const m = FRAME.exec(line);
  if (!m) return line;
  const [, head, location, row, column, tail] = m as unknown as [string, string, string, string, string, string];
  const file = location.startsWith("file://") ? fileURLToPath(location) : location;
  // An empty object when nothing maps there (node 18 and 20 alike).
  const entry: { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined = mapOf(file)?.findEntry(Number(row) - 1, Number(column) - 1);
  if (!entry?.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return line;
  const source = entry.originalSource.startsWith("file://") ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
  return `${head}${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}${tail}`;
}

/** The error's stack (or message) with each bundle frame pointing into the sources; as is when node maps traces itself. */
export function loggedStack(error: Error): string {
  const stack = error.stack ?? error.message;
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled) return stack;
  return stack.split("\n").map(mapFrame).join("\n");
}
