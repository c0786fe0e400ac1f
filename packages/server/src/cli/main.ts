#!/usr/bin/env node
// machinad's entry point: parse the command line and run; all logic lives in program.ts and the actions.
import { scrubAugeasEnvironment } from "../augeas/lens-directories.js";
import { runCli } from "./program.js";

// Before any libaugeas handle exists (policy check and explain open one too).
scrubAugeasEnvironment();
process.exitCode = await runCli(process.argv);
