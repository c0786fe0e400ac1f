#!/usr/bin/env node
// machinad's entry point: parse the command line and run; all logic lives in program.ts and the actions.
// Kept small on purpose: the Augeas host process is started before the rest of the daemon is
// loaded (program.js, imported below), so that its start-up and ours overlap.
import { scrubAugeasEnvironment } from "../augeas/lens-directories.js";
import { discardPrestartedHost, prestartHostProcess } from "../augeas/host/host-process.js";
import { runsTheDaemon } from "./runs-the-daemon.js";

// Before any libaugeas handle exists (policy check and explain open one too), and before the
// host process inherits the environment.
scrubAugeasEnvironment();
if (runsTheDaemon(process.argv.slice(2))) prestartHostProcess();
// No top-level await: the shipped form is a CommonJS bundle (scripts/bundle.mjs).
void import("./program.js").then(async ({ runCli }) => {
  process.exitCode = await runCli(process.argv);
  // The daemon did not start (usage, secret or policy error): the host it would have used goes.
  discardPrestartedHost();
});
