/**
 * A `[[service]]` entry's configuration test (`test = [...]`) before reload
 * and restart, against a real nginx (Debian's) run by a real supervisord as a
 * program, and against a real init script: a good configuration reloads (the
 * master keeps its pid, new workers serve the new configuration); a broken one
 * is refused with `validation-failed` and `nginx -t`'s own output, and nginx
 * is untouched — same master, same workers, no SIGHUP, still serving the old
 * configuration. Then the test's own bounds: the scrubbed environment, its
 * timeout, its output cap, a program only root may change, a missing one,
 * and actions that do not run it.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { rejectsWithKind, withClient } from "./harness/clients.js";
import { startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { InitScripts, processAlive } from "./harness/init-scripts.js";
import { Sandbox } from "./harness/sandbox.js";
import { Supervisord } from "./harness/supervisord.js";
import { waitFor } from "./harness/wait.js";

let sv: Supervisord;
let sandbox: Sandbox;
let daemon: DaemonProcess;
let port: number;
const scripts = new InitScripts();
scripts.install("machina-testd");
/** Test programs, in a directory only root can change (mkdtemp: root's, 0700). */
const tools = fs.mkdtempSync(path.join(os.tmpdir(), "machina-config-tests-"));
/** The same, in a directory anyone may write to. */
const open = path.join(tools, "open");

function tool(file: string, body: string): string {
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  fs.chmodSync(file, 0o755);
  return file;
}

function nginxConf(body: string, extra = ""): string {
  const d = sv.dir;
  return `daemon off;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/nginx-error.log notice;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${d}/nginx-tmp/body;
  proxy_temp_path ${d}/nginx-tmp/proxy;
  fastcgi_temp_path ${d}/nginx-tmp/fastcgi;
  uwsgi_temp_path ${d}/nginx-tmp/uwsgi;
  scgi_temp_path ${d}/nginx-tmp/scgi;
  ${extra}
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "${body}\\n"; }
  }
}
`;
}

const conf = () => path.join(sv.dir, "nginx.conf");

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const p = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return p;
}

function get(): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (s: string) => (body += s));
        res.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

/** The pids of nginx's workers: the master's children. */
function workers(master: number): number[] {
  return fs
    .readdirSync("/proc")
    .filter((e) => /^[0-9]+$/.test(e))
    .filter((e) => {
      try {
        return Number(fs.readFileSync(`/proc/${e}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1]) === master && processAlive(Number(e));
      } catch {
        return false;
      }
    })
    .map(Number)
    .sort();
}

/** How many reloads nginx's log shows it began (one "reconfiguring" per SIGHUP). */
function reloadsLogged(): number {
  const log = path.join(sv.dir, "nginx-error.log");
  return fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter((l) => l.includes("reconfiguring")).length : 0;
}

before(async () => {
  port = await freePort();
  fs.mkdirSync(open, { mode: 0o777 });
  fs.chmodSync(open, 0o777);
  sv = await Supervisord.start((s) => {
    fs.mkdirSync(path.join(s.dir, "nginx-tmp"));
    fs.writeFileSync(path.join(s.dir, "nginx.conf"), "");
    return {
      nginx: { command: `/usr/sbin/nginx -c ${path.join(s.dir, "nginx.conf")} -e ${path.join(s.dir, "nginx-error.log")}`, settings: { autostart: false, stopsignal: "QUIT" } },
      app: { command: "/bin/sleep 100000" },
    };
  });
  fs.writeFileSync(conf(), nginxConf("v1"));
  await sv.rpc("startProcess", "nginx", true);
  await waitFor(() => get().then((b) => b === "v1\n").catch(() => false), "nginx to serve v1");

  tool(path.join(tools, "print-env-and-fail"), "/usr/bin/env\nexit 3");
  tool(path.join(tools, "sleeps"), "exec /bin/sleep 60");
  tool(path.join(tools, "floods"), "exec /usr/bin/yes machina");
  tool(path.join(tools, "fails"), `touch ${path.join(tools, "fails.ran")}\nexit 1`);
  tool(path.join(open, "unsafe"), `touch ${path.join(tools, "unsafe.ran")}\nexit 0`);
  const nginxTest = JSON.stringify(["/usr/sbin/nginx", "-t", "-c", conf(), "-e", path.join(sv.dir, "nginx-error.log")]);
  const entry = (name: string, test: string, extra = "") =>
    `[[service]]\nname = "${name}"\nbackend = "supervisor"\nactions = ["status", "start", "stop", "restart", "reload"]\ntest = ${test}\n${extra}`;
  sandbox = Sandbox.create({
    policy: `version = 1
[clients]
users = ["root"]
groups = []

[[service]]
name = "nginx"
backend = "supervisor"
actions = ["status", "reload", "restart"]
test = ${nginxTest}

[[service]]
name = "machina-testd"
actions = ["status", "start", "stop", "restart"]
test = ${JSON.stringify([path.join(tools, "fails")])}

${entry("app", JSON.stringify([path.join(tools, "print-env-and-fail")]))}
${entry("app:slow", JSON.stringify([path.join(tools, "sleeps")]), "test_timeout = 1\n")}
${entry("app:floods", JSON.stringify([path.join(tools, "floods")]))}
${entry("app:unsafe", JSON.stringify([path.join(open, "unsafe")]))}
${entry("app:missing", JSON.stringify([path.join(tools, "not-there")]))}
`,
  });
  daemon = await startDaemon(sandbox, {
    args: ["--service-backend", "initd", "--initd-dir", scripts.initd, "--supervisor-socket", sv.socket, "--supervisor-auth-file", sv.authFile(path.join(sandbox.dir, "auth"))],
    env: { CANARY_SECRET: "must-not-reach-tests" },
  });
});

afterEach((t) => {
  if ((t as { passed?: boolean }).passed === false) console.error(`--- ${t.name} ---\n${sv.describe()}\n${daemon?.describe() ?? ""}`);
});

after(async () => {
  await daemon?.stop();
  sandbox?.cleanup();
  await sv?.stop();
  scripts.cleanup();
  fs.rmSync(tools, { recursive: true, force: true });
});

describe("nginx -t before nginx reloads", () => {
  test("a good configuration: the test passes, nginx reloads in place and serves it", async () => {
    const master = (await sv.snapshot()).get("nginx")!.pid;
    const oldWorkers = workers(master);
    fs.writeFileSync(conf(), nginxConf("v2"));
    await withClient(sandbox, async (m) => {
      const s = await m.service.reload({ name: "nginx" });
      assert.deepEqual([s.state, s.backend], ["active", "supervisor"]);
    });
    await waitFor(() => get().then((b) => b === "v2\n"), "nginx to serve v2");
    assert.equal((await sv.snapshot()).get("nginx")!.pid, master, "the same master");
    assert.equal(Number(fs.readFileSync(path.join(sv.dir, "nginx.pid"), "utf8")), master);
    await waitFor(() => oldWorkers.every((w) => !processAlive(w)), "the old workers to leave");
    assert.notDeepEqual(workers(master), oldWorkers, "new workers");
  });

  test("a broken configuration: reload and restart are refused with nginx -t's output, and nginx is untouched", async () => {
    const master = (await sv.snapshot()).get("nginx")!.pid;
    const runningWorkers = workers(master);
    const reloads = reloadsLogged();
    const good = fs.readFileSync(conf(), "utf8");
    fs.writeFileSync(conf(), nginxConf("v3", "bogus_directive on;"));
    try {
      await withClient(sandbox, async (m) => {
        for (const action of ["reload", "restart"] as const) {
          const e = await rejectsWithKind(m.service[action]({ name: "nginx" }), "validation-failed");
          assert.equal(e.data.exitCode, 1, action);
          assert.equal(e.data.truncated, false);
          assert.match(String(e.data.output), /unknown directive "bogus_directive" in .*nginx\.conf:13/, action);
          assert.match(String(e.data.output), /configuration file .* test failed/);
          assert.match(e.message, /^nginx \w+ refused: the configuration test exited with status 1; the service was not touched$/);
        }
        assert.equal((await m.service.status({ name: "nginx" })).state, "active");
      });
      assert.equal((await sv.snapshot()).get("nginx")!.pid, master, "the same master");
      assert.deepEqual(workers(master), runningWorkers, "the same workers: no reload began");
      assert.equal(reloadsLogged(), reloads, "nginx got no SIGHUP");
      assert.equal(await get(), "v2\n", "still serving the configuration it had");
    } finally {
      fs.writeFileSync(conf(), good);
    }
  });

  test("restart after the configuration is fixed: a new master", async () => {
    const master = (await sv.snapshot()).get("nginx")!.pid;
    fs.writeFileSync(conf(), nginxConf("v4"));
    await withClient(sandbox, (m) => m.service.restart({ name: "nginx" }));
    const now = (await sv.snapshot()).get("nginx")!.pid;
    assert.notEqual(now, master);
    assert.equal(processAlive(master), false);
    await waitFor(() => get().then((b) => b === "v4\n").catch(() => false), "nginx to serve v4");
  });
});

describe("the test's bounds", () => {
  test("an init script is not restarted when its entry's test fails; start and stop run no test", async () => {
    await withClient(sandbox, async (m) => {
      assert.equal((await m.service.start({ name: "machina-testd" })).state, "active");
      assert.equal(fs.existsSync(path.join(tools, "fails.ran")), false, "start runs no test");
      const pid = scripts.pid("machina-testd")!;
      const e = await rejectsWithKind(m.service.restart({ name: "machina-testd" }), "validation-failed");
      assert.equal(e.data.exitCode, 1);
      assert.equal(fs.existsSync(path.join(tools, "fails.ran")), true, "the test ran");
      assert.equal(scripts.pid("machina-testd"), pid);
      assert.ok(processAlive(pid), "the service kept running");
      assert.equal((await m.service.stop({ name: "machina-testd" })).state, "inactive");
    });
  });

  test("the environment is PATH alone: nothing of the daemon's reaches it", async () => {
    await withClient(sandbox, async (m) => {
      const e = await rejectsWithKind(m.service.reload({ name: "app" }), "validation-failed");
      assert.equal(e.data.exitCode, 3);
      const vars = String(e.data.output)
        .split("\n")
        .filter(Boolean)
        .map((l) => l.slice(0, l.indexOf("=")));
      assert.ok(vars.includes("PATH"), String(e.data.output));
      assert.deepEqual(vars.filter((v) => !["PATH", "PWD"].includes(v)), [], "only PATH (and the PWD sh sets)");
      assert.match(String(e.data.output), /^PATH=\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/m);
    });
  });

  test("a test that outlives test_timeout, or floods its output, is ended and refuses the change", async () => {
    const before = await sv.snapshot();
    await withClient(sandbox, async (m) => {
      const slow = await rejectsWithKind(m.service.restart({ name: "app:slow" }), "validation-failed");
      assert.equal(slow.data.timedOut, true);
      assert.match(slow.message, /did not finish within 1s/);
      const flood = await rejectsWithKind(m.service.restart({ name: "app:floods" }), "validation-failed");
      assert.equal(flood.data.truncated, true);
      assert.equal(String(flood.data.output).length, 64 * 1024);
      assert.match(String(flood.data.output), /^(machina\n)+machi/);
    });
    assert.deepEqual(await sv.snapshot(), before);
  });

  test("a test program a user other than root could change never runs; a missing one is backend-failed", async () => {
    await withClient(sandbox, async (m) => {
      const e = await rejectsWithKind(m.service.reload({ name: "app:unsafe" }), "policy-denied");
      assert.match(e.message, /configuration test/);
      assert.doesNotMatch(e.message, /\/tmp\//, "the path is in the log, not the answer");
      assert.equal(fs.existsSync(path.join(tools, "unsafe.ran")), false);
      const missing = await rejectsWithKind(m.service.reload({ name: "app:missing" }), "backend-failed");
      assert.equal(missing.data.backend, "config-test");
    });
  });
});
