import assert from "node:assert/strict";
import { test } from "node:test";
import { systemdUnitName, initScriptName } from "#src/service/service-name.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { ServiceRules } from "#src/service/service-rules.js";
import { serviceModule } from "#src/service/service-module.js";
import { logSourceOf, ServiceRouter } from "#src/service/service-routing.js";
import { SystemdBackend } from "#src/service/systemd-backend.js";
import { SupervisorBackend } from "#src/service/supervisor-backend.js";
import { createLogger } from "#src/logger.js";

const POLICY = parsePolicy(
  `version = 1
[clients]
users = ["www-data"]

[[service]]
name = "nginx"
actions = ["status", "reload", "restart"]

[[service]]
pattern = "^example@[0-9]{4}\\\\.service$"
actions = ["restart"]

[[service]]
pattern = "^example@00[0-9]{2}\\\\.service$|^other\\\\.service$"
actions = ["status"]

[[service]]
name = "ghost"
actions = ["start"]

[[service]]
name = "nothing"
actions = []
`,
  "test.toml",
);

const systemd = new ServiceRules(POLICY.service.rules, systemdUnitName);
const initd = new ServiceRules(POLICY.service.rules, initScriptName);

test("exact names and anchored patterns allow exactly their actions, on canonical names", () => {
  assert.equal(systemd.allows("restart", "nginx.service"), true, "name = nginx covers nginx.service");
  assert.equal(systemd.allows("start", "nginx.service"), false);
  assert.equal(systemd.allows("restart", "example@0042.service"), true);
  assert.equal(systemd.allows("restart", "example@42.service"), false);
  assert.equal(systemd.allows("restart", "example@00421.service"), false);
  assert.equal(systemd.allows("restart", "xexample@0042.service"), false);
  assert.equal(systemd.allows("restart", "sshd.service"), false);
  assert.deepEqual(systemd.actionsFor("example@0042.service"), ["status", "restart"], "actions of every matching rule, in order");
  assert.deepEqual(systemd.actionsFor("sshd.service"), []);
  assert.equal(initd.allows("restart", "nginx"), true);
  assert.equal(initd.allows("restart", "nginx.service"), false, "init scripts are named without a suffix");
});

test("a top-level alternation cannot escape the anchors", () => {
  // ^a|b$ is re-anchored as ^(?:a|b)$: "other.service" matches exactly, "other.service.bak" does not.
  assert.equal(systemd.allows("status", "other.service"), true);
  assert.equal(systemd.allows("status", "evil-other.service"), false);
  assert.equal(systemd.allows("status", "example@0042.service-x"), false);
  assert.equal(POLICY.service.rules[1]!.pattern!.source, "^example@[0-9]{4}\\.service$", "the policy's own words");
});

test("list: exact names always, patterns expanded only over services that exist", async () => {
  const existing = ["example@0042.service", "example@9999.service", "example@12.service", "sshd.service", "other.service"];
  const listed = await systemd.listed(async () => existing);
  assert.deepEqual(
    listed.map((l) => [l.name, l.actions]),
    [
      ["nginx.service", ["status", "restart", "reload"]],
      ["ghost.service", ["start"]],
      ["example@0042.service", ["status", "restart"]],
      ["example@9999.service", ["restart"]],
      ["other.service", ["status"]],
    ],
  );
  let asked = false;
  const onlyNames = new ServiceRules(POLICY.service.rules.filter((s) => s.name), systemdUnitName);
  await onlyNames.listed(async () => ((asked = true), []));
  assert.equal(asked, false, "without patterns, nothing is enumerated");
});

test("capabilities and x-policy follow the actions", () => {
  const caps = serviceModule.capabilities;
  const granted = (policy: typeof POLICY, c: keyof typeof caps) => caps[c].granted(policy.service);
  const policyResources = (policy: typeof POLICY, c: keyof typeof caps) => caps[c].resources(policy.service);
  assert.equal(granted(POLICY, "service.list"), true);
  assert.equal(granted(POLICY, "service.restart"), true);
  assert.equal(granted(POLICY, "service.start"), true);
  assert.equal(granted(POLICY, "service.stop"), false, "no rule allows stop");
  const none = parsePolicy(`version = 1\n[clients]\nusers = ["root"]\n`, "none.toml");
  for (const c of ["service.list", "service.status", "service.start", "service.stop", "service.restart", "service.reload"] as const) {
    assert.equal(granted(none, c), false, `${c} is default-denied`);
  }
  assert.deepEqual(policyResources(POLICY, "service.restart"), {
    services: [{ name: "nginx" }, { pattern: "^example@[0-9]{4}\\.service$" }],
  });
  assert.deepEqual(policyResources(POLICY, "service.stop"), { services: [] });
  const list = policyResources(POLICY, "service.list") as { services: unknown[] };
  assert.equal(list.services.length, 4, "every rule that allows something");
});

test("log: the first entry allowing log on a service says where its log is; x-policy names the files", () => {
  const policy = parsePolicy(
    `version = 1
[clients]
users = ["www-data"]

[[service]]
name = "nginx"
actions = ["status", "log"]
log = "/var/log/nginx/error.log"

[[service]]
pattern = "^example@[0-9]{4}\\\\.service$"
actions = ["log", "enable", "disable"]

[[service]]
pattern = "^nginx.*$"
actions = ["log"]
log = "/var/log/other.log"
`,
    "log.toml",
  );
  const rules = new ServiceRules(policy.service.rules, systemdUnitName);
  const logger = createLogger("error", () => undefined);
  // canonicalName is pure: nothing connects here.
  const router = new ServiceRouter(policy.service.rules, {
    default: new SystemdBackend({ timeoutMs: 1000, logger }),
    supervisor: new SupervisorBackend({ socketPath: "/nonexistent/supervisor.sock", timeoutMs: 1000, logger }),
  });
  const logOf = (name: string) => {
    const routing = router.route(name);
    return routing.kind === "routed" ? logSourceOf(routing.route) : routing.kind;
  };
  assert.deepEqual(logOf("nginx.service"), { file: "/var/log/nginx/error.log" }, "the first entry that allows log decides");
  assert.deepEqual(logOf("example@0042.service"), {}, "no file named: the backend's own log");
  assert.deepEqual(logOf("nginx-extra.service"), { file: "/var/log/other.log" });
  assert.equal(logOf("sshd.service"), "unlisted");
  assert.deepEqual(rules.actionsFor("example@0042.service"), ["enable", "disable", "log"]);
  const caps = serviceModule.capabilities;
  assert.deepEqual(caps["service.log"].resources(policy.service), {
    services: [{ name: "nginx", log: "/var/log/nginx/error.log" }, { pattern: "^example@[0-9]{4}\\.service$" }, { pattern: "^nginx.*$", log: "/var/log/other.log" }],
  });
  assert.deepEqual(caps["service.enable"].resources(policy.service), { services: [{ pattern: "^example@[0-9]{4}\\.service$" }] });
  const none = parsePolicy(`version = 1\n[clients]\nusers = ["root"]\n`, "none.toml");
  for (const c of ["service.log", "service.enable", "service.disable"] as const) assert.equal(caps[c].granted(none.service), false, `${c} is default-denied`);
});
