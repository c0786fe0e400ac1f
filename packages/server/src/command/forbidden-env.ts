/**
 * Environment variables a command never gets, whatever its `env` allowlist
 * says: the ones the dynamic loader and the C library act on (glibc refuses
 * them for setuid programs — its unsecvars.h list), the ones shells and
 * interpreters read code or options from, and PATH (always the daemon's safe
 * one). httpexec merged caller-supplied variables into the environment, so
 * `LD_PRELOAD=/tmp/evil.so` ran the caller's code in the command.
 */
const FORBIDDEN = new Set([
  "GCONV_PATH",
  "GETCONF_DIR",
  "GLIBC_TUNABLES",
  "HOSTALIASES",
  "LOCALDOMAIN",
  "LOCPATH",
  "MALLOC_TRACE",
  "NIS_PATH",
  "NLSPATH",
  "RESOLV_HOST_CONF",
  "RES_OPTIONS",
  "TMPDIR",
  "TZDIR",
  "BASH_ENV",
  "ENV",
  "SHELLOPTS",
  "BASHOPTS",
  "PS4",
  "IFS",
  "CDPATH",
  "PATH",
  "PERL5LIB",
  "PERL5OPT",
  "PERLLIB",
  "PYTHONPATH",
  "PYTHONHOME",
  "PYTHONSTARTUP",
  "PYTHONINSPECT",
  "RUBYLIB",
  "RUBYOPT",
  "NODE_OPTIONS",
  "NODE_PATH",
]);

/** True when `name` is never passed to a command. */
export function forbiddenEnvName(name: string): boolean {
  return FORBIDDEN.has(name) || name.startsWith("LD_") || name.startsWith("MALLOC_") || name.startsWith("BASH_FUNC_");
}
