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
 *   when it exits 0.
 */
import { DEFAULT_COMMAND_TIMEOUT_S, isProgramPath } from "../command/command-section.js";
import { describe, type PolicyValidator, type TomlTable } from "../policy/policy-validator.js";

/** The backends an entry may name; absent means the daemon's own. */
export const ENTRY_BACKENDS = ["supervisor"] as const;
export type EntryBackend = (typeof ENTRY_BACKENDS)[number];

/** The signals a supervisor entry's reload may send (names as supervisord's signalProcess takes them). */
export const RELOAD_SIGNALS = ["HUP", "USR1", "USR2", "INT", "QUIT", "TERM", "WINCH"] as const;
export const DEFAULT_RELOAD_SIGNAL = "HUP";

export interface ConfigTest {
  /** The program (absolute path) and its arguments, exactly as run. */
  argv: string[];
  /** Seconds. */
  timeout: number;
}

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
  if (t.test !== undefined) {
    const argv = testVector(t.test, `${key}.test`, v);
    if (argv) {
      let timeout = DEFAULT_COMMAND_TIMEOUT_S;
      if (t.test_timeout !== undefined) {
        if (typeof t.test_timeout === "number" && t.test_timeout > 0 && t.test_timeout <= 3600) timeout = t.test_timeout;
        else {
          v.error(`${key}.test_timeout`, `must be a number of seconds between 0 and 3600, not ${describe(t.test_timeout)}`);
          ok = false;
        }
      }
      out.test = { argv, timeout };
    } else ok = false;
  } else if (t.test_timeout !== undefined) {
    v.error(`${key}.test_timeout`, "there is no test to time (test = [PROGRAM, ARGS...])");
    ok = false;
  }
  return ok ? out : undefined;
}

function testVector(value: unknown, key: string, v: PolicyValidator): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || !value.every((a) => typeof a === "string")) {
    v.error(key, `must be a non-empty array of strings: the program and its arguments (no shell), not ${describe(value)}`);
    return undefined;
  }
  const argv = value as [string, ...string[]];
  if (!isProgramPath(argv[0])) {
    v.error(`${key}[0]`, `${JSON.stringify(argv[0])} must be an absolute, normalised path (no shell: the program itself)`);
    return undefined;
  }
  const nul = argv.findIndex((a) => a.includes("\0"));
  if (nul >= 0) {
    v.error(`${key}[${nul}]`, "contains a NUL byte");
    return undefined;
  }
  return argv;
}

/** What `policy explain` adds for an entry: a note after its actions, and lines below it. */
export function explainServiceEntryOptions(o: ServiceEntryOptions, actions: readonly string[]): { note: string; lines: string[] } {
  const lines: string[] = [];
  if (o.backend === "supervisor" && actions.includes("reload")) lines.push(`    reload sends SIG${o.reloadSignal ?? DEFAULT_RELOAD_SIGNAL} through supervisord`);
  if (o.test) {
    lines.push(
      `    before reload and restart runs ${o.test.argv.map((a) => JSON.stringify(a)).join(" ")} (as root, no shell, timeout ${o.test.timeout}s); anything but exit 0 refuses them (validation-failed)`,
    );
  }
  return { note: o.backend ? ` [${o.backend}]` : "", lines };
}
