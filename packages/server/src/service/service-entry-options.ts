/**
 * What a `[[service]]` entry may say besides its name and actions:
 *
 * - `backend = "supervisor"`: the entry names supervisord programs, controlled
 *   over supervisord's XML-RPC socket, instead of services of the daemon's own
 *   backend (`--service-backend`: init scripts or systemd);
 * - `reload_signal = "USR2"` (supervisor entries): the signal a reload sends
 *   (default `HUP`; supervisord has no reload of its own);
 * - `test = ["/usr/sbin/nginx", "-t"]`: a configuration test run before every
 *   reload or restart of the services the entry matches, checked like a
 *   `[[command]]`'s program (an absolute, normalised path; no shell), with
 *   `test_timeout` seconds (default 30). The reload or restart happens only
 *   when it exits 0 (a policy check program, ../process/policy-check-program.ts).
 */
import { explainCheckProgram, parseCheckProgram, type PolicyCheckProgram } from "../process/policy-check-program.js";
import type { PolicyValidator, TomlTable } from "../policy/policy-validator.js";

/** The backends an entry may name; absent means the daemon's own. */
export const ENTRY_BACKENDS = ["supervisor"] as const;
export type EntryBackend = (typeof ENTRY_BACKENDS)[number];

/** The signals a supervisor entry's reload may send (names as supervisord's signalProcess takes them). */
export const RELOAD_SIGNALS = ["HUP", "USR1", "USR2", "INT", "QUIT", "TERM", "WINCH"] as const;
export const DEFAULT_RELOAD_SIGNAL = "HUP";

/** The program (absolute path) and its arguments, exactly as run, and its timeout in seconds. */
export type ConfigTest = PolicyCheckProgram;

export interface ServiceEntryOptions {
  backend?: EntryBackend;
  reloadSignal?: (typeof RELOAD_SIGNALS)[number];
  test?: ConfigTest;
}

/** The TOML keys these options take. */
export const SERVICE_ENTRY_OPTION_KEYS = ["backend", "reload_signal", "test", "test_timeout"] as const;

/** Reads the options of entry `key`; problems go to the validator (then undefined). */
export function parseServiceEntryOptions(t: TomlTable, key: string, v: PolicyValidator): ServiceEntryOptions | undefined {
  const out: ServiceEntryOptions = {};
  let ok = true;
  const backend = v.string(t, key, "backend");
  if (backend !== undefined) {
    if ((ENTRY_BACKENDS as readonly string[]).includes(backend)) out.backend = backend as EntryBackend;
    else {
      v.error(`${key}.backend`, `unknown backend ${JSON.stringify(backend)} (one of ${ENTRY_BACKENDS.join(", ")}; leave it out for the daemon's own, --service-backend)`);
      ok = false;
    }
  } else if (t.backend !== undefined) ok = false;
  const signal = v.string(t, key, "reload_signal");
  if (signal !== undefined) {
    if (!(RELOAD_SIGNALS as readonly string[]).includes(signal)) {
      v.error(`${key}.reload_signal`, `unknown signal ${JSON.stringify(signal)} (one of ${RELOAD_SIGNALS.join(", ")}, without SIG)`);
      ok = false;
    } else if (out.backend !== "supervisor") {
      v.error(`${key}.reload_signal`, 'only supervisor entries (backend = "supervisor") choose their reload signal');
      ok = false;
    } else out.reloadSignal = signal as (typeof RELOAD_SIGNALS)[number];
  } else if (t.reload_signal !== undefined) ok = false;
  const test = parseCheckProgram(t, key, v, { argv: "test", timeout: "test_timeout" });
  if (test.check) out.test = test.check;
  if (!test.ok) ok = false;
  return ok ? out : undefined;
}

/** What `policy explain` adds for an entry: a note after its actions, and lines below it. */
export function explainServiceEntryOptions(o: ServiceEntryOptions, actions: readonly string[]): { note: string; lines: string[] } {
  const lines: string[] = [];
  if (o.backend === "supervisor" && actions.includes("reload")) lines.push(`    reload sends SIG${o.reloadSignal ?? DEFAULT_RELOAD_SIGNAL} through supervisord`);
  if (o.test) {
    lines.push(
      `    before reload and restart runs ${explainCheckProgram(o.test)}; anything but exit 0 refuses them (validation-failed)`,
    );
  }
  return { note: o.backend ? ` [${o.backend}]` : "", lines };
}
