// sd_notify's datagram against the real kernel: a Unix datagram socket bound by python3 (node
// has none) with SO_PASSCRED, as systemd binds its notification socket, prints what it receives
// and the sender's pid the kernel attached.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { notifyServiceManager } from "#src/index.js";

const RECEIVER = `
import socket, struct, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\\0" + addr[1:] if addr.startswith("@") else addr)
print("bound", flush=True)
data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
pid = [struct.unpack("iII", d)[0] for (l, t, d) in anc if t == socket.SCM_CREDENTIALS]
print(repr(data.decode()), pid[0] if pid else -1, flush=True)
`;

/** Binds `address`, sends through notifyServiceManager once it is bound, answers what arrived. */
async function roundTrip(address: string, state: string): Promise<{ sent: boolean; received: string }> {
  const receiver = spawn('python3', ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  receiver.stdout.setEncoding('utf8');
  const bound = new Promise<void>((resolve) => receiver.stdout.on('data', (s: string) => ((out += s), out.includes('bound\n') && resolve())));
  const exited = new Promise<void>((resolve) => receiver.once('exit', () => resolve()));
  await bound;
  const sent = notifyServiceManager(state, { NOTIFY_SOCKET: address });
  await exited;
  return { sent, received: out.slice(out.indexOf('bound\n') + 'bound\n'.length).trim() };
}

describe('notifyServiceManager (sd_notify)', () => {
  it('sends one datagram to a socket path, with this process as its sender', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'notify-'));
    try {
      const r = await roundTrip(join(dir, 'notify.sock'), 'READY=1\nSTATUS=listening');
      assert.equal(r.sent, true);
      assert.equal(r.received, `'READY=1\\nSTATUS=listening' ${process.pid}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reaches an abstract socket ("@name", as systemd passes it)', async () => {
    const r = await roundTrip(`@machina-notify-test-${process.pid}`, 'STOPPING=1');
    assert.equal(r.sent, true);
    assert.equal(r.received, `'STOPPING=1' ${process.pid}`);
  });

  it('does nothing without NOTIFY_SOCKET, and throws the errno when nobody listens', () => {
    assert.equal(notifyServiceManager('READY=1', {}), false);
    assert.throws(() => notifyServiceManager('READY=1', { NOTIFY_SOCKET: join(tmpdir(), `no-such-notify-${process.pid}.sock`) }), { code: 'ENOENT', syscall: 'sendto' });
    assert.throws(() => notifyServiceManager('READY=1', { NOTIFY_SOCKET: 'relative.sock' }), TypeError);
  });
});
