/**
 * Whether a command line runs the daemon (`run`, the default command) rather
 * than keygen, policy, --help or --version — judged before commander parses
 * it, so that main.ts can start the Augeas host early. A wrong guess costs
 * only a process that exits with machinad.
 */
export function runsTheDaemon(args: readonly string[]): boolean {
  if (args.some((a) => a === "-h" || a === "--help" || a === "-V" || a === "--version" || a === "help")) return false;
  const first = args[0];
  return first === undefined || first === "run" || first.startsWith("-");
}
