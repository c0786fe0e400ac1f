/**
 * An `[[augeas.file]]`'s validator: `validate = ["/usr/sbin/visudo", "-cf",
 * "%s"]` runs on every new version of the file before it replaces the file
 * (`augeas.save`, `augeas.apply`, and anything else that saves through the
 * workspace), as Ansible's `validate` does: a lens only knows a file's
 * syntax, the program that reads the file knows what it means. Each `%s` in
 * the arguments is the new version's path — FILE.augnew, beside FILE, with
 * the attributes FILE will have (file-attributes.ts). It is a policy check
 * program (../process/policy-check-program.ts): trusted program, no shell,
 * safe PATH only, timeout, output cap, contained.
 *
 * Anything but exit 0 in time refuses the whole save (`validation-failed`,
 * naming the file, with the exit status): no file of the save is written.
 * The validator's output reaches the client only when the client may read
 * the whole file anyway (mayShowFileText: read patterns covering `**`, no secret nodes): `visudo` and `sshd -t`
 * quote the lines they reject, and a client that may only read `Port` must
 * not learn the rest of sshd_config from an error. Where it does, the
 * temporary path (an internal detail) reads as the file's policy path. The
 * output never goes to the log (the log would be another way to read it).
 */
import { Fault } from "../faults.js";
import type { Logger } from "../logger.js";
import { runCheckProgram } from "../process/policy-check-program.js";
import type { AugeasSection, FileRule } from "./augeas-section.js";
import { mayShowFileText } from "./secret-rules.js";

/** Stands for the new version's path in a validator's arguments. */
export const VALIDATOR_FILE_ARG = "%s";

/** The policy's own rules on a validator's vector (parseCheckProgram checks the rest). */
export function validateArgvProblem(argv: readonly string[]): { index: number; message: string } | undefined {
  if (argv[0]!.includes(VALIDATOR_FILE_ARG)) return { index: 0, message: `the program is named by its own path; ${VALIDATOR_FILE_ARG} (the file to check) belongs in its arguments` };
  if (!argv.slice(1).some((a) => a.includes(VALIDATOR_FILE_ARG))) {
    return {
      index: -1,
      message: `no argument holds ${VALIDATOR_FILE_ARG}, the path of the new version to check (e.g. ["/usr/sbin/visudo", "-cf", "${VALIDATOR_FILE_ARG}"]): a validator that is not given the file checks nothing`,
    };
  }
  return undefined;
}

/** One new version a save is about to put in place. */
export interface NewVersion {
  rule: FileRule;
  /** The new version's absolute path (FILE.augnew). */
  temp: string;
  /** FILE's absolute path (below --root). */
  target: string;
}

/**
 * Runs the validator of each new version that has one, one after the other
 * (in the order given); throws at the first that does not pass, and
 * `backend-failed` / `policy-denied` when one cannot be run at all.
 */
export async function runSaveValidators(versions: readonly NewVersion[], logger: Logger): Promise<void> {
  for (const { rule, temp, target } of versions) {
    const check = rule.validate;
    if (!check) continue;
    const file = rule.path;
    const argv = check.argv.map((a, i) => (i === 0 ? a : a.split(VALIDATOR_FILE_ARG).join(temp)));
    const failed = await runCheckProgram(argv, check.timeout, {
      logger,
      subject: `saving ${file}`,
      role: "validator",
      backend: "validator",
      target: file,
      untouched: "nothing was written",
    });
    if (!failed) continue;
    logger.info(`saving ${file} refused: its validator ${check.argv[0]} ${failed.why}`);
    const { why, output, ...fields } = failed;
    throw new Fault("validation-failed", `${file}: the policy's validator ${why}; nothing was written`, {
      file,
      ...fields,
      ...(mayShowFileText(rule) ? { output: output.toString("utf8").split(temp).join(file).split(target).join(file) } : {}),
    });
  }
}

/**
 * How much longer than a plain call a save may take: every validator's
 * timeout (a save runs at most each once). The daemon adds it to the time
 * limit of the calls that save (host/augeas-host.ts).
 */
export function validatorAllowanceMs(section: AugeasSection): number {
  return section.files.reduce((ms, f) => ms + (f.write.length > 0 && f.validate ? f.validate.timeout * 1000 : 0), 0);
}
