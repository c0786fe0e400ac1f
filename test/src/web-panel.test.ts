/**
 * The example web panel end to end, in a real browser (Debian's chromium via
 * playwright-core): the panel runs as `nobody` and talks to the real machinad
 * on a sandbox root, which runs the demo's real LSB init scripts
 * (examples/demo/init.d) managing real processes. The tests log in, restart a
 * service and see its new pid, read its log in the drawer (the lines its init
 * script wrote, then only the newer ones), see a failed restart with the log's
 * last lines, meet the boot toggle where the policy allows it, add a hosts
 * entry through the diff preview and find it on disk, apply a preview of a
 * file someone else changed meanwhile (refused, with a fresh preview), meet the policy's
 * refusals, and fail to log in with a wrong password. Screenshots of every
 * page go to test-results/screenshots/.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, test } from "node:test";
import { launchBrowser, type BrowserSession } from "./harness/browser.js";
import { startDaemon, type DaemonProcess } from "./harness/daemon.js";
import { Sandbox } from "./harness/sandbox.js";
import { waitFor } from "./harness/wait.js";
import { NOBODY } from "./harness/as-user.js";
import { startPanel, type PanelProcess } from "./harness/web-panel.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DEMO_INITD = path.join(REPO, "examples/demo/init.d");
const PASSWORD = "correct horse battery staple";

/**
 * The panel's user may connect; /etc/hosts is editable, /etc/hostname is
 * read-only (so changing it is refused); demo-web may be restarted and
 * reloaded and its log read (the file its init script writes below the root),
 * demo-worker started, stopped, restarted and enabled or disabled at boot, but
 * not reloaded, and has no log.
 */
const POLICY = `
version = 1

[clients]
users = ["nobody"]

[[augeas.file]]
path = "/etc/hosts"
lens = "Hosts"
write = ["*", "*/ipaddr", "*/canonical", "*/alias"]

[[augeas.file]]
path = "/etc/hostname"
lens = "Hostname"

[[service]]
name = "demo-web"
actions = ["status", "restart", "reload", "log"]
log = "/var/log/demo-web.log"

[[service]]
name = "demo-worker"
actions = ["status", "start", "stop", "restart", "enable", "disable"]
`;

/**
 * The test's copy of demo-web can be made to fail to start (the shipped script
 * cannot): while state/demo-web.broken exists, its start logs a configuration
 * error — with markup in it, which the page must show as text — and fails.
 */
const BREAKABLE_START = `do_start() {
	if [ -e "$STATE/$NAME.broken" ]; then
		log "checking /etc/demo-web.conf"
		log "/etc/demo-web.conf: line 3: <VirtualHost *:80> & friends are not allowed here"
		echo "$NAME: not starting: the configuration is invalid" >&2
		return 1
	fi
`;

let sandbox: Sandbox;
let daemon: DaemonProcess;
let panel: PanelProcess;
let browser: BrowserSession;
let base: string;
let initd: string;
let state: string;

function initScript(name: string, action: string): string {
  return execFileSync(path.join(initd, name), [action], { encoding: "utf8", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" } });
}

/** The lines of demo-web's log file, as its init script (and the tests) wrote them. */
function logOnDisk(): string[] {
  return sandbox.read("/var/log/demo-web.log").split("\n").slice(0, -1);
}

function pidOnDisk(name: string): number {
  return Number(fs.readFileSync(path.join(state, `${name}.pid`), "utf8").trim());
}

/** True while `pid` runs (a zombie awaiting its reaper does not count). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

before(async () => {
  sandbox = Sandbox.create({ policy: POLICY });
  // nobody must reach the socket (in run/, made by the daemon) and read the
  // secret and password files through their group; nothing here is writable by it.
  fs.chmodSync(sandbox.dir, 0o755);
  fs.chownSync(sandbox.secretFile, 0, NOBODY.gid);
  fs.chmodSync(sandbox.secretFile, 0o640);
  const passwordFile = path.join(sandbox.dir, "panel-password");
  fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o640 });
  fs.chownSync(passwordFile, 0, NOBODY.gid);

  initd = path.join(sandbox.dir, "init.d");
  state = path.join(sandbox.dir, "state");
  fs.mkdirSync(initd, { mode: 0o755 });
  for (const name of ["demo-web", "demo-worker"]) {
    fs.copyFileSync(path.join(DEMO_INITD, name), path.join(initd, name));
    fs.chmodSync(path.join(initd, name), 0o755);
  }
  const web = fs.readFileSync(path.join(initd, "demo-web"), "utf8");
  assert.ok(web.includes("do_start() {\n"), "demo-web's script has a do_start() to make breakable");
  fs.writeFileSync(path.join(initd, "demo-web"), web.replace("do_start() {\n", BREAKABLE_START));
  // An rc2.d beside the init directory: the daemon can tell what starts at boot (demo-web does).
  fs.mkdirSync(path.join(sandbox.dir, "rc2.d"));
  fs.symlinkSync("../init.d/demo-web", path.join(sandbox.dir, "rc2.d", "S01demo-web"));
  initScript("demo-web", "start");

  daemon = await startDaemon(sandbox, { args: ["--group", "nogroup", "--service-backend", "initd", "--initd-dir", initd] });
  panel = startPanel({ socket: sandbox.socket, secretFile: sandbox.secretFile, passwordFile, title: "panel.example.org" });
  base = await panel.url();
  browser = await launchBrowser();
});

afterEach(async (t) => {
  if ((t as { passed?: boolean }).passed === false) {
    console.error(`--- ${t.name} ---\n${panel?.describe() ?? ""}\n${daemon?.describe() ?? ""}`);
    const shot = await browser?.screenshot(`FAILED-${t.name.replace(/[^a-z0-9]+/gi, "-")}`).catch(() => undefined);
    if (shot) console.error(`the page at the failure: ${browser.page.url()} (${shot})`);
  }
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    await panel?.stop();
    await daemon?.stop();
    for (const name of ["demo-web", "demo-worker"]) {
      try {
        if (initd) initScript(name, "stop");
      } catch {
        // not running
      }
    }
    sandbox?.cleanup();
  }
});

/** The text of the page's flash messages. */
async function flashText(): Promise<string> {
  return (await browser.page.locator(".flash").allTextContents()).join("\n");
}

/** A page never shows a stack trace or an internal exception. */
async function assertNoStackTrace(): Promise<void> {
  const body = await browser.page.locator("body").innerText();
  assert.doesNotMatch(body, /\n\s+at [\w.<>]+ \(|node:internal|TypeError|ReferenceError/, body);
}

/**
 * Does `action` (a click that posts a form) and waits for the page it leads
 * to: the next document the tab commits (redirects do not commit), loaded.
 * (Waiting for a URL is not enough: most forms lead back to the page they are on.)
 */
async function submit(action: () => Promise<unknown>): Promise<void> {
  const { page } = browser;
  const navigated = page.waitForEvent("framenavigated", { predicate: (frame) => frame === page.mainFrame() });
  await action();
  await navigated;
  await page.waitForLoadState("load");
}

async function logIn(password: string): Promise<void> {
  const { page } = browser;
  await page.goto(`${base}login`);
  await page.fill('input[name="password"]', password);
  await submit(() => page.click('button[type="submit"]:has-text("Log in")'));
}

test("a wrong password is refused, and the pages stay closed", async () => {
  const { page } = browser;
  await logIn("not the password");
  assert.equal(new URL(page.url()).pathname, "/login");
  assert.match(await flashText(), /Wrong password/);
  await browser.screenshot("login-wrong-password");

  await page.goto(`${base}hosts`);
  assert.equal(new URL(page.url()).pathname, "/login", "an anonymous visitor is sent to the login page");
  assert.equal(await page.locator("table").count(), 0);
});

test("logging in shows the services the policy names, with live status", async () => {
  const { page, context } = browser;
  await logIn(PASSWORD);
  assert.equal(new URL(page.url()).pathname, "/services");

  const cookie = (await context.cookies(base)).find((c) => c.name === "machina_panel");
  assert.ok(cookie, "a session cookie is set");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Strict");

  const web = page.locator('tr[data-service="demo-web"]');
  const worker = page.locator('tr[data-service="demo-worker"]');
  assert.equal(await web.locator(".badge").innerText(), "active");
  assert.equal(await worker.locator(".badge").innerText(), "inactive");
  assert.match(await web.locator(".detail").innerText(), new RegExp(`pid ${pidOnDisk("demo-web")}\\b`));
  // Buttons follow the policy: demo-web has no Start/Stop (nor a boot toggle: it may
  // not be enabled or disabled), demo-worker no Reload, and not started at boot, may be enabled.
  assert.deepEqual(await web.locator("button").allInnerTexts(), ["Restart", "Reload"]);
  assert.deepEqual(await worker.locator("button").allInnerTexts(), ["Start", "Restart", "Enable at boot"]);
  assert.equal(await web.locator(".boot").innerText(), "starts at boot");
  assert.equal(await worker.locator(".boot").innerText(), "not started at boot");
  // No Packages page: this policy allows no package installs.
  assert.deepEqual(await page.locator(".topbar nav a").allInnerTexts(), ["Services", "Hosts", "Hostname"]);
  await browser.screenshot("services");

  // Live status: a change made behind the panel's back shows up without a reload.
  initScript("demo-worker", "start");
  await waitFor(async () => (await worker.locator(".badge").innerText()) === "active", "the live status of demo-worker to turn active");
  assert.match(await worker.locator(".detail").innerText(), new RegExp(`pid ${pidOnDisk("demo-worker")}\\b`));
  await browser.screenshot("services-live");
});

test("Restart gives the service a new process", async () => {
  const { page } = browser;
  await page.goto(`${base}services`);
  const web = page.locator('tr[data-service="demo-web"]');
  const before = pidOnDisk("demo-web");
  assert.ok(alive(before));
  assert.match(await web.locator(".detail").innerText(), new RegExp(`pid ${before}\\b`));

  await submit(() => web.locator('button:has-text("Restart")').click());
  assert.match(await flashText(), /Restarted demo-web: active/);
  const afterPid = pidOnDisk("demo-web");
  assert.notEqual(afterPid, before, "the pid file names a new process");
  assert.ok(alive(afterPid), "the new process runs");
  await waitFor(() => !alive(before), `the old process ${before} to be gone`);
  const row = page.locator('tr[data-service="demo-web"]');
  assert.equal(await row.locator(".badge").innerText(), "active");
  assert.match(await row.locator(".detail").innerText(), new RegExp(`pid ${afterPid}\\b`));
  await browser.screenshot("services-restarted");
});

test("the log drawer shows the lines demo-web's init script wrote, then only the newer ones", async () => {
  const { page } = browser;
  await page.goto(`${base}services`);
  const drawer = page.locator("details#log-demo-web");
  assert.equal(await drawer.getAttribute("open"), null, "closed until asked");
  await drawer.locator("summary").click();
  assert.match(await drawer.locator("summary").innerText(), /\/var\/log\/demo-web\.log/);
  const written = logOnDisk();
  const shown = await drawer.locator(".log-line").allInnerTexts();
  assert.deepEqual(shown, written.slice(-50), "the log file's last lines, as they are on disk");
  assert.match(shown.at(-1)!, new RegExp(`^\\S+Z demo-web: started \\(pid ${pidOnDisk("demo-web")}\\)$`), "the script's own line for the process running now");
  assert.ok(shown.some((l) => /demo-web: stopped for a restart$/.test(l)), shown.join("\n"));
  await browser.screenshot("services-log");

  // Logged behind the panel's back: a reload by the init script, then a line with markup in it.
  initScript("demo-web", "reload");
  fs.appendFileSync(sandbox.path("/var/log/demo-web.log"), '<b id="injected">not markup</b> & more\n');
  const appended = logOnDisk().slice(written.length);
  assert.equal(appended.length, 2);
  assert.match(appended[0]!, /demo-web: configuration re-read \(pid \d+\)$/);
  await submit(() => drawer.locator('a:has-text("Newer lines")').click());
  const next = page.locator("details#log-demo-web");
  assert.equal(await next.getAttribute("open"), "", "the link opens the drawer it came from");
  assert.deepEqual(await next.locator(".log-line").allInnerTexts(), appended, "only the lines after the ones shown before");
  assert.equal(await page.locator("#injected").count(), 0, "a log line is text, never markup");
  assert.match(await next.innerText(), /2 lines logged since the last look/);
  await browser.screenshot("services-log-newer");

  // Nothing new since: said plainly.
  await submit(() => next.locator('a:has-text("Newer lines")').click());
  assert.equal(await page.locator("details#log-demo-web .log-line").count(), 0);
  assert.match(await page.locator("details#log-demo-web").innerText(), /No new lines since the last look/);
});

test("a service the policy gives no log has no drawer; a bad log position gets a clear message", async () => {
  const { page } = browser;
  await page.goto(`${base}services`);
  assert.equal(await page.locator('[data-log-for="demo-web"]').count(), 1);
  assert.equal(await page.locator('[data-log-for="demo-worker"]').count(), 0);
  assert.equal(await page.locator('tr[data-service="demo-worker"] details, tr[data-service="demo-worker"] + tr details').count(), 0);

  // Asking for it anyway.
  let res = await page.goto(`${base}services?log=demo-worker`);
  assert.equal(res?.status(), 200);
  assert.match(await flashText(), /No log of demo-worker to show/);
  assert.equal(await page.locator('[data-log-for="demo-worker"]').count(), 0);

  // Not a cursor's shape: the panel does not pass it on, and shows the last lines.
  res = await page.goto(`${base}services?${new URLSearchParams({ log: "demo-web", after: "not a cursor" })}`);
  assert.equal(res?.status(), 200);
  const drawer = page.locator("details#log-demo-web");
  assert.match(await drawer.locator(".flash-error").innerText(), /That link's log position is not valid/);
  assert.deepEqual(await drawer.locator(".log-line").allInnerTexts(), logOnDisk().slice(-50));

  // A cursor's shape, but not one the daemon made: the daemon refuses it, in plain words.
  res = await page.goto(`${base}services?${new URLSearchParams({ log: "demo-web", after: "garbage" })}`);
  assert.equal(res?.status(), 200);
  const refusal = await page.locator("details#log-demo-web .flash-error").innerText();
  assert.match(refusal, /Reading the log of demo-web: The daemon rejected the request/);
  assert.match(refusal, /not a cursor of this service's log/);
  assert.equal(await page.locator("details#log-demo-web .log-line").count(), 0);
  await assertNoStackTrace();
});

test("a restart that fails shows the error with the last lines of the service's log", async () => {
  const { page } = browser;
  await page.goto(`${base}services`);
  const broken = path.join(state, "demo-web.broken");
  fs.writeFileSync(broken, "");
  try {
    await submit(() => page.locator('tr[data-service="demo-web"] button:has-text("Restart")').click());
    const flash = page.locator(".flash-error");
    assert.equal(await flash.count(), 1);
    const text = await flash.innerText();
    assert.match(text, /Restart demo-web: The system tool failed/);
    assert.match(text, /not starting: the configuration is invalid/);
    const lines = await flash.locator(".log-line").allInnerTexts();
    assert.deepEqual(lines, logOnDisk().slice(-25), "the log's last 25 lines, as the script wrote them");
    assert.match(lines.at(-2)!, /demo-web: \/etc\/demo-web\.conf: line 3: <VirtualHost \*:80> & friends are not allowed here$/);
    assert.match(lines.at(-1)!, /demo-web: start failed$/);
    await assertNoStackTrace();
    assert.equal(await page.locator('tr[data-service="demo-web"] .badge').innerText(), "inactive");
    await browser.screenshot("services-restart-failed");
  } finally {
    fs.rmSync(broken, { force: true });
  }
  await submit(() => page.locator('tr[data-service="demo-web"] button:has-text("Restart")').click());
  assert.match(await flashText(), /Restarted demo-web: active/);
  assert.equal(await page.locator(".flash .log-line").count(), 0);
  assert.ok(alive(pidOnDisk("demo-web")));
});

test("the boot toggle posts like the other buttons, the daemon's refusal is shown, and it is hidden when the daemon cannot tell", async () => {
  const { page } = browser;
  const rc2 = path.join(sandbox.dir, "rc2.d");
  await page.goto(`${base}services`);
  await submit(() => page.locator('tr[data-service="demo-worker"] button:has-text("Enable at boot")').click());
  // update-rc.d works on /etc/init.d only; this daemon's scripts are the sandbox's.
  const text = await flashText();
  assert.match(text, /Enable demo-worker at boot: The system tool failed/);
  assert.match(text, /update-rc\.d works only on \/etc\/init\.d/);
  await assertNoStackTrace();
  assert.deepEqual(fs.readdirSync(rc2), ["S01demo-web"], "no link was made");
  assert.equal(await page.locator('tr[data-service="demo-worker"] .boot').innerText(), "not started at boot");

  // Without rc?.d beside the init directory the daemon cannot tell (no `enabled`): no toggle, no label.
  fs.renameSync(rc2, `${rc2}.away`);
  try {
    await page.goto(`${base}services`);
    const worker = page.locator('tr[data-service="demo-worker"]');
    assert.deepEqual(await worker.locator("button").allInnerTexts(), ["Stop", "Restart"]);
    assert.equal(await page.locator(".services .boot").count(), 0);
  } finally {
    fs.renameSync(`${rc2}.away`, rc2);
  }
});

test("adding a hosts entry shows the diff first, then writes /etc/hosts", async () => {
  const { page } = browser;
  const original = sandbox.read("/etc/hosts");
  await page.goto(`${base}hosts`);
  assert.equal(await page.locator("table.hosts tbody tr").count(), 5);
  await browser.screenshot("hosts");

  await page.fill('#add-host input[name="ipaddr"]', "192.168.1.20");
  await page.fill('#add-host input[name="canonical"]', "printer.lan");
  await page.fill('#add-host input[name="aliases"]', "printer");
  await submit(() => page.click('#add-host button[type="submit"]'));

  const diff = await page.locator(".diff pre").innerText();
  assert.match(diff, /^\+192\.168\.1\.20\s+printer\.lan\s+printer$/m, diff);
  assert.match(await page.locator(".diff figcaption").innerText(), /\/etc\/hosts/);
  assert.equal(sandbox.read("/etc/hosts"), original, "a preview writes nothing");
  await browser.screenshot("hosts-preview");

  await submit(() => page.click("#apply-change"));
  assert.match(await flashText(), /saved \/etc\/hosts/);
  const written = sandbox.read("/etc/hosts");
  assert.ok(written.startsWith(original), `the entries before are kept as they were:\n${written}`);
  assert.match(written.slice(original.length), /^192\.168\.1\.20\s+printer\.lan\s+printer\n$/);
  const added = page.locator("table.hosts tbody tr").last();
  assert.deepEqual(await added.locator("td").allInnerTexts().then((t) => t.slice(0, 3)), ["192.168.1.20", "printer.lan", "printer"]);
  await browser.screenshot("hosts-saved");
});

test("editing and deleting an entry go through the same preview", async () => {
  const { page } = browser;
  const original = sandbox.read("/etc/hosts");
  assert.match(original, /^::1     localhost ip6-localhost ip6-loopback$/m);
  await page.goto(`${base}hosts/edit?entry=3`);
  await page.fill('#edit-host input[name="aliases"]', "ip6-localhost lo6 loopback6");
  await submit(() => page.click('#edit-host button[type="submit"]'));
  assert.match(await page.locator(".diff pre").innerText(), /^\+::1     localhost ip6-localhost lo6 loopback6$/m);
  await browser.screenshot("hosts-edit-preview");
  await submit(() => page.click("#apply-change"));
  assert.equal(sandbox.read("/etc/hosts"), original.replace("ip6-localhost ip6-loopback", "ip6-localhost lo6 loopback6"));

  // Delete the entry added above, but cancel first: nothing is written.
  const printer = page.locator("table.hosts tbody tr", { hasText: "printer.lan" });
  await submit(() => printer.locator('button:has-text("Delete")').click());
  assert.match(await page.locator(".diff pre").innerText(), /^-192\.168\.1\.20\s+printer\.lan\s+printer$/m);
  const edited = sandbox.read("/etc/hosts");
  await submit(() => page.click('button:has-text("Cancel")'));
  assert.equal(sandbox.read("/etc/hosts"), edited);
  await submit(() => printer.locator('button:has-text("Delete")').click());
  await submit(() => page.click("#apply-change"));
  assert.equal(sandbox.read("/etc/hosts"), edited.replace(/^192\.168\.1\.20\s+printer\.lan\s+printer\n/m, ""));
  assert.equal(await page.locator("table.hosts tbody tr", { hasText: "printer.lan" }).count(), 0);
});

test("Apply after someone else changed the file writes nothing, says so, and shows a fresh preview", async () => {
  const { page } = browser;
  await page.goto(`${base}hosts`);
  await page.fill('#add-host input[name="ipaddr"]', "192.168.1.30");
  await page.fill('#add-host input[name="canonical"]', "scanner.lan");
  await submit(() => page.click('#add-host button[type="submit"]'));
  assert.match(await page.locator(".diff pre").innerText(), /^\+192\.168\.1\.30\s+scanner\.lan$/m);
  // The form carries the tag of the version the user is looking at.
  const tag = await page.locator('form[action="/confirm"] input[name="tag:/etc/hosts"]').inputValue();
  assert.match(tag, /^[A-Za-z0-9_-]{43}$/);

  // Another writer edits /etc/hosts while the user reads the diff.
  const theirs = sandbox.read("/etc/hosts").replace("ff02::2 ip6-allrouters\n", "ff02::2 ip6-allrouters allrouters\n");
  assert.notEqual(theirs, sandbox.read("/etc/hosts"));
  sandbox.write("/etc/hosts", theirs);

  await submit(() => page.click("#apply-change"));
  assert.equal(new URL(page.url()).pathname, "/confirm", "back to a confirmation, not to the hosts page");
  const flash = await page.locator(".flash-error").innerText();
  assert.match(flash, /Someone changed \/etc\/hosts since you previewed it; review the new preview/);
  assert.match(flash, /Nothing was written/);
  await assertNoStackTrace();
  assert.equal(sandbox.read("/etc/hosts"), theirs, "the file is as the other writer left it");
  // The fresh preview: the same change against their version, with that version's tag.
  const diff = await page.locator(".diff pre").innerText();
  assert.match(diff, /^\+192\.168\.1\.30\s+scanner\.lan$/m);
  assert.match(diff, /^ ff02::2 ip6-allrouters allrouters$/m, diff);
  assert.notEqual(await page.locator('form[action="/confirm"] input[name="tag:/etc/hosts"]').inputValue(), tag);
  await browser.screenshot("hosts-conflict");

  // Applying what is shown now keeps both changes.
  await submit(() => page.click("#apply-change"));
  assert.match(await flashText(), /saved \/etc\/hosts/);
  assert.equal(sandbox.read("/etc/hosts"), `${theirs}192.168.1.30\tscanner.lan\n`);

  // A tag the form was given by someone else (here: any other) is refused the same way.
  await page.goto(`${base}hosts`);
  const scanner = page.locator("table.hosts tbody tr", { hasText: "scanner.lan" });
  await submit(() => scanner.locator('button:has-text("Delete")').click());
  await page.evaluate(`document.querySelector('form[action="/confirm"] input[name="tag:/etc/hosts"]').value = "absent"`);
  await submit(() => page.click("#apply-change"));
  assert.match(await flashText(), /Someone changed \/etc\/hosts since you previewed it/);
  assert.equal(sandbox.read("/etc/hosts"), `${theirs}192.168.1.30\tscanner.lan\n`);
  await submit(() => page.click("#apply-change"));
  assert.equal(sandbox.read("/etc/hosts"), theirs);
});

test("what the policy forbids is refused with a clear message, and nothing changes", async () => {
  const { page } = browser;
  const hostname = sandbox.read("/etc/hostname");
  await page.goto(`${base}hostname`);
  assert.equal(await page.locator("#current-hostname").innerText(), hostname.trim());
  await browser.screenshot("hostname");

  await page.fill('#hostname-form input[name="hostname"]', "renamed-box");
  await submit(() => page.click('#hostname-form button[type="submit"]'));
  const refusal = await flashText();
  assert.match(refusal, /Refused by the policy/);
  assert.match(refusal, /\/etc\/hostname|hostname/);
  assert.equal(await page.locator(".flash-error").count(), 1);
  await assertNoStackTrace();
  assert.equal(sandbox.read("/etc/hostname"), hostname, "the file is untouched");
  await browser.screenshot("hostname-refused");

  // A button the page does not offer (reload demo-worker), posted anyway from
  // the panel's own page with a valid form token: the daemon is the judge.
  await page.goto(`${base}services`);
  const before = pidOnDisk("demo-worker");
  // A string, not a function: the test build has no DOM types.
  await submit(() =>
    page.evaluate(`(() => {
      const form = document.querySelector('tr[data-service="demo-worker"] form');
      form.querySelector('input[name="action"]').value = "reload";
      form.submit();
    })()`),
  );
  const text = await flashText();
  assert.match(text, /Reload demo-worker: Refused by the policy/);
  await assertNoStackTrace();
  assert.equal(pidOnDisk("demo-worker"), before);
  await browser.screenshot("services-refused");
});

test("a form without its CSRF token is refused and changes nothing", async () => {
  const { page, context } = browser;
  await page.goto(`${base}hostname`);
  const cookies = (await context.cookies(base)).map((c) => `${c.name}=${c.value}`).join("; ");
  const hosts = sandbox.read("/etc/hosts");
  for (const token of [undefined, "forged"]) {
    const body = new URLSearchParams({ ipaddr: "10.9.9.9", canonical: "evil.lan", ...(token ? { _csrf: token } : {}) });
    const res = await fetch(`${base}hosts/add`, { method: "POST", headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" }, body, redirect: "manual" });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /CSRF check failed/);
  }
  // The real token from the page, but posted from another origin.
  const token = await page.locator('input[name="_csrf"]').first().inputValue();
  const res = await fetch(`${base}hosts/add`, {
    method: "POST",
    headers: { cookie: cookies, origin: "http://evil.example", "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: token, ipaddr: "10.9.9.9", canonical: "evil.lan" }),
    redirect: "manual",
  });
  assert.equal(res.status, 403);
  assert.equal(sandbox.read("/etc/hosts"), hosts);
});

test("logging out closes the pages again", async () => {
  const { page } = browser;
  await page.goto(`${base}services`);
  await submit(() => page.click('.logout button[type="submit"]'));
  assert.match(await flashText(), /Logged out/);
  await page.goto(`${base}services`);
  assert.equal(new URL(page.url()).pathname, "/login");
});
