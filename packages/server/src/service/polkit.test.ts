/**
 * The generated polkit rule, run the way polkitd runs rules.d files: the
 * script calls polkit.addRule(fn), and polkitd calls fn(action, subject) with
 * action.id, action.lookup("unit"|"verb"), subject.user and
 * subject.isInGroup(). polkitd itself needs a system bus and systemd here, so
 * the script runs in node's vm with those objects, in strict ES5 terms.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import vm from "node:vm";
import { parsePolicy } from "#src/policy/load-policy.js";
import { polkitRule } from "#src/service/polkit.js";

type Decision = string | null;

function evaluate(text: string): (actionId: string, details: Record<string, string>, user: string, groups?: string[]) => Decision {
  const rules: ((action: unknown, subject: unknown) => Decision)[] = [];
  const polkit = { Result: { YES: "yes", NO: "no", AUTH_ADMIN: "auth_admin", NOT_HANDLED: null }, addRule: (f: (a: unknown, s: unknown) => Decision) => rules.push(f) };
  vm.runInNewContext(`"use strict";\n${text}`, { polkit });
  assert.equal(rules.length, 1, "the file adds one rule");
  return (id, details, user, groups = []) =>
    rules[0]!({ id, lookup: (k: string) => details[k] }, { user, isInGroup: (g: string) => groups.includes(g) });
}

const POLICY = `version = 1
[clients]
users = ["www-data"]
groups = ["panel"]

[[service]]
pattern = "^example@[0-9]{4}\\\\.service$"
actions = ["restart"]

[[service]]
name = "nginx"
actions = ["status", "reload"]

[[service]]
name = "cron"
actions = ["status"]
`;

const MANAGE = "org.freedesktop.systemd1.manage-units";

test("the rule allows exactly the policy's units and verbs, for the policy's clients", () => {
  const { text, warnings } = polkitRule(parsePolicy(POLICY, "policy.toml"), "policy.toml");
  assert.deepEqual(warnings, []);
  const decide = evaluate(text);
  assert.equal(decide(MANAGE, { unit: "example@0042.service", verb: "restart" }, "www-data"), "yes");
  assert.equal(decide(MANAGE, { unit: "nginx.service", verb: "reload" }, "www-data"), "yes", "name = nginx is nginx.service");
  assert.equal(decide(MANAGE, { unit: "example@0042.service", verb: "restart" }, "alice", ["panel"]), "yes", "a member of a [clients] group");

  for (const [unit, verb] of [
    ["example@0042.service", "stop"],
    ["example@0042.service", "start"],
    ["example@42.service", "restart"],
    ["example@0042.service.evil", "restart"],
    ["sshd.service", "restart"],
    ["nginx.service", "restart"],
    ["cron.service", "restart"],
  ]) {
    assert.equal(decide(MANAGE, { unit: unit!, verb: verb! }, "www-data"), null, `${verb} ${unit} is not handled`);
  }
  assert.equal(decide(MANAGE, { unit: "example@0042.service", verb: "restart" }, "alice"), null, "not a client");
  assert.equal(decide("org.freedesktop.login1.reboot", { unit: "example@0042.service", verb: "restart" }, "www-data"), null);
  assert.equal(decide(MANAGE, { verb: "restart" }, "www-data"), null, "no unit: not handled");
  assert.doesNotMatch(text, /=>|\blet\b|\bconst\b|\.includes\(/, "ES5 only: polkit's engine is not a modern one");
});

test("empty [clients] lists mean any user, as in the policy; the rule says so", () => {
  const { text } = polkitRule(parsePolicy(POLICY.replace('users = ["www-data"]\ngroups = ["panel"]', "users = []\ngroups = []"), "p.toml"), "p.toml");
  assert.match(text, /ANY local user/);
  assert.equal(evaluate(text)(MANAGE, { unit: "example@1234.service", verb: "restart" }, "nobody"), "yes");
});

test("names systemd cannot take and numeric groups are left out with a warning", () => {
  const policy = parsePolicy(`version = 1\n[clients]\nusers = [0]\ngroups = [4242]\n[[service]]\nname = "g++"\nactions = ["restart"]\n`, "p.toml");
  const { text, warnings } = polkitRule(policy, "p.toml");
  assert.equal(warnings.length, 2, warnings.join("\n"));
  assert.equal(evaluate(text)(MANAGE, { unit: "g++.service", verb: "restart" }, "root"), null);
});

test("enable/disable are not granted, and the output says polkit cannot limit them to one unit", () => {
  const policy = parsePolicy(`${POLICY}\n[[service]]\nname = "boot-me"\nactions = ["status", "enable", "disable", "log", "restart"]\n`, "p.toml");
  const { text, warnings } = polkitRule(policy, "p.toml");
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0]!, /^service\[3\] allow enable\/disable: .*manage-unit-files.* cannot limit them to one unit/);
  assert.match(text, /^\/\/ Not granted: enable\/disable \(service\[3\]\)\. systemd checks them with manage-unit-files,$/m);
  const decide = evaluate(text);
  assert.equal(decide(MANAGE, { unit: "boot-me.service", verb: "restart" }, "www-data"), "yes", "its per-unit verbs still are");
  for (const verb of ["enable", "disable", "log"]) assert.equal(decide(MANAGE, { unit: "boot-me.service", verb }, "www-data"), null, verb);
  assert.equal(decide("org.freedesktop.systemd1.manage-unit-files", {}, "www-data"), null);
  assert.equal(decide("org.freedesktop.systemd1.reload-daemon", {}, "www-data"), null);
});
