/**
 * The shape of a CLI command: it declares itself to commander, parses what
 * commander collected into a typed options object, and runs. Each command is
 * one file in commands/ and one line in commands/index.ts.
 */
import type { Command } from "commander";
import type { CliContext } from "./context.js";

export interface CommandDefinition<O> {
  /** The command's name, as typed. */
  name: string;
  /** Adds arguments, options, description and help text to `command`. */
  declare(command: Command): void;
  /** Turns the declared arguments (in order) and the command's options into its typed options; throws UsageError. */
  parse(args: readonly unknown[], options: Record<string, unknown>): O;
  /** Does the work; errors are reported (and mapped to exit codes) by the program. */
  run(options: O, context: CliContext): Promise<void>;
}

/** A command ready to be attached to the program. */
export interface CliCommand {
  readonly name: string;
  attach(program: Command, context: () => CliContext): Command;
}

export function defineCommand<O>(definition: CommandDefinition<O>): CliCommand {
  return {
    name: definition.name,
    attach(program, context) {
      const command = program.command(definition.name);
      definition.declare(command);
      command.action(async (...received: unknown[]) => {
        const self = received[received.length - 1] as Command;
        const options = definition.parse(self.processedArgs, self.opts());
        await definition.run(options, context());
      });
      return command;
    },
  };
}

/** An optional string argument as commander hands it over. */
export function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A required string argument as commander hands it over (commander has already checked it is there). */
export function requiredString(value: unknown, name: string): string {
  if (typeof value !== "string") throw new Error(`missing argument ${name}`);
  return value;
}
