/**
 * Several service backends at once: supervisord's names, the `backend`,
 * `reload_signal`, `test` and `test_timeout` keys of `[[service]]`, which
 * backend a name goes to, the overlaps `policy check` refuses, what `policy
 * explain` and the polkit rule make of supervisor entries, and how
 * supervisord's process states map onto the protocol's.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkPolicy, parsePolicy } from "#src/policy/load-policy.js";
import { explainServiceSection } from "#src/service/service-section.js";
import { InitdBackend } from "#src/service/initd-backend.js";
import { SystemdBackend } from "#src/service/systemd-backend.js";
import { SupervisorBackend, statusFromProcessInfo } from "#src/service/supervisor-backend.js";
import { routeReloadSignal, routeTests, ServiceRouter, type ServiceRoute } from "#src/service/service-routing.js";
import { supervisorProcessName } from "#src/service/supervisor-name.js";
import { polkitRule } from "#src/service/polkit.js";
import { createLogger } from "#src/logger.js";

const head = `version = 1\n[clients]\nusers = ["www-data"]\n`;
const logger = createLogger("error", () => undefined);
// canonicalName is pure: none of these connects or runs anything here.
const initd = new InitdBackend({ timeoutMs: 1000, dir: "/nonexistent" });
const systemd = new SystemdBackend({ timeoutMs: 1000, logger });
const supervisor = new SupervisorBackend({ socketPath: "/nonexistent/supervisor.sock", timeoutMs: 1000, logger });

function errors(text: string): { key: string; message: string }[] {
  return checkPolicy(head + text, "p.toml").filter((p) => p.severity === "error");
}

function expectError(text: string, key: string, message: RegExp): void {
  const found = errors(text);
  assert.ok(
    found.some((p) => p.key === key && message.test(p.message)),
    `expected ${key}: ${message}; got ${JSON.stringify(found)}`,
  );
}

describe("supervisord's process names", () => {
  test("program or group:program, canonical in supervisord's short form; group wildcards and odd characters are not names", () => {
    assert.equal(supervisorProcessName("uwsgi_example"), "uwsgi_example");
    assert.equal(supervisorProcessName("uwsgi_example:uwsgi_example"), "uwsgi_example", "name:name is name (make_namespec)");
    assert.equal(supervisorProcessName("web:web_01"), "web:web_01");
    assert.equal(supervisorProcessName("a.b-c+d@e"), "a.b-c+d@e");
    for (const bad of ["web:*", "web:", ":web", "a:b:c", "-x", ".x", "@x", "a b", "a/b", "../x", "x;id", "x\n", "", "*", "all", "a".repeat(129)].filter((n) => n !== "all")) {
      assert.equal(supervisorProcessName(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe("the [[service]] keys", () => {
  test("backend, reload_signal, test and test_timeout are read", () => {
    const p = parsePolicy(
      `${head}[[service]]\nname = "uwsgi_example"\nbackend = "supervisor"\nreload_signal = "USR2"\nactions = ["status", "reload", "restart"]\ntest = ["/usr/bin/true", "-t"]\ntest_timeout = 5\n`,
      "p.toml",
    );
    assert.deepEqual(p.service.rules, [
      { name: "uwsgi_example", actions: ["status", "reload", "restart"], backend: "supervisor", reloadSignal: "USR2", test: { argv: ["/usr/bin/true", "-t"], timeout: 5 } },
    ]);
    const plain = parsePolicy(`${head}[[service]]\nname = "nginx"\nactions = ["reload"]\ntest = ["/usr/sbin/nginx", "-t"]\n`, "p.toml");
    assert.deepEqual(plain.service.rules, [{ name: "nginx", actions: ["reload"], test: { argv: ["/usr/sbin/nginx", "-t"], timeout: 30 } }]);
  });

  test("each is checked", () => {
    const entry = (extra: string) => `[[service]]\nname = "x"\nactions = ["reload"]\n${extra}\n`;
    expectError(entry('backend = "docker"'), "service[0].backend", /unknown backend "docker"/);
    expectError(entry('backend = "systemd"'), "service[0].backend", /unknown backend/);
    expectError(entry("backend = 1"), "service[0].backend", /must be a string/);
    expectError(entry('reload_signal = "HUP"'), "service[0].reload_signal", /only supervisor entries/);
    expectError(entry('backend = "supervisor"\nreload_signal = "KILL"'), "service[0].reload_signal", /unknown signal "KILL"/);
    expectError(entry('backend = "supervisor"\nreload_signal = "SIGHUP"'), "service[0].reload_signal", /without SIG/);
    expectError(entry('test = "/usr/sbin/nginx -t"'), "service[0].test", /array of strings.*no shell/);
    expectError(entry("test = []"), "service[0].test", /non-empty/);
    expectError(entry('test = ["nginx", "-t"]'), "service[0].test[0]", /absolute, normalised path/);
    expectError(entry('test = ["/usr/sbin/../sbin/nginx"]'), "service[0].test[0]", /absolute, normalised/);
    expectError(entry('test = ["/usr/sbin/nginx", "a\\u0000b"]'), "service[0].test[1]", /NUL/);
    expectError(entry('test = ["/bin/true"]\ntest_timeout = 0'), "service[0].test_timeout", /seconds/);
    expectError(entry("test_timeout = 5"), "service[0].test_timeout", /no test/);
    expectError(`[[service]]\nname = "a:b:c"\nbackend = "supervisor"\nactions = ["status"]\n`, "service[0].name", /not a supervisord process name/);
    expectError(`[[service]]\nname = "x"\nactions = ["status"]\nsignal = "HUP"\n`, "service[0].signal", /unknown key/);
  });

  test("a name two backends' entries both match is refused at load; two patterns are left to the call", () => {
    const own = (what: string) => `[[service]]\n${what}\nactions = ["status"]\n`;
    const sup = (what: string) => `[[service]]\n${what}\nbackend = "supervisor"\nactions = ["restart"]\n`;
    expectError(own('name = "web"') + sup('name = "web"'), "service[0].name", /also matched by service\[1\] \(supervisor\)/);
    expectError(own('pattern = "^web-[a-z]+$"') + sup('name = "web-app"'), "service[1].name", /also matched by service\[0\] \(the daemon's own backend\)/);
    expectError(own('name = "web"') + sup('pattern = "^w.*$"'), "service[0].name", /also matched by service\[1\]/);
    // Under systemd "worker" is worker.service, which this pattern matches: refused whatever --service-backend says.
    expectError(own('pattern = "^.*\\\\.service$"') + sup('name = "worker"'), "service[1].name", /one backend/);
    assert.equal(errors(own('name = "web"') + sup('name = "web"')).length, 1, "one problem for one overlap");
    assert.deepEqual(errors(own('name = "nginx"') + sup('name = "uwsgi_example"')), []);
    assert.deepEqual(errors(own('pattern = "^web-.*$"') + sup('pattern = "^web-.*$"')), [], "two patterns: refused when called");
  });
});

describe("routing a client's name", () => {
  const policy = parsePolicy(
    `${head}[[service]]\nname = "nginx"\nactions = ["status", "reload"]\ntest = ["/usr/sbin/nginx", "-t"]\n` +
      `[[service]]\npattern = "^shared-[0-9]+$"\nactions = ["status"]\n` +
      `[[service]]\nname = "uwsgi_example"\nbackend = "supervisor"\nactions = ["status", "restart"]\ntest = ["/bin/true"]\n` +
      `[[service]]\npattern = "^(uwsgi_example|web:web_[0-9]+)$"\nbackend = "supervisor"\nactions = ["reload"]\nreload_signal = "USR1"\ntest = ["/bin/true"]\n` +
      `[[service]]\npattern = "^shared-[0-9]+$"\nbackend = "supervisor"\nactions = ["status"]\n`,
    "p.toml",
  );
  const router = new ServiceRouter(policy.service.rules, { default: initd, supervisor });
  const routed = (name: string): ServiceRoute => {
    const r = router.route(name);
    assert.equal(r.kind, "routed", `${name}: ${JSON.stringify(r)}`);
    return (r as { route: ServiceRoute }).route;
  };

  test("the entries that match decide the backend, never the client", () => {
    assert.equal(routed("nginx").backend.kind, "initd");
    assert.equal(routed("uwsgi_example").backend.kind, "supervisor");
    const long = routed("uwsgi_example:uwsgi_example");
    assert.deepEqual([long.backend.kind, long.name], ["supervisor", "uwsgi_example"]);
    assert.deepEqual([routed("web:web_1").backend.kind, routed("web:web_1").name], ["supervisor", "web:web_1"]);
  });

  test("invalid everywhere, unlisted, or matched for two backends", () => {
    assert.deepEqual(router.route("web:*"), { kind: "invalid", backends: ["initd", "supervisor"] });
    assert.deepEqual(router.route("../x"), { kind: "invalid", backends: ["initd", "supervisor"] });
    assert.deepEqual(router.route("sshd"), { kind: "unlisted", name: "sshd" });
    assert.deepEqual(router.route("web:other"), { kind: "unlisted", name: "web:other" });
    assert.deepEqual(router.route("shared-1"), { kind: "ambiguous", name: "shared-1", backends: ["initd", "supervisor"] });
  });

  test("without supervisor entries only the daemon's own backend is asked", () => {
    const own = new ServiceRouter(parsePolicy(`${head}[[service]]\nname = "nginx"\nactions = ["status"]\n`, "p.toml").service.rules, { default: systemd, supervisor });
    assert.deepEqual(own.route("web:x"), { kind: "unlisted", name: "web:x.service" }, "a valid unit name under systemd");
    assert.deepEqual(own.route("web:*"), { kind: "invalid", backends: ["systemd"] });
  });

  test("every matching entry's test runs, each once; the reload signal is the entries' one", () => {
    assert.deepEqual(routeTests(routed("uwsgi_example")), [{ argv: ["/bin/true"], timeout: 30 }]);
    assert.deepEqual(routeTests(routed("nginx")), [{ argv: ["/usr/sbin/nginx", "-t"], timeout: 30 }]);
    assert.equal(routeReloadSignal(routed("uwsgi_example")), "USR1");
    assert.equal(routeReloadSignal(routed("nginx")), "HUP");
    const split = parsePolicy(
      `${head}[[service]]\nname = "w"\nbackend = "supervisor"\nactions = ["reload"]\nreload_signal = "USR1"\n[[service]]\npattern = "^w$"\nbackend = "supervisor"\nactions = ["status"]\nreload_signal = "USR2"\n`,
      "p.toml",
    );
    const r = new ServiceRouter(split.service.rules, { default: initd, supervisor }).route("w");
    assert.equal(r.kind, "routed");
    assert.equal(routeReloadSignal((r as { route: ServiceRoute }).route), undefined, "disagreeing entries: no signal (the call is refused)");
  });
});

test("policy explain names the backend, the reload signal and the test", () => {
  const policy = parsePolicy(
    `${head}[[service]]\nname = "nginx"\nactions = ["status", "reload"]\ntest = ["/usr/sbin/nginx", "-t"]\ntest_timeout = 10\n` +
      `[[service]]\nname = "uwsgi_example"\nbackend = "supervisor"\nactions = ["status", "reload", "restart"]\n`,
    "p.toml",
  );
  assert.deepEqual(explainServiceSection(policy.service), [
    "Services:",
    "  nginx: status, reload",
    '    before reload and restart runs "/usr/sbin/nginx" "-t" (as root, no shell, timeout 10s); anything but exit 0 refuses them (validation-failed)',
    "  uwsgi_example [supervisor]: status, reload, restart",
    "    reload sends SIGHUP through supervisord",
    "  (systemd: names are full unit names, `nginx` meaning `nginx.service`; patterns are matched against them)",
    "  ([supervisor]: supervisord's processes, `program` or `group:program`, through its socket; entries without it use the daemon's own backend)",
  ]);
});

test("machinad policy polkit leaves supervisor entries out, saying so", () => {
  const policy = parsePolicy(
    `${head}[[service]]\nname = "nginx"\nactions = ["reload"]\n[[service]]\nname = "uwsgi_example"\nbackend = "supervisor"\nactions = ["restart"]\n`,
    "p.toml",
  );
  const { text, warnings } = polkitRule(policy, "p.toml");
  assert.deepEqual(warnings, ["service[1] uses the supervisor backend, which polkit does not govern; left out"]);
  assert.match(text, /unit: "nginx.service"/);
  assert.doesNotMatch(text, /uwsgi/);
});

describe("supervisord's process states", () => {
  const info = (state: number, statename: string, extra: Record<string, unknown> = {}) => ({
    name: "p",
    group: "p",
    state,
    statename,
    start: 1_700_000_000,
    stop: 1_700_000_100,
    now: 1_700_000_200,
    pid: 0,
    exitstatus: 0,
    spawnerr: "",
    description: "pid 4242, uptime 0:00:05 /var/log/secret/path",
    stdout_logfile: "/var/log/supervisor/p.log",
    ...extra,
  });

  test("each state maps onto the protocol's, with supervisord's name as subState", () => {
    const cases: [number, string, Record<string, unknown>, string, boolean, string | undefined][] = [
      [0, "STOPPED", {}, "inactive", false, undefined],
      [0, "STOPPED", { start: 0, stop: 0 }, "inactive", false, "not started since supervisord started"],
      [10, "STARTING", {}, "activating", false, undefined],
      [20, "RUNNING", { pid: 4242 }, "active", true, "pid 4242"],
      [30, "BACKOFF", {}, "activating", false, "it exited too quickly"],
      [40, "STOPPING", {}, "deactivating", false, undefined],
      [100, "EXITED", { exitstatus: 0 }, "inactive", false, "exited with status 0"],
      [100, "EXITED", { exitstatus: 3 }, "failed", false, "exited with status 3"],
      [200, "FATAL", { spawnerr: "can't find command '/nonexistent/uwsgi'" }, "failed", false, "supervisord could not spawn it"],
      [1000, "UNKNOWN", {}, "unknown", false, undefined],
    ];
    for (const [code, statename, extra, state, active, detail] of cases) {
      const s = statusFromProcessInfo("p", info(code, statename, extra));
      assert.equal(s.state, state, statename);
      assert.equal(s.active, active, statename);
      assert.equal(s.subState, statename);
      assert.equal(s.detail, detail, `${statename} ${JSON.stringify(extra)}`);
      assert.doesNotMatch(JSON.stringify(s), /\/var\/log|nonexistent|uptime/, "no path or description of supervisord's reaches the client");
    }
    assert.equal(statusFromProcessInfo("p", info(20, "RUNNING")).since, new Date(1_700_000_000_000).toISOString(), "running since its start");
    assert.equal(statusFromProcessInfo("p", info(100, "EXITED")).since, new Date(1_700_000_100_000).toISOString(), "exited since its stop");
    assert.deepEqual(statusFromProcessInfo("p", "nonsense"), { name: "p", active: false, state: "unknown", detail: "supervisord answered no process information" });
    assert.equal(statusFromProcessInfo("p", info(7, "<b>odd</b>")).subState, undefined);
  });
});
