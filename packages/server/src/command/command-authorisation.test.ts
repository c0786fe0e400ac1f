import { test } from "node:test";
import assert from "node:assert/strict";
import { Fault } from "#src/faults.js";
import type { CommandRule } from "#src/command/command-section.js";
import { authoriseCommand } from "#src/command/command-authorisation.js";
import { forbiddenEnvName } from "#src/command/forbidden-env.js";

const rule: CommandRule = {
  name: "rotate",
  path: "/usr/sbin/logrotate",
  args: [["--force", "--debug"], { source: "^/etc/logrotate\\.d/[a-z0-9-]+$", regex: /^(?:\/etc\/logrotate\.d\/[a-z0-9-]+)$/ }],
  env: ["LANG", "LD_PRELOAD"],
  timeout: 10,
};

function denied(fn: () => unknown, why: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof Fault && e.kind === "policy-denied" && why.test(e.message));
}

test("arguments must match their position's choices or regex, and their number must match", () => {
  const env = authoriseCommand(rule, { args: ["--force", "/etc/logrotate.d/nginx"], env: {}, hasStdin: false }, {});
  assert.deepEqual(env, { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" });
  denied(() => authoriseCommand(rule, { args: ["--force"], env: {}, hasStdin: false }, {}), /exactly 2 arguments/);
  denied(() => authoriseCommand(rule, { args: ["--force", "/etc/logrotate.d/nginx", "x"], env: {}, hasStdin: false }, {}), /exactly 2/);
  denied(() => authoriseCommand(rule, { args: ["--verbose", "/etc/logrotate.d/nginx"], env: {}, hasStdin: false }, {}), /argument 1/);
  for (const bad of ["/etc/logrotate.d/../shadow", "/etc/logrotate.d/nginx\n/etc/shadow", "x/etc/logrotate.d/a", "/etc/logrotate.d/a\0"]) {
    denied(() => authoriseCommand(rule, { args: ["--force", bad], env: {}, hasStdin: false }, {}), /argument 2/);
  }
});

test("env: only allowlisted names, never loader variables; daemon values fill in the rest", () => {
  const env = authoriseCommand(rule, { args: ["--debug", "/etc/logrotate.d/a"], env: { LANG: "de_DE.UTF-8" }, hasStdin: false }, { LANG: "C", HOME: "/root" });
  assert.deepEqual(env, { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "de_DE.UTF-8" });
  const fromDaemon = authoriseCommand(rule, { args: ["--debug", "/etc/logrotate.d/a"], env: {}, hasStdin: false }, { LANG: "C", LD_PRELOAD: "/x.so" });
  assert.deepEqual(fromDaemon, { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" }, "LD_PRELOAD is not passed even from the daemon");
  denied(() => authoriseCommand(rule, { args: ["--debug", "/etc/logrotate.d/a"], env: { LD_PRELOAD: "/tmp/evil.so" }, hasStdin: false }, {}), /never passed/);
  denied(() => authoriseCommand(rule, { args: ["--debug", "/etc/logrotate.d/a"], env: { HOME: "/tmp" }, hasStdin: false }, {}), /allowlist/);
  denied(() => authoriseCommand(rule, { args: ["--debug", "/etc/logrotate.d/a"], env: {}, hasStdin: true }, {}), /stdin/);
  for (const name of ["LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "GCONV_PATH", "MALLOC_CHECK_", "BASH_ENV", "PATH", "NODE_OPTIONS", "BASH_FUNC_x%%"]) {
    assert.equal(forbiddenEnvName(name), true, name);
  }
  assert.equal(forbiddenEnvName("LANG"), false);
});
