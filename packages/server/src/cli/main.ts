#!/usr/bin/env node
// machinad's entry point: parse the command line and run; all logic lives in program.ts and the actions.
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv);
