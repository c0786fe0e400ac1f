// Against the real kernel: a net.Server on a Unix socket in a temp dir, peers in this
// process and in child processes running as other users (those need root).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { peerCredentials } from "#src/index.js";
import { native } from "#src/native.js";
import { groupsFromProc } from "#src/proc-groups.js";

const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const NOBODY = 65534;

interface Listening {
  path: string;
  /** Resolves with the next connection the server accepts. */
  next(): Promise<net.Socket>;
  close(): Promise<void>;
}

async function listenUnix(dir: string): Promise<Listening> {
  const path = join(dir, 'peercred.sock');
  const waiting: ((s: net.Socket) => void)[] = [];
  const server = net.createServer((s) => waiting.shift()?.(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Writable by everyone so children running as nobody can connect.
    server.listen({ path, readableAll: true, writableAll: true }, resolve);
  });
  return {
    path,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// Child: connect, wait for the server's reply (so it is alive while we look at it), exit.
const CLIENT = `
const s = require('node:net').connect(process.argv[1]);
s.on('data', () => { s.end(); process.exit(0); });
s.on('error', (e) => { console.error(e); process.exit(2); });
setTimeout(() => process.exit(3), 10000);
`;

interface ChildResult<T> {
  pid: number;
  seen: T;
}

/** Runs `argv` (which must end up running CLIENT against the socket), and applies `inspect` to its accepted connection. */
async function fromChild<T>(
  srv: Listening,
  dir: string,
  argv: string[],
  opts: { uid?: number; gid?: number },
  inspect: (s: net.Socket) => T,
): Promise<ChildResult<T>> {
  const accepted = srv.next();
  const [cmd, ...args] = argv;
  assert.ok(cmd);
  const child = spawn(cmd, [...args, '-e', CLIENT, srv.path], { ...opts, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const sock = await Promise.race([
    accepted,
    exited.then((code) => Promise.reject(new Error(`child exited (${code}) before connecting: ${stderr}`))),
  ]);
  let seen: T;
  try {
    seen = inspect(sock);
  } finally {
    sock.end('ok\n');
  }
  assert.equal(await exited, 0, `child failed: ${stderr}`);
  assert.ok(child.pid);
  return { pid: child.pid, seen };
}

describe('peerCredentials over a Unix socket', () => {
  let dir = '';
  let srv: Listening;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peercred-'));
    chmodSync(dir, 0o777); // test only: let children running as nobody reach the socket
    srv = await listenUnix(dir);
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees this process as the peer', async () => {
    const accepted = srv.next();
    const client = net.connect(srv.path);
    const sock = await accepted;
    try {
      const cred = peerCredentials(sock);
      assert.equal(cred.pid, process.pid);
      assert.equal(cred.uid, process.getuid?.());
      assert.equal(cred.gid, process.getgid?.());
      assert.ok(cred.groups.includes(cred.gid));
      // Node's getgroups() includes the egid too.
      assert.deepEqual(cred.groups, [...new Set(process.getgroups?.())].sort((a, b) => a - b));
      // The connecting side sees the listener: also this process.
      await new Promise((resolve) => (client.connecting ? client.once('connect', resolve) : resolve(null)));
      assert.equal(peerCredentials(client).pid, process.pid);
    } finally {
      client.destroy();
      sock.destroy();
    }
  });

  it('throws ERR_PEERCRED_NO_FD for a destroyed socket', async () => {
    const accepted = srv.next();
    const client = net.connect(srv.path);
    const sock = await accepted;
    sock.destroy();
    client.destroy();
    assert.throws(() => peerCredentials(sock), { code: 'ERR_PEERCRED_NO_FD' });
  });

  it('sees a child spawned as nobody/nogroup, with only its primary group', { skip: !isRoot && 'needs root' }, async () => {
    const { pid, seen } = await fromChild(srv, dir, [process.execPath], { uid: NOBODY, gid: NOBODY }, peerCredentials);
    // spawn({uid, gid}) drops supplementary groups (libuv calls setgroups(0, NULL)).
    assert.deepEqual(seen, { pid, uid: NOBODY, gid: NOBODY, groups: [NOBODY] });
  });

  it('reports supplementary groups (setpriv --groups)', { skip: (!isRoot && 'needs root') || (!hasSetpriv && 'needs setpriv') }, async () => {
    const setpriv = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, `--groups=${NOBODY},100`, process.execPath];
    const { pid, seen } = await fromChild(srv, dir, setpriv, {}, (s) => ({
      cred: peerCredentials(s),
      proc: groupsFromProc(native.peerCred((s as unknown as { _handle: { fd: number } })._handle.fd)),
    }));
    assert.deepEqual(seen.cred, { pid, uid: NOBODY, gid: NOBODY, groups: [100, NOBODY] });
    // The /proc fallback agrees while the peer is alive and unchanged.
    assert.deepEqual([...seen.proc].sort((a, b) => a - b), [100, NOBODY]);
  });

  it('grows the SO_PEERGROUPS buffer for many groups', { skip: (!isRoot && 'needs root') || (!hasSetpriv && 'needs setpriv') }, async () => {
    const many = Array.from({ length: 200 }, (_, i) => 20000 + i);
    const setpriv = ['setpriv', '--reuid=65534', '--regid=65534', `--groups=${many.join(',')}`, process.execPath];
    const { seen } = await fromChild(srv, dir, setpriv, {}, peerCredentials);
    assert.deepEqual(seen.groups, [...many, NOBODY]);
  });
});

describe('native errors', () => {
  it('refuses a TCP socket with EAFNOSUPPORT (Linux would report uid/gid -1)', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const addr = server.address();
    assert.ok(addr && typeof addr === 'object');
    const client = net.connect(addr.port, '127.0.0.1');
    const sock = await accepted;
    try {
      assert.throws(() => peerCredentials(sock), { code: 'EAFNOSUPPORT', message: /not a Unix-domain socket/ });
      const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
      assert.throws(() => native.peerCred(fd), { code: 'EAFNOSUPPORT' });
      assert.throws(() => native.peerGroups(fd), { code: 'EAFNOSUPPORT' });
    } finally {
      client.destroy();
      sock.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('throws EBADF for a closed fd and ENOTSOCK for a file', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      assert.throws(() => native.peerCred(fd), { code: 'ENOTSOCK', syscall: 'getsockopt(SO_PEERCRED)' });
      assert.throws(() => native.peerGroups(fd), { code: 'ENOTSOCK' });
    } finally {
      closeSync(fd);
    }
    assert.throws(() => native.peerCred(fd), (e: unknown) => {
      assert.ok(e instanceof Error && !(e instanceof TypeError));
      assert.equal((e as { code?: unknown }).code, 'EBADF');
      assert.match(e.message, /^EBADF: .*getsockopt\(SO_PEERCRED\)$/);
      return true;
    });
    assert.throws(() => native.peerGroups(1 << 30), { code: 'EBADF' });
  });

  it('throws TypeError on wrong argument types', () => {
    const call = native as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const bad of [[], ['3'], [1.5], [-1], [NaN], [Infinity], [2 ** 31], [null], [{}], [3n]]) {
      assert.throws(() => call.peerCred?.(...bad), TypeError, `peerCred(${String(bad)})`);
      assert.throws(() => call.peerGroups?.(...bad), TypeError, `peerGroups(${String(bad)})`);
    }
    for (const bad of [[], [0], [null], ['ro\0ot']]) {
      assert.throws(() => call.lookupUser?.(...bad), TypeError);
      assert.throws(() => call.lookupGroup?.(...bad), TypeError);
    }
    for (const bad of [[], ['0'], [-1], [0.5], [2 ** 32]]) {
      assert.throws(() => call.userName?.(...bad), TypeError);
      assert.throws(() => call.groupName?.(...bad), TypeError);
    }
    assert.throws(() => peerCredentials({} as net.Socket), TypeError);
  });
});
