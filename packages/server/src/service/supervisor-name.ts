/**
 * supervisord's process names, validated before any call. supervisord names a
 * process `group:process`, and a bare `name` means `name:name` (a program's
 * own group, as `[program:name]` makes it; supervisor/options.py
 * split_namespec and make_namespec); `group:*` and `group:` mean the whole
 * group. machina names one process only, never a group wildcard, and takes a
 * subset of the characters supervisord allows in each part (it refuses only
 * space, `:` and `/`): letters, digits and `_ . + @ -`, not starting with `.`,
 * `+`, `@` or `-`.
 *
 * The canonical name is supervisord's own short form: `uwsgi:uwsgi` is
 * `uwsgi`, so the policy sees one name for one process whichever way a client
 * writes it.
 */
const PART = "[A-Za-z0-9_][A-Za-z0-9_.+@-]{0,127}";
const PROCESS_NAME = new RegExp(`^(${PART})(?::(${PART}))?$`);

/** The canonical process name for `name`, or undefined when it is not one (a group wildcard, odd characters). */
export function supervisorProcessName(name: string): string | undefined {
  const m = PROCESS_NAME.exec(name);
  if (!m) return undefined;
  const [, group, process] = m;
  return process === undefined || process === group ? group : name;
}
