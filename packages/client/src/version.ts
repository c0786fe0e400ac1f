/** This package's version: inlined by the bundler (scripts/bundle.mjs), read from package.json when run from dist/. */
import { createRequire } from "node:module";

declare const __MACHINA_VERSION__: string | undefined;

export const VERSION: string =
  typeof __MACHINA_VERSION__ === "string" ? __MACHINA_VERSION__ : (createRequire(import.meta.url)("../package.json") as { version: string }).version;
