/**
 * Turns a libaugeas failure into the `augeas` error a client receives: the
 * code, the file as the policy names it (never the daemon's --root), and the
 * kind of each per-file problem — in our own words. libaugeas' own texts
 * (minor messages, details, per-file messages) can hold the file's tree with
 * values the client may not read (a failing put dumps it), so they reach
 * neither the client nor the audit line nor the daemon's log, which gets the
 * code, libaugeas' fixed message for it, and each problem's kind and line.
 */
import { AugeasError } from "augeas-node-bindings";
import type { AugeasFileProblem } from "@machina/protocol";
import { Fault } from "../faults.js";
import type { Logger } from "../logger.js";

/** What each libaugeas error code means, for the client. */
const CODE_WORDS: Record<string, string> = {
  ENOMEM: "libaugeas ran out of memory",
  EINTERNAL: "libaugeas failed internally",
  EPATHX: "invalid path expression",
  ENOMATCH: "no node matches the path",
  EMMATCH: "the path matches several nodes where one is needed",
  ENOLENS: "no such lens",
  EMXFM: "several lenses claim the file",
  EMVDESC: "a node cannot be moved into itself or below itself",
  ECPDESC: "a node cannot be copied into itself or below itself",
  EBADARG: "invalid argument",
  ELABEL: "invalid label",
  EFILEACCESS: "the file cannot be opened or read",
  ESAVE: "the changes cannot be written",
  ELOAD: "the file cannot be loaded",
  ETEXT: "the text cannot be parsed",
};

/** What each per-file problem libaugeas records (/augeas/files/…/error) means, for the client. */
const FILE_PROBLEM_WORDS: Record<string, string> = {
  parse_failed: "its text does not parse with its lens",
  put_failed: "its lens cannot write the changed tree (a value or a node where the lens does not accept it)",
  transform_failed: "no lens could be set up for it",
  read_failed: "it cannot be read",
};

/**
 * Codes the binding gives when libaugeas failed without setting one: their
 * message is then made of libaugeas' per-file texts, whose first line can
 * quote a value ("Value '…' does not match regexp … in store lens").
 */
const CODES_WITH_COMPOSED_MESSAGE = new Set(["ESAVE", "ELOAD", "ETEXT", "EFAILED"]);

function fileProblemWords(kind: string): string {
  return FILE_PROBLEM_WORDS[kind] ?? `it cannot be written (${kind})`;
}

/** The client's Fault for a libaugeas failure (anything else is returned unchanged); libaugeas' texts go to `logger`. */
export function augeasFault(e: unknown, file?: string, logger?: Logger): unknown {
  if (!(e instanceof AugeasError)) return e;
  const files: AugeasFileProblem[] = e.files
    .filter((f) => f.file !== null)
    .map((f) => ({ file: f.file!, error: f.kind, message: fileProblemWords(f.kind) }));
  const first = files[0];
  const where = file ?? first?.file;
  const reason = first ? fileProblemWords(first.error) : (CODE_WORDS[e.code] ?? `libaugeas refused the operation (${e.code})`);
  // libaugeas' per-file messages and details can dump the tree, values and all (secret
  // ones too): not even the log gets them, nor a message composed from them.
  const fixed = CODES_WITH_COMPOSED_MESSAGE.has(e.code) ? (CODE_WORDS[e.code] ?? "libaugeas failed") : e.augeasMessage;
  logger?.warn(
    `augeas ${e.code}${where ? ` on ${where}` : ""}: ${fixed}` +
      e.files.map((f) => `; ${f.file ?? f.node}: ${f.kind}${f.line !== undefined ? ` at line ${f.line}` : ""}`).join(""),
  );
  return new Fault("augeas", where ? `${where}: ${reason}` : reason, {
    code: e.code,
    message: CODE_WORDS[e.code] ?? reason,
    ...(where ? { file: where } : {}),
    ...(files.length ? { files } : {}),
  });
}
