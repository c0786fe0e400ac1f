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
import { matchCommand } from "./match.js";
import { previewCommand } from "./preview.js";
import { rmCommand } from "./rm.js";
import { saveCommand } from "./save.js";
import { setCommand } from "./set.js";

export const COMMANDS: readonly CliCommand[] = [
  getCommand,
  setCommand,
  matchCommand,
  rmCommand,
  applyCommand,
  saveCommand,
  previewCommand,
  discardCommand,
  discoverCommand,
  callCommand,
];
