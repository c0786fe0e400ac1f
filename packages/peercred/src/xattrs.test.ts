// Extended attributes against the real kernel and file system, cross-checked with the attr and
// acl packages' own tools (setfattr/getfattr, setfacl/getfacl): what they write we read, and what
// we write they read. Needs a file system with user xattrs: the system's temporary directory
// when it has them (ext4, btrfs, tmpfs since Linux 6.6), else /var/tmp.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { getXattr, listXattrs, removeXattr, setXattr } from "#src/index.js";

/** A fresh directory on a file system that takes user.* attributes (the first of the candidates that does). */
function xattrCapableDir(): string {
  const tried: string[] = [];
  for (const base of [os.tmpdir(), '/var/tmp']) {
    const dir = fs.mkdtempSync(path.join(base, 'peercred-xattr-'));
    try {
      fs.writeFileSync(path.join(dir, 'probe'), '');
      execFileSync('setfattr', ['-n', 'user.probe', '-v', '1', path.join(dir, 'probe')], { stdio: 'pipe' });
      return dir;
    } catch (e) {
      tried.push(`${base}: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`no directory here takes user xattrs (${tried.join('; ')})`);
}

const run = (file: string, args: string[]): string => execFileSync(file, args, { encoding: 'utf8' });

describe('extended attributes', () => {
  let dir = '';
  before(() => {
    dir = xattrCapableDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text = 'x\n'): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };

  it('reads what setfattr wrote, byte for byte', () => {
    const f = file('read');
    run('setfattr', ['-n', 'user.machina', '-v', 'hello', f]);
    run('setfattr', ['-n', 'user.binary', '-v', '0x00ff0a', f]);
    assert.deepEqual(listXattrs(f).sort(), ['user.binary', 'user.machina']);
    assert.deepEqual(getXattr(f, 'user.machina'), Buffer.from('hello'));
    assert.deepEqual(getXattr(f, 'user.binary'), Buffer.from([0x00, 0xff, 0x0a]));
  });

  it('writes what getfattr reads, replaces and removes', () => {
    const f = file('write');
    assert.deepEqual(listXattrs(f), []);
    setXattr(f, 'user.machina', Buffer.from('one'));
    assert.match(run('getfattr', ['-n', 'user.machina', '--only-values', f]), /^one$/);
    setXattr(f, 'user.machina', new Uint8Array(Buffer.from('two')));
    assert.deepEqual(getXattr(f, 'user.machina'), Buffer.from('two'));
    setXattr(f, 'user.empty', new Uint8Array(0));
    assert.deepEqual(getXattr(f, 'user.empty'), Buffer.alloc(0));
    removeXattr(f, 'user.machina');
    removeXattr(f, 'user.empty');
    assert.deepEqual(listXattrs(f), []);
    assert.equal(run('getfattr', ['-d', f]), '');
  });

  it('a large value comes back whole', () => {
    const f = file('large');
    // ext4 keeps a file's attributes in one block (4 KiB) unless it has ea_inode.
    const value = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    setXattr(f, 'user.large', value);
    assert.deepEqual(getXattr(f, 'user.large'), value);
  });

  it('carries a POSIX ACL (system.posix_acl_access) from one file to another', () => {
    const from = file('acl-from');
    const to = file('acl-to');
    run('setfacl', ['-m', 'u:nobody:r', from]);
    assert.ok(listXattrs(from).includes('system.posix_acl_access'));
    assert.doesNotMatch(run('getfacl', ['-c', to]), /user:nobody/);
    setXattr(to, 'system.posix_acl_access', getXattr(from, 'system.posix_acl_access'));
    assert.match(run('getfacl', ['-c', to]), /^user:nobody:r--$/m);
    removeXattr(to, 'system.posix_acl_access');
    assert.doesNotMatch(run('getfacl', ['-c', to]), /user:nobody/);
  });

  it('errors are errno codes: no such attribute, no such file', () => {
    const f = file('errors');
    assert.throws(() => getXattr(f, 'user.none'), { code: 'ENODATA', syscall: 'lgetxattr' });
    assert.throws(() => removeXattr(f, 'user.none'), { code: 'ENODATA', syscall: 'lremovexattr' });
    const missing = path.join(dir, 'missing');
    assert.throws(() => listXattrs(missing), { code: 'ENOENT', syscall: 'llistxattr' });
    assert.throws(() => setXattr(missing, 'user.a', Buffer.from('b')), { code: 'ENOENT', syscall: 'lsetxattr' });
  });

  it('never follows a symbolic link', () => {
    const target = file('target');
    setXattr(target, 'user.machina', Buffer.from('target'));
    const link = path.join(dir, 'link');
    fs.symlinkSync(target, link);
    assert.deepEqual(listXattrs(link), [], "the link's own attributes, not its target's");
    assert.throws(() => getXattr(link, 'user.machina'), { code: 'ENODATA' });
    // The kernel allows no user.* attribute on a link itself.
    assert.throws(() => setXattr(link, 'user.other', Buffer.from('x')), { code: 'EPERM' });
    assert.deepEqual(listXattrs(target), ['user.machina']);
  });

  it('refuses bad arguments with TypeError', () => {
    const f = file('types');
    assert.throws(() => listXattrs(''), TypeError);
    assert.throws(() => getXattr(`${f}\0x`, 'user.a'), TypeError);
    assert.throws(() => getXattr(f, 'user.a\0b'), TypeError);
    assert.throws(() => setXattr(f, 'user.a', 'text' as unknown as Uint8Array), TypeError);
    assert.throws(() => setXattr(f, 'user.a', new Uint16Array(2) as unknown as Uint8Array), TypeError);
    assert.throws(() => removeXattr(f, 42 as unknown as string), TypeError);
  });
});
