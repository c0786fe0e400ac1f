/**
 * The files in init/ and examples/policies/ on their own: the init script is
 * POSIX sh (sh -n, and checkbashisms from devscripts finds no bashism), it
 * carries an LSB header, the default file is valid sh, and the default and
 * example policies pass `machinad policy check`.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { runMachinad } from "./harness/daemon.js";
import { describeRun, REPO_ROOT, runCommand } from "./harness/command.js";

const INIT_SCRIPT = path.join(REPO_ROOT, "init/machina");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "machina-init-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("the init script and the default file parse as POSIX sh (sh -n)", async () => {
  for (const file of [INIT_SCRIPT, path.join(REPO_ROOT, "init/machina.default")]) {
    const r = await runCommand("sh", ["-n", file]);
    assert.equal(r.code, 0, `sh -n ${file}: ${describeRun(r)}`);
  }
  // The check can fail: a syntax error is caught.
  const broken = path.join(tmp, "broken");
  fs.writeFileSync(broken, fs.readFileSync(INIT_SCRIPT, "utf8").replace(/^esac$/m, ""));
  assert.notEqual((await runCommand("sh", ["-n", broken])).code, 0);
});

test("checkbashisms finds no bashism in the init script", async () => {
  const r = await runCommand("checkbashisms", ["--posix", "--extra", INIT_SCRIPT]);
  assert.equal(r.code, 0, describeRun(r));
  // The check can fail: a bashism is caught.
  const bashy = path.join(tmp, "bashy");
  fs.writeFileSync(bashy, fs.readFileSync(INIT_SCRIPT, "utf8").replace("umask 022", "umask 022\n[[ -n $SOCKET ]] && echo ${SOCKET:0:4}"));
  assert.notEqual((await runCommand("checkbashisms", ["--posix", "--extra", bashy])).code, 0);
});

test("the init script has an LSB header and the actions Debian policy asks for", () => {
  const text = fs.readFileSync(INIT_SCRIPT, "utf8");
  assert.ok(text.startsWith("#!/bin/sh\n"));
  assert.equal(fs.statSync(INIT_SCRIPT).mode & 0o111, 0o111, "executable");
  const header = /^### BEGIN INIT INFO\n([\s\S]*?)^### END INIT INFO$/m.exec(text)?.[1] ?? "";
  for (const field of ["Provides: +machina", "Required-Start:", "Required-Stop:", "Default-Start: +2 3 4 5", "Default-Stop: +0 1 6", "Short-Description:"]) {
    assert.match(header, new RegExp(`^# ${field}`, "m"), field);
  }
  for (const action of ["start", "stop", "restart", "force-reload", "status"]) assert.match(text, new RegExp(`^(${action}|.*\\| ${action}|${action} \\|.*)\\)$`, "m"), action);
  assert.match(text, /^\. \/lib\/lsb\/init-functions$/m);
  assert.match(text, /\/etc\/default\/\$NAME/);
});

/** A root holding the files the policies name, as on the machines they are written for (a router). */
function routerRoot(): string {
  const root = path.join(tmp, "router-root");
  const files: Record<string, string> = {
    "etc/hostname": "router\n",
    "etc/hosts": "127.0.0.1 localhost\n192.168.1.1 router.lan router\n",
    "etc/dnsmasq.conf": "interface=eth1\ndhcp-range=192.168.1.50,192.168.1.150,12h\ndomain=lan\nserver=9.9.9.9\n",
    "etc/network/interfaces": "auto lo\niface lo inet loopback\n\nauto eth1\niface eth1 inet static\n    address 192.168.1.1\n    netmask 255.255.255.0\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

test("the default policy and the example policies pass machinad policy check", async () => {
  const root = routerRoot();
  const defaults = path.join(tmp, "policy.toml");
  fs.writeFileSync(defaults, fs.readFileSync(path.join(REPO_ROOT, "init/policy.toml"), "utf8").replaceAll("@GROUP@", "www-data"));
  const examples = fs.readdirSync(path.join(REPO_ROOT, "examples/policies")).filter((f) => f.endsWith(".toml"));
  assert.deepEqual(examples.sort(), ["restart-button-only.toml", "router-panel.toml"]);
  for (const file of [defaults, ...examples.map((f) => path.join(REPO_ROOT, "examples/policies", f))]) {
    const r = await runMachinad(["policy", "check", "--root", root, file]);
    assert.equal(r.code, 0, `policy check ${file}: ${describeRun(r)}`);
    assert.equal(r.stderr, "", `no warnings for ${file}`);
  }
  // The default policy also passes on this machine's own /etc, where it is installed.
  const here = await runMachinad(["policy", "check", defaults]);
  assert.equal(here.code, 0, describeRun(here));
});

test("the default policy allows reading the hostname and hosts, and nothing else", async () => {
  const file = path.join(tmp, "default-policy.toml");
  fs.writeFileSync(file, fs.readFileSync(path.join(REPO_ROOT, "init/policy.toml"), "utf8").replaceAll("@GROUP@", "www-data"));
  const r = await runMachinad(["policy", "explain", file]);
  assert.equal(r.code, 0, describeRun(r));
  const text = fs.readFileSync(file, "utf8");
  assert.doesNotMatch(text, /^\s*write\s*=/m, "no write patterns");
  assert.doesNotMatch(text, /^\s*\[\[?(service|package|timezone|command)\]?\]/m, "no services, packages, timezone or commands");
  assert.deepEqual([...text.matchAll(/^path = "(.*)"$/gm)].map((m) => m[1]), ["/etc/hostname", "/etc/hosts"]);
});
