import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { afterEach, beforeEach, test } from "node:test";
import { AugeasError, type Augeas } from "#src/index.js";
import { makeSandbox, openSandbox, type Sandbox } from "./fixture-sandbox.test-support.js";

let sandbox: Sandbox;
let aug: Augeas | undefined;

beforeEach(() => {
  sandbox = makeSandbox();
});
afterEach(() => {
  aug?.close();
  aug = undefined;
  sandbox.remove();
});

const originalHosts = `127.0.0.1\tlocalhost
127.0.1.1\tweb01.example.com\tweb01

# Internal services
10.0.0.5\tdb01.example.com\tdb01 database
10.0.0.6\tcache01.example.com\tcache01

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
`;

// web01's alias renamed to "www", and a new entry appended.
const editedHosts = originalHosts.replace("web01.example.com\tweb01", "web01.example.com\twww") +
  "192.168.1.10\tapp01.example.com app01\n";

function editHosts(a: Augeas): void {
  a.set("/files/etc/hosts/*[canonical = 'web01.example.com']/alias", "www");
  a.set("/files/etc/hosts/01/ipaddr", "192.168.1.10");
  a.set("/files/etc/hosts/01/canonical", "app01.example.com");
  a.set("/files/etc/hosts/01/alias", "app01");
}

test("the hosts fixture is what the expectations assume", () => {
  assert.equal(sandbox.read("/etc/hosts"), originalHosts);
});

test("save writes exactly the edited text, and only changed files", () => {
  aug = openSandbox(sandbox);
  const sshdBefore = sandbox.read("/etc/ssh/sshd_config");
  const sshdMtime = sandbox.mtimeMs("/etc/ssh/sshd_config");
  editHosts(aug);
  aug.save();
  assert.equal(sandbox.read("/etc/hosts"), editedHosts);
  assert.deepEqual(aug.match("/augeas/events/saved").map((p) => aug?.get(p)), ["/files/etc/hosts"]);
  assert.equal(sandbox.read("/etc/ssh/sshd_config"), sshdBefore);
  assert.equal(sandbox.mtimeMs("/etc/ssh/sshd_config"), sshdMtime);
});

test("save edits other lenses in place", () => {
  aug = openSandbox(sandbox);
  const sshd = sandbox.read("/etc/ssh/sshd_config");
  const grub = sandbox.read("/etc/default/grub");
  aug.set("/files/etc/ssh/sshd_config/Port", "2222");
  aug.set("/files/etc/ssh/sshd_config/Match/Settings/AllowTcpForwarding", "yes");
  aug.set("/files/etc/default/grub/GRUB_TIMEOUT", "10");
  aug.set("/files/etc/hostname/hostname", "web02");
  aug.save();
  assert.equal(
    sandbox.read("/etc/ssh/sshd_config"),
    sshd.replace("Port 22\n", "Port 2222\n").replace("AllowTcpForwarding no", "AllowTcpForwarding yes"),
  );
  assert.equal(sandbox.read("/etc/default/grub"), grub.replace("GRUB_TIMEOUT=5", "GRUB_TIMEOUT=10"));
  assert.equal(sandbox.read("/etc/hostname"), "web02\n");
});

test("preview returns the text save would write and writes nothing", () => {
  aug = openSandbox(sandbox);
  const mtime = sandbox.mtimeMs("/etc/hosts");
  editHosts(aug);
  assert.equal(aug.preview("/files/etc/hosts/2/alias"), editedHosts);
  assert.equal(aug.preview("/files/etc/hosts"), editedHosts);
  assert.equal(sandbox.read("/etc/hosts"), originalHosts);
  assert.equal(sandbox.mtimeMs("/etc/hosts"), mtime);
  assert.equal(existsSync(sandbox.path("/etc/hosts.augnew")), false);
  assert.equal(aug.preview("/augeas/root"), null);
  assert.throws(() => aug?.preview("/files/etc/nothing"), { code: "ENOMATCH" });
});

test("saveMode newfile writes FILE.augnew and leaves FILE alone", () => {
  aug = openSandbox(sandbox, { saveMode: "newfile" });
  editHosts(aug);
  aug.save();
  assert.equal(sandbox.read("/etc/hosts.augnew"), editedHosts);
  assert.equal(sandbox.read("/etc/hosts"), originalHosts);
});

test("saveMode backup keeps the original as FILE.augsave", () => {
  aug = openSandbox(sandbox, { saveMode: "backup" });
  editHosts(aug);
  aug.save();
  assert.equal(sandbox.read("/etc/hosts"), editedHosts);
  assert.equal(sandbox.read("/etc/hosts.augsave"), originalHosts);
});

test("saveMode noop writes nothing but records the file under /augeas/events/saved", () => {
  aug = openSandbox(sandbox, { saveMode: "noop" });
  const mtime = sandbox.mtimeMs("/etc/hosts");
  editHosts(aug);
  aug.save();
  assert.equal(aug.get("/augeas/save"), "noop");
  assert.equal(aug.get("/augeas/events/saved"), "/files/etc/hosts");
  assert.equal(sandbox.read("/etc/hosts"), originalHosts);
  assert.equal(sandbox.mtimeMs("/etc/hosts"), mtime);
  assert.equal(existsSync(sandbox.path("/etc/hosts.augnew")), false);
  assert.equal(existsSync(sandbox.path("/etc/hosts.augsave")), false);
});

test("a save that fails without a libaugeas code throws ESAVE with the file and reason", () => {
  aug = openSandbox(sandbox);
  const mtime = sandbox.mtimeMs("/etc/hosts");
  // The Hosts lens cannot write a newline inside an alias: the put fails.
  aug.set("/files/etc/hosts/2/alias", "bad\nvalue");
  assert.throws(() => aug?.save(), (e: unknown) => {
    assert.ok(e instanceof AugeasError);
    assert.equal(e.code, "ESAVE");
    assert.equal(e.files.length, 1);
    const [problem] = e.files;
    assert.equal(problem?.file, "/etc/hosts");
    assert.equal(problem?.node, "/augeas/files/etc/hosts/error");
    assert.equal(problem?.kind, "put_failed");
    assert.match(problem?.message ?? "", /^Failed to match tree under \/files\/etc\/hosts\/2/);
    assert.match(problem?.lens ?? "", /hosts\.aug/);
    assert.match(e.message, /^save failed: \/etc\/hosts: put_failed \(Failed to match tree/);
    return true;
  });
  assert.equal(sandbox.read("/etc/hosts"), originalHosts);
  assert.equal(sandbox.mtimeMs("/etc/hosts"), mtime);
  assert.equal(aug.errors()[0]?.kind, "put_failed", "errors() sees it without throwing");

  // Fixing the value makes the next save succeed.
  aug.set("/files/etc/hosts/2/alias", "www");
  aug.save();
  assert.equal(sandbox.read("/etc/hosts"), originalHosts.replace("\tweb01\n", "\twww\n"));
});

test("save with nothing changed writes nothing", () => {
  aug = openSandbox(sandbox);
  const mtime = sandbox.mtimeMs("/etc/fstab");
  aug.save();
  assert.equal(sandbox.mtimeMs("/etc/fstab"), mtime);
  assert.deepEqual(aug.match("/augeas/events/saved"), []);
});
