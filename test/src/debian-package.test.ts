/**
 * machina's Debian package and its systemd units, for real (issue 14, items 3
 * and 6): the package built from this checkout with dpkg-buildpackage and
 * checked by lintian, installed with `apt install ./machina_….deb` into a real
 * systemd container (harness/systemd-container.ts) that has Debian's own
 * nodejs (bookworm: 18.20) and no network, used from a www-data process the
 * way a web panel uses it, and purged.
 *
 * The tests of this file run in order on one container: each builds on the
 * state the one before left (installed, policy in place, …).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { describeRun, REPO_ROOT, runCommand, SYSTEM_PATH } from "./harness/command.js";
import { buildDebianPackage, localAptRepository, type BuiltPackage } from "./harness/debian-package.js";
import { containerSkipReason } from "./harness/systemd-container.js";
import { systemdContainerSuite } from "./harness/systemd-container-suite.js";
import { waitFor } from "./harness/wait.js";

const skip = containerSkipReason() ?? false;

/** The container's apt repository (no network): the package `hello`, downloaded on the host. */
const REPO = "/srv/machina-test-repo";

/** What the panel may do once the test installs it (the package's own default is read-only). */
const POLICY = `version = 1

[clients]
users = []
groups = ["www-data"]

[[augeas.file]]
path = "/etc/default/machina-demo"
lens = "Shellvars"
write = ["**"]

[[service]]
name = "machina-demo"
actions = ["status", "restart"]

[package]
install = ["hello"]
remove = ["hello"]
update = true

[timezone]
set = true

[[command]]
name = "touch"
path = "/usr/bin/touch"
args = [["/etc/machina-probe", "/opt/machina-probe", "/var/lib/machina-probe"]]
`;

describe("the Debian package in a real systemd container", { skip }, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "machina-deb-"));
  fs.chmodSync(work, 0o755);
  const debDir = path.join(work, "deb");
  const repoDir = path.join(work, "repo");
  fs.mkdirSync(debDir, { mode: 0o755 });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const suite = systemdContainerSuite({
    container: {
      readOnlyBinds: [debDir, `${repoDir}:${REPO}`],
      files: {
        "/etc/apt/sources.list": `deb [trusted=yes] file:${REPO} ./\n`,
        "/etc/default/machina-demo": "GREETING=hello\n",
        "/etc/systemd/system/machina-demo.service": "[Unit]\nDescription=machina test: a service the panel may restart\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
        "/etc/systemd/system/myapp.service": "[Unit]\nDescription=machina test: the README walk-through's service\n[Service]\nExecStart=/bin/sleep infinity\n",
      },
    },
  });
  fs.mkdirSync(repoDir, { mode: 0o755 });

  let pkg: BuiltPackage;
  const timings: Record<string, number> = {};
  after(() => console.log(`debian-package timings (ms): ${JSON.stringify(timings)}`));

  const c = () => suite.container;
  /** `machina ARGS` run inside the container by www-data, as the panel runs it. */
  const panel = (args: string[]) => c().exec(["machina", ...args], { user: "www-data" });
  /** apt-get as an administrator runs it (no network in the container: everything comes from the .deb and the tree). */
  const apt = (args: string[]) => c().exec(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q", ...args], { timeoutMs: 300_000 });
  /** Unit properties as systemd reports them. */
  const show = async (unit: string, props: string[]): Promise<Record<string, string>> => {
    const out = await c().check(["systemctl", "show", `--property=${props.join(",")}`, "--", unit]);
    return Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  };
  /** Every path below the roots the package could touch, for the purge's comparison. */
  const listFiles = async () =>
    new Set(
      (await c().check(["find", "/etc", "/usr", "/lib", "/opt", "/srv", "/var/lib", "/var/log", "/run", "-xdev", "-path", "/var/log/journal", "-prune", "-o", "-print"]))
        .trim()
        .split("\n"),
    );
  let filesBeforeInstall: Set<string>;

  test("dpkg-buildpackage builds machina_VERSION_amd64.deb from the checkout without network; lintian reports nothing but its overrides", async () => {
    const started = Date.now();
    pkg = await buildDebianPackage(debDir);
    timings.packageBuild = pkg.buildMs;
    timings.packageBuildWithCopy = Date.now() - started;
    assert.equal(path.basename(pkg.deb), `machina_${pkg.version}_amd64.deb`);
    const field = async (name: string) => (await runCommand("dpkg-deb", ["--field", pkg.deb, name])).stdout.trim();
    assert.match(await field("Depends"), /(^|, )nodejs \(>= 18\.20\)(,|$)/);
    const contents = (await runCommand("dpkg-deb", ["--contents", pkg.deb])).stdout;
    for (const file of ["./usr/sbin/machinad", "./usr/bin/machina", "./etc/init.d/machina", "./etc/default/machina", "./etc/machina/policy.toml", "./etc/logrotate.d/machina", "./lib/systemd/system/machina.socket", "./lib/systemd/system/machina.service", "./usr/lib/machina/node_modules/@machina/server/bundle/machinad.cjs"]) {
      assert.ok(contents.includes(` ${file}\n`), `${file} in the package`);
    }
    // Never a secret in the package: it is made on the machine (postinst).
    assert.doesNotMatch(contents, /etc\/machina\/secret/);
    const control = fs.mkdtempSync(path.join(work, "control-"));
    await runCommand("dpkg-deb", ["--control", pkg.deb, control]);
    // The logrotate file comes from make install, once (no debian/machina.logrotate), a conffile as every file in /etc.
    assert.deepEqual(fs.readFileSync(path.join(control, "conffiles"), "utf8").trim().split("\n").sort(), ["/etc/default/machina", "/etc/init.d/machina", "/etc/logrotate.d/machina", "/etc/machina/policy.toml"]);

    const lintStarted = Date.now();
    const lint = await runCommand("lintian", ["--pedantic", "--fail-on", "error,warning,info,pedantic", pkg.deb], { env: { PATH: SYSTEM_PATH, LANG: "C.UTF-8", HOME: "/root" }, timeoutMs: 600_000 });
    timings.lintian = Date.now() - lintStarted;
    assert.equal(lint.code, 0, describeRun(lint));
    assert.equal(lint.stdout.trim(), "", "lintian tags (every accepted one is in debian/machina.lintian-overrides, with its reason)");
  });

  test("apt install ./machina_….deb: Debian's nodejs, the secret root:www-data 0640, the socket enabled and listening, the service not yet started", async () => {
    await localAptRepository(repoDir, ["hello"]);
    filesBeforeInstall = await listFiles();
    const started = Date.now();
    const install = await apt(["install", pkg.deb]);
    timings.installInContainer = Date.now() - started;
    assert.equal(install.code, 0, describeRun(install));
    assert.equal((await c().check(["dpkg-query", "-W", "-f", "${db:Status-Status} ${Version}", "machina"])).trim(), `installed ${pkg.version}`);
    assert.match(await c().check(["node", "--version"]), /^v18\.20\./);
    assert.equal((await c().check(["readlink", "-f", "/usr/bin/node"])).trim(), "/usr/bin/node");

    assert.equal((await c().check(["stat", "-c", "%U:%G %a", "/etc/machina/secret"])).trim(), "root:www-data 640");
    assert.equal(Buffer.from(fs.readFileSync(c().path("/etc/machina/secret"), "utf8").trim(), "base64").length, 32);
    assert.equal((await c().check(["systemctl", "is-enabled", "machina.socket"])).trim(), "enabled");
    assert.deepEqual(await show("machina.socket", ["ActiveState", "SubState"]), { ActiveState: "active", SubState: "listening" });
    assert.equal((await c().check(["stat", "-c", "%U:%G %a %F", "/run/machina", "/run/machina/machina.sock"])).trim(), "root:root 755 directory\nroot:www-data 660 socket");
    assert.deepEqual(await show("machina.service", ["ActiveState", "Type"]), { ActiveState: "inactive", Type: "notify" });
  });

  test("a www-data client connects: the socket starts machina.service, which says READY itself; the secret reaches it only as the machina-secret credential", async () => {
    const get = await panel(["get", "/files/etc/hostname/hostname"]);
    assert.equal(get.code, 0, describeRun(get));
    assert.equal(get.stdout.trim(), fs.readFileSync(c().path("/etc/hostname"), "utf8").trim());
    const svc = await show("machina.service", ["ActiveState", "SubState", "StatusText", "NotifyAccess", "MainPID", "LoadCredential"]);
    assert.equal(svc.ActiveState, "active");
    assert.equal(svc.SubState, "running");
    // STATUS= arrives only through machinad's own sd_notify datagram.
    assert.equal(svc.StatusText, "listening");
    assert.equal(svc.NotifyAccess, "main");
    const pid = Number(svc.MainPID);
    assert.ok(pid > 0);
    // The main process is Debian's node running the bundle (the wrapper exec'd it).
    assert.equal((await c().check(["readlink", `/proc/${pid}/exe`])).trim(), "/usr/bin/node");

    const secret = fs.readFileSync(c().path("/etc/machina/secret"), "utf8").trim();
    for (const f of ["cmdline", "environ"]) assert.ok(!fs.readFileSync(c().path(`/proc/${pid}/${f}`), "utf8").includes(secret), `the secret is not in machinad's ${f}`);
    assert.match(fs.readFileSync(c().path(`/proc/${pid}/environ`), "utf8"), /(^|\0)CREDENTIALS_DIRECTORY=\/run\/credentials\/machina\.service(\0|$)/);
    assert.equal(fs.readFileSync(c().path("/run/credentials/machina.service/machina-secret"), "utf8").trim(), secret);
    // In machinad's own view of the file system the file is an empty, mode 0000 stand-in
    // (InaccessiblePaths=): the credential is the only way it got the key.
    assert.equal((await c().check(["nsenter", "-t", String(pid), "-m", "--", "stat", "-c", "%a %s", "/etc/machina/secret"])).trim(), "0 0");

    // A client with the wrong secret is refused (exit 3), and the daemon keeps serving.
    const wrongFile = c().path("/tmp/wrong-secret");
    fs.writeFileSync(wrongFile, `${Buffer.alloc(32, 7).toString("base64")}\n`, { mode: 0o600 });
    fs.chownSync(wrongFile, 33, 33);
    const wrong = await panel(["--json", "--secret-file", "/tmp/wrong-secret", "get", "/files/etc/hostname/hostname"]);
    assert.equal(wrong.code, 3, describeRun(wrong));
    assert.equal(JSON.parse(wrong.stderr).error.kind, "auth-failed");
    assert.equal((await show("machina.service", ["MainPID"])).MainPID, String(pid));
  });

  test("the README's walk-through, \"From zero to a button that restarts a service\": its policy, its commands, examples/restart-button.mjs as www-data", async () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## From zero to a button that restarts a service"));
    const walkthrough = section.slice(0, section.indexOf("\n## ", 10));
    const policy = /```toml\n([\s\S]*?)```/.exec(walkthrough)?.[1] ?? "";
    assert.ok(policy.includes('name = "myapp"'), "the walk-through's policy block");
    await c().check(["systemctl", "start", "myapp.service"]);

    // Step 2: the policy, checked, and the running daemon told to re-read it.
    fs.writeFileSync(c().path("/etc/machina/policy.toml"), policy);
    assert.equal((await c().check(["machinad", "policy", "check", "/etc/machina/policy.toml"])).trim(), "/etc/machina/policy.toml: ok");
    assert.match(await c().check(["machinad", "policy", "explain", "/etc/machina/policy.toml"]), /myapp\.service|myapp: status, restart/);
    const daemonPid = (await show("machina.service", ["MainPID"])).MainPID;
    await c().check(["systemctl", "try-reload-or-restart", "machina.service"]);
    assert.equal((await show("machina.service", ["MainPID"])).MainPID, daemonPid, "reloaded (SIGHUP), not restarted");

    // Step 3: the panel's project. What \`npm install <the package's directory>\` makes: a link to the
    // installed @machina/client (there is no npm in the container).
    fs.mkdirSync(c().path("/srv/panel/node_modules/@machina"), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, "examples", "restart-button.mjs"), c().path("/srv/panel/restart-button.mjs"));
    fs.symlinkSync("/usr/lib/machina/node_modules/@machina/client", c().path("/srv/panel/node_modules/@machina/client"));

    // Step 4, as printed (output to a file so the shell can return while it serves).
    await c().check(["sh", "-c", "cd /srv/panel && runuser -u www-data -- env SERVICE=myapp node restart-button.mjs </dev/null >/tmp/button.log 2>&1 &"]);
    const fetchIn = (method: string) =>
      c().exec(["node", "--no-warnings", "-e", `fetch("http://127.0.0.1:8081/", { method: "${method}", redirect: "manual" }).then(async (r) => console.log(r.status, await r.text()))`]);
    try {
      let page = await fetchIn("GET");
      await waitFor(async () => (page = await fetchIn("GET")).code === 0, "the restart button's page", () => describeRun(page) + fs.readFileSync(c().path("/tmp/button.log"), "utf8"), 20_000);
      assert.match(page.stdout, /^200 [\s\S]*myapp\.service is <b id="state">active<\/b>/);
      const before = (await show("myapp.service", ["MainPID"])).MainPID;
      const pressed = await c().exec(["node", "--no-warnings", "-e", 'fetch("http://127.0.0.1:8081/restart", { method: "POST", redirect: "manual" }).then((r) => console.log(r.status, r.headers.get("location")))']);
      assert.equal(pressed.stdout.trim(), "303 /", describeRun(pressed));
      const now = await show("myapp.service", ["ActiveState", "MainPID"]);
      assert.equal(now.ActiveState, "active");
      assert.ok(Number(now.MainPID) > 0 && now.MainPID !== before, "myapp restarted: a new main process");
      // The audit (machinad's stderr: the journal) has the panel's restart, by www-data (uid 33).
      const audit = (await c().check(["journalctl", "-u", "machina.service", "-o", "cat", "--no-pager"])).split("\n").filter((l) => l.startsWith("{"));
      assert.ok(
        audit.some((l) => { const a = JSON.parse(l) as { method?: string; peer?: { uid?: number } }; return a.method === "service.restart" && a.peer?.uid === 33; }),
        audit.slice(-5).join("\n"),
      );
    } finally {
      await c().exec(["pkill", "-u", "www-data", "-f", "restart-button.mjs"]);
      // The panel's project is the developer's, not the package's: gone before the purge's inventory.
      fs.rmSync(c().path("/srv/panel"), { recursive: true });
    }
    const refused = await c().exec(["runuser", "-u", "www-data", "--", "machina", "service", "restart", "ssh"]);
    assert.equal(refused.code, 1, describeRun(refused));
    assert.match(refused.stderr, /^machina: policy-denied: /);
  });

  test("with the test's policy (systemctl restart): read and write a policy file in /etc, restart an allowed unit, be refused another", async () => {
    fs.writeFileSync(c().path("/etc/machina/policy.toml"), POLICY);
    await c().check(["systemctl", "start", "machina-demo.service"]);
    // A restart, not a reload: Type=notify makes it return once the new daemon listens.
    await c().check(["systemctl", "restart", "machina.service"]);

    const read = await panel(["get", "/files/etc/default/machina-demo/GREETING"]);
    assert.equal(read.code, 0, describeRun(read));
    assert.equal(read.stdout.trim(), "hello");
    const write = await panel(["set", "/files/etc/default/machina-demo/GREETING", "world"]);
    assert.equal(write.code, 0, describeRun(write));
    assert.equal(fs.readFileSync(c().path("/etc/default/machina-demo"), "utf8"), "GREETING=world\n");
    // Not in the policy: refused, and the file is untouched.
    const denied = await panel(["--json", "set", "/files/etc/hostname/hostname", "evil"]);
    assert.equal(denied.code, 1, describeRun(denied));
    assert.equal(JSON.parse(denied.stderr).error.kind, "policy-denied");

    const before = Number((await show("machina-demo.service", ["MainPID"])).MainPID);
    const restart = await panel(["service", "restart", "machina-demo"]);
    assert.equal(restart.code, 0, describeRun(restart));
    const afterRestart = await show("machina-demo.service", ["ActiveState", "MainPID"]);
    assert.equal(afterRestart.ActiveState, "active");
    assert.ok(Number(afterRestart.MainPID) > 0 && Number(afterRestart.MainPID) !== before, "a new main process");

    const dbusPid = (await show("dbus.service", ["MainPID"])).MainPID;
    const refused = await panel(["--json", "service", "restart", "dbus"]);
    assert.equal(refused.code, 1, describeRun(refused));
    assert.equal(JSON.parse(refused.stderr).error.kind, "policy-denied");
    assert.equal((await show("dbus.service", ["MainPID"])).MainPID, dbusPid);
  });

  test("the sandboxing leaves what a broker must do (timezone, apt from a local repository) and confines the rest (no write outside ReadWritePaths)", async () => {
    const tz = await panel(["timezone", "set", "Europe/Paris"]);
    assert.equal(tz.code, 0, describeRun(tz));
    assert.equal(fs.readlinkSync(c().path("/etc/localtime")), "../usr/share/zoneinfo/Europe/Paris");

    // apt and dpkg write /var/lib, /var/cache, /var/log and /usr: ReadWritePaths= lets them.
    const update = await panel(["package", "update"]);
    assert.equal(update.code, 0, describeRun(update));
    const install = await panel(["package", "install", "hello"]);
    assert.equal(install.code, 0, describeRun(install));
    assert.equal((await c().check(["dpkg-query", "-W", "-f", "${db:Status-Status}", "hello"])).trim(), "installed");
    assert.ok(fs.existsSync(c().path("/usr/bin/hello")));
    const remove = await panel(["package", "remove", "hello"]);
    assert.equal(remove.code, 0, describeRun(remove));
    assert.ok(!fs.existsSync(c().path("/usr/bin/hello")));

    // A command machinad runs lives in its sandbox: /etc and /var are writable, /opt is not.
    const etc = await panel(["run", "touch", "/etc/machina-probe"]);
    assert.equal(etc.code, 0, describeRun(etc));
    assert.ok(fs.existsSync(c().path("/etc/machina-probe")));
    const varLib = await panel(["run", "touch", "/var/lib/machina-probe"]);
    assert.equal(varLib.code, 0, describeRun(varLib));
    const opt = await panel(["--json", "run", "touch", "/opt/machina-probe"]);
    assert.equal(opt.code, 1, describeRun(opt));
    const result = JSON.parse(opt.stdout) as { exitCode: number; stderr: string };
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /Read-only file system/);
    assert.ok(!fs.existsSync(c().path("/opt/machina-probe")));
    // As root outside the sandbox the same write works: it was the unit that refused it.
    await c().check(["touch", "/opt/machina-probe"]);
    for (const f of ["/etc/machina-probe", "/var/lib/machina-probe", "/opt/machina-probe"]) fs.rmSync(c().path(f));
  });

  test("logrotate's postrotate under systemd (/etc/init.d/machina rotate): a running machina.service reopens its audit log, a stopped one is left stopped", async () => {
    // The packaged unit logs to the journal; an administrator's drop-in adds a file, which
    // /etc/logrotate.d/machina then rotates (the container has no logrotate: its postrotate runs here).
    const dropIn = "/etc/systemd/system/machina.service.d/audit-log.conf";
    fs.mkdirSync(path.dirname(c().path(dropIn)), { recursive: true });
    fs.writeFileSync(c().path(dropIn), "[Service]\nLogsDirectory=machina\nLogsDirectoryMode=0750\nExecStart=\nExecStart=/usr/sbin/machinad run --policy /etc/machina/policy.toml --audit-log /var/log/machina/audit.log\n");
    await c().check(["systemctl", "daemon-reload"]);
    await c().check(["systemctl", "restart", "machina.service"]);
    const audit = c().path("/var/log/machina/audit.log");
    const methods = (file: string) => fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { method: string }).method);
    try {
      const get = await panel(["get", "/files/etc/default/machina-demo/GREETING"]);
      assert.equal(get.code, 0, describeRun(get));
      await waitFor(() => fs.existsSync(audit) && methods(audit).includes("augeas.get"), "the get's audit line");
      const pid = (await show("machina.service", ["MainPID"])).MainPID;
      fs.renameSync(audit, `${audit}.1`);
      const rotate = await c().exec(["/etc/init.d/machina", "rotate"]);
      assert.equal(rotate.code, 0, describeRun(rotate));
      assert.equal(rotate.stdout + rotate.stderr, "", "quiet, as a postrotate script must be");
      await waitFor(() => fs.existsSync(audit), "machinad to open a new audit log");
      const match = await panel(["match", "/files/etc/default/machina-demo/*"]);
      assert.equal(match.code, 0, describeRun(match));
      await waitFor(() => methods(audit).includes("augeas.match"), "the match's audit line in the new file");
      assert.ok(!methods(`${audit}.1`).includes("augeas.match"), "nothing after the reopen in the moved file");
      assert.ok(methods(`${audit}.1`).includes("augeas.get"));
      assert.ok(!methods(audit).includes("augeas.get"));
      assert.equal((await show("machina.service", ["MainPID"])).MainPID, pid, "reloaded, not restarted");

      await c().check(["systemctl", "stop", "machina.service"]);
      const idle = await c().exec(["/etc/init.d/machina", "rotate"]);
      assert.equal(idle.code, 0, describeRun(idle));
      assert.equal(idle.stdout + idle.stderr, "");
      assert.equal((await show("machina.service", ["ActiveState"])).ActiveState, "inactive", "rotate does not start a stopped service");
    } finally {
      fs.rmSync(path.dirname(c().path(dropIn)), { recursive: true });
      await c().check(["systemctl", "daemon-reload"]);
    }
  });

  test("--exit-idle under socket activation: the service exits cleanly when idle, the socket stays, the next client starts it again", async () => {
    const dropIn = "/etc/systemd/system/machina.service.d/exit-idle.conf";
    fs.mkdirSync(path.dirname(c().path(dropIn)), { recursive: true });
    fs.writeFileSync(c().path(dropIn), "[Service]\nExecStart=\nExecStart=/usr/sbin/machinad run --policy /etc/machina/policy.toml --exit-idle 2\n");
    await c().check(["systemctl", "daemon-reload"]);
    await c().check(["systemctl", "stop", "machina.service"]);
    assert.equal((await show("machina.socket", ["SubState"])).SubState, "listening");

    const first = await panel(["get", "/files/etc/default/machina-demo/GREETING"]);
    assert.equal(first.code, 0, describeRun(first));
    const pid = (await show("machina.service", ["MainPID"])).MainPID;
    assert.notEqual(pid, "0");
    let state: Record<string, string> = {};
    await waitFor(
      async () => {
        state = await show("machina.service", ["ActiveState", "Result", "NRestarts", "ExecMainStatus"]);
        return state.ActiveState === "inactive";
      },
      "machina.service to exit when idle",
      () => JSON.stringify(state),
      30_000,
    );
    assert.deepEqual(state, { ActiveState: "inactive", Result: "success", NRestarts: "0", ExecMainStatus: "0" });
    assert.equal((await show("machina.socket", ["SubState"])).SubState, "listening");

    const again = await panel(["get", "/files/etc/default/machina-demo/GREETING"]);
    assert.equal(again.code, 0, describeRun(again));
    assert.equal(again.stdout.trim(), "world");
    const second = await show("machina.service", ["ActiveState", "MainPID"]);
    assert.equal(second.ActiveState, "active");
    assert.notEqual(second.MainPID, pid);

    // Back to the packaged unit: the next connection starts a machinad without --exit-idle 2.
    fs.rmSync(path.dirname(c().path(dropIn)), { recursive: true });
    await c().check(["systemctl", "daemon-reload"]);
    await c().check(["systemctl", "stop", "machina.service"]);
  });

  test("apt reinstall (an upgrade's maintainer scripts): the running machinad is replaced without apt waiting for it; the edited policy and the secret stay", async () => {
    const secret = fs.readFileSync(c().path("/etc/machina/secret"), "utf8");
    const warm = await panel(["get", "/files/etc/default/machina-demo/GREETING"]);
    assert.equal(warm.code, 0, describeRun(warm));
    const pid = (await show("machina.service", ["MainPID"])).MainPID;
    assert.notEqual(pid, "0");
    const reinstall = await apt(["install", "--reinstall", pkg.deb]);
    assert.equal(reinstall.code, 0, describeRun(reinstall));
    let now: Record<string, string> = {};
    await waitFor(
      async () => {
        now = await show("machina.service", ["ActiveState", "MainPID"]);
        return now.ActiveState === "active" && now.MainPID !== pid && now.MainPID !== "0";
      },
      "machina.service to be restarted after the upgrade",
      () => JSON.stringify(now),
      30_000,
    );
    assert.equal(fs.readFileSync(c().path("/etc/machina/secret"), "utf8"), secret);
    assert.equal(fs.readFileSync(c().path("/etc/machina/policy.toml"), "utf8"), POLICY);
    assert.equal((await show("machina.socket", ["ActiveState"])).ActiveState, "active");
    const after = await panel(["get", "/files/etc/default/machina-demo/GREETING"]);
    assert.equal(after.code, 0, describeRun(after));
  });

  test("apt purge: the units stopped and disabled, nothing of machina left on disk (remove keeps the secret and the policy first)", async () => {
    const remove = await apt(["remove", "machina"]);
    assert.equal(remove.code, 0, describeRun(remove));
    assert.equal((await c().check(["dpkg-query", "-W", "-f", "${db:Status-Status}", "machina"])).trim(), "config-files");
    assert.deepEqual(await show("machina.socket", ["ActiveState", "LoadState"]), { ActiveState: "inactive", LoadState: "not-found" });
    assert.equal((await show("machina.service", ["ActiveState"])).ActiveState, "inactive");
    assert.ok(fs.existsSync(c().path("/etc/machina/secret")), "remove keeps the secret");
    assert.equal(fs.readFileSync(c().path("/etc/machina/policy.toml"), "utf8"), POLICY, "remove keeps the (edited) policy");
    assert.ok(!fs.existsSync(c().path("/usr/lib/machina")));

    const purge = await apt(["purge", "machina"]);
    assert.equal(purge.code, 0, describeRun(purge));
    assert.doesNotMatch(purge.stdout + purge.stderr, /warning/i);
    const status = await c().exec(["dpkg-query", "-W", "-f", "${db:Status-Status}", "machina"]);
    assert.ok(status.code !== 0 || status.stdout.trim() === "not-installed", describeRun(status));

    const left = [...(await listFiles())].filter((f) => !filesBeforeInstall.has(f));
    // What may remain: dpkg's, apt's and systemd's own records and logs (here: the local
    // repository's lists, apt's history of hello, systemd's runtime state of the units the test
    // ran), never a file of machina's.
    const allowed = [/^\/var\/lib\/(dpkg|apt|systemd)(\/|$)/, /^\/var\/log\/(apt|dpkg\.log|alternatives\.log)/, /^\/var\/cache\//, /^\/run\/(systemd|user|udev|log|credentials)(\/|$)/, /^\/etc\/(localtime|ld\.so\.cache)$/];
    assert.deepEqual(
      left.filter((f) => !allowed.some((re) => re.test(f))),
      [],
      "files that appeared with the package and stayed after the purge",
    );
    for (const gone of ["/etc/machina", "/var/log/machina", "/run/machina", "/usr/sbin/machinad", "/usr/bin/machina", "/etc/init.d/machina", "/etc/default/machina", "/lib/systemd/system/machina.socket", "/etc/systemd/system/sockets.target.wants/machina.socket", "/run/machina/machina.sock"]) {
      assert.ok(!fs.existsSync(c().path(gone)), `${gone} is gone`);
    }
  });
});
