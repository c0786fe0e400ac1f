/**
 * Every command of the `machina` CLI, in the order `--help` lists them. A new
 * command (service, package, …) is one file in this directory and one entry here.
 */
import type { CliCommand } from "../command.js";
import { applyCommand } from "./apply.js";
import { callCommand } from "./call.js";
import { discardCommand } from "./discard.js";
import { discoverCommand } from "./discover.js";
import { getCommand } from "./get.js";
import { historyCommand } from "./history.js";
import { matchCommand } from "./match.js";
import { packageCommand } from "./package.js";
import { previewCommand } from "./preview.js";
import { rmCommand } from "./rm.js";
import { rollbackCommand } from "./rollback.js";
import { runCommand } from "./run.js";
import { saveCommand } from "./save.js";
import { serviceCommand } from "./service.js";
import { setCommand } from "./set.js";
import { timezoneCommand } from "./timezone.js";

export const COMMANDS: readonly CliCommand[] = [
  getCommand,
  setCommand,
  matchCommand,
  rmCommand,
  applyCommand,
  saveCommand,
  previewCommand,
  discardCommand,
  historyCommand,
  rollbackCommand,
  serviceCommand,
  packageCommand,
  timezoneCommand,
  runCommand,
  discoverCommand,
  callCommand,
];
