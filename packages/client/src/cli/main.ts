#!/usr/bin/env node
import { runCli } from "./program.js";

// `machina match … | head` closes stdout early; that is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

// No top-level await: the shipped form is a CommonJS bundle (scripts/bundle.mjs).
void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
