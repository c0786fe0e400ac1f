import assert from "node:assert/strict";
import { test } from "node:test";
import { initScriptName, systemdUnitName } from "#src/service/service-name.js";

test("systemd names: a name without a unit suffix gets .service; valid units pass unchanged", () => {
  assert.equal(systemdUnitName("nginx"), "nginx.service");
  assert.equal(systemdUnitName("nginx.service"), "nginx.service");
  assert.equal(systemdUnitName("example@0042.service"), "example@0042.service");
  assert.equal(systemdUnitName("example@0042"), "example@0042.service");
  assert.equal(systemdUnitName("hwclock.sh"), "hwclock.sh.service", "like systemctl, a non-unit suffix is part of the name");
  assert.equal(systemdUnitName("systemd-fsck@dev-disk-by\\x2duuid-1.service"), "systemd-fsck@dev-disk-by\\x2duuid-1.service");
  assert.equal(systemdUnitName("a".repeat(247)), `${"a".repeat(247)}.service`, "255 characters is the limit");
});

test("systemd names: paths, options, templates, other unit types and bad characters are refused", () => {
  for (const bad of [
    "",
    "../etc/passwd",
    "/etc/init.d/ssh",
    "a/b",
    "-x",
    "--help",
    ".hidden",
    "example@.service",
    "example@",
    "@0042.service",
    "ssh.socket",
    "multi-user.target",
    "nginx service",
    "nginx;reboot",
    "nginx\n",
    "ngi\u0000nx",
    "näme",
    "a".repeat(248),
  ]) {
    assert.equal(systemdUnitName(bad), undefined, JSON.stringify(bad));
  }
});

test("init script names: a strict pattern, never a path or an option", () => {
  for (const good of ["nginx", "hwclock.sh", "x11-common", "php8.2-fpm", "a_b", "nfs-kernel-server", "g++"]) assert.equal(initScriptName(good), good);
  for (const bad of ["", ".", "..", "../x", "/etc/passwd", "a/b", "-x", "--force", ".hidden", "nginx.service@", "a b", "a;b", "a$b", "a\\b", "x".repeat(129), "n\u00e4me", "nginx\n"]) {
    assert.equal(initScriptName(bad), undefined, JSON.stringify(bad));
  }
});
