/**
 * A REAL OpenSSH server (Debian's /usr/sbin/sshd) for the remote-panel test,
 * set up as docs/REMOTE.md tells an administrator to: a dedicated account
 * with no password and no shell, a generated ed25519 key in its
 * authorized_keys with the options the document shows, and the document's
 * `Match User` block (read from docs/REMOTE.md itself, so the test runs what
 * the document says). The host key is generated, and a known_hosts file pins
 * it for the client side.
 *
 * sshd runs inside an IsolatedRoot (the account exists only in its /etc; the
 * host's is never written) on 127.0.0.1 and a free port, and dies with it:
 * nothing survives the test process, however it ends.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { describeRun, REPO_ROOT, runCommand } from "./command.js";
import type { IsolatedRoot } from "./isolated-root.js";
import { waitFor } from "./wait.js";

const SSHD = "/usr/sbin/sshd";
/** The account name docs/REMOTE.md uses; the test's account replaces it in the document's snippets. */
const DOCUMENTED_USER = "machina-tunnel";

export interface SshServer {
  readonly port: number;
  /** The login account: the daemon's peer. */
  readonly user: string;
  readonly uid: number;
  /** The client's private key (root's, 0600). */
  readonly identityFile: string;
  /** The client's public key, as authorized_keys holds it. */
  readonly publicKey: string;
  /** A known_hosts file holding exactly this server's host key. */
  readonly knownHostsFile: string;
  /** sshd's output so far (-e: its log), for failure messages. */
  describe(): string;
}

/** A fenced block of docs/REMOTE.md whose info string is `lang`, and whose text contains `marker`. */
export function documentedBlock(lang: string, marker: string): string {
  const doc = fs.readFileSync(path.join(REPO_ROOT, "docs/REMOTE.md"), "utf8");
  // Blocks may be indented (inside a list item): the fence's indentation is taken off every line.
  const blocks = [...doc.matchAll(new RegExp("^( *)```" + lang + "\\n([\\s\\S]*?)^ *```$", "gm"))].map((m) =>
    m[2]!.replace(new RegExp(`^ {0,${m[1]!.length}}`, "gm"), ""),
  );
  const block = blocks.find((b) => b.includes(marker));
  assert.ok(block, `docs/REMOTE.md has a \`\`\`${lang} block containing ${marker}`);
  return block;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function check(root: IsolatedRoot | undefined, file: string, args: string[]): Promise<string> {
  const r = root ? await root.run(file, args, { cwd: "/" }) : await runCommand(file, args, { cwd: "/" });
  assert.equal(r.code, 0, `${file} ${args.join(" ")}: ${describeRun(r)}`);
  return r.stdout;
}

/**
 * Creates the account `user` in `root` (home below `dir`), the keys and the
 * configuration in `dir` (which must be traversable by the account), and
 * starts sshd; resolves once it listens.
 */
export async function startSshd(root: IsolatedRoot, dir: string, user: string): Promise<SshServer> {
  assert.ok(fs.existsSync(SSHD), `${SSHD} is missing: install openssh-server (node scripts/setup.mjs --for test)`);
  const home = path.join(dir, "home");
  // The account as docs/REMOTE.md makes it: no shell, no password (an unusable "*", which sshd
  // without PAM does not count as locked), a home that is root's.
  await check(root, "useradd", ["--system", "--no-create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin", "--password", "*", user]);
  const uid = Number((await check(root, "id", ["-u", user])).trim());
  const gid = Number((await check(root, "id", ["-g", user])).trim());

  const hostKey = path.join(dir, "ssh_host_ed25519_key");
  const identityFile = path.join(dir, "panel_key");
  await check(undefined, "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "machina-test-host", "-f", hostKey]);
  await check(undefined, "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "panel@test", "-f", identityFile]);
  const publicKey = fs.readFileSync(`${identityFile}.pub`, "utf8").trim();

  // StrictModes: the home, ~/.ssh and authorized_keys are root's or the account's and nobody else's to write.
  fs.mkdirSync(path.join(home, ".ssh"), { recursive: true, mode: 0o755 });
  fs.chmodSync(home, 0o755);
  const options = documentedBlock("authorized_keys", "ssh-ed25519").trim().split(/\s+/)[0]!;
  fs.writeFileSync(path.join(home, ".ssh/authorized_keys"), `${options} ${publicKey}\n`, { mode: 0o600 });
  fs.chownSync(path.join(home, ".ssh/authorized_keys"), uid, gid);
  fs.chownSync(path.join(home, ".ssh"), uid, gid);
  fs.chmodSync(path.join(home, ".ssh"), 0o700);

  const match = documentedBlock("sshd_config", `Match User ${DOCUMENTED_USER}`).replaceAll(DOCUMENTED_USER, user);
  const config = path.join(dir, "sshd_config");
  fs.writeFileSync(
    config,
    [
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      "PidFile none",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "AuthenticationMethods publickey",
      "PermitRootLogin no",
      `AllowUsers ${user}`,
      "StrictModes yes",
      "LogLevel VERBOSE",
      match,
    ].join("\n") + "\n",
  );
  // Privilege separation's empty directory (the namespace's /run is its own, empty).
  await check(root, "mkdir", ["-p", "-m", "0755", "/run/sshd"]);
  await check(root, SSHD, ["-t", "-f", config]);

  // A free port can be taken between finding it and sshd's bind: try a few.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = root.spawn(SSHD, ["-D", "-e", "-f", config, "-p", String(port)]);
    let log = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (log += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (log += s));
    let exited = false;
    child.once("exit", () => (exited = true));
    const describe = (): string => `sshd -p ${port}:\n${log}`;
    const listening = await waitFor(
      () => (log.includes(`Server listening on 127.0.0.1 port ${port}.`) ? "yes" : exited ? "no" : false),
      "sshd to listen",
      describe,
    );
    if (listening === "no") {
      if (attempt < 4 && /Address already in use/.test(log)) continue;
      assert.fail(`sshd did not start\n${describe()}`);
    }
    const knownHostsFile = path.join(dir, "known_hosts");
    const hostPublic = fs.readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
    fs.writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostPublic}\n`, { mode: 0o644 });
    return { port, user, uid, identityFile, publicKey, knownHostsFile, describe };
  }
}
