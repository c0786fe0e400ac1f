import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { groupsFromProc, statusField } from "#src/proc-groups.js";

const STATUS = 'Name:\tcat\nUid:\t1000\t1001\t1000\t1001\nGid:\t100\t101\t100\t101\nGroups:\t4 24 27 \nNgid:\t0\n';

describe('/proc groups fallback', () => {
  it('parses status fields', () => {
    assert.deepEqual(statusField(STATUS, 'Uid'), [1000, 1001, 1000, 1001]);
    assert.deepEqual(statusField(STATUS, 'Groups'), [4, 24, 27]);
    assert.deepEqual(statusField('Groups:\t\n', 'Groups'), []);
    assert.equal(statusField(STATUS, 'Missing'), undefined);
  });

  it("reads this process's groups", () => {
    const uid = process.geteuid?.() ?? -1;
    const gid = process.getegid?.() ?? -1;
    const groups = groupsFromProc({ pid: process.pid, uid, gid });
    const expected = new Set(process.getgroups?.());
    expected.delete(gid); // getgroups() adds the egid; /proc does not unless it is supplementary
    for (const g of expected) assert.ok(groups.includes(g), `missing ${g}`);
  });

  it('refuses when the process is gone, invisible, or no longer matches', () => {
    const uid = process.geteuid?.() ?? -1;
    const gid = process.getegid?.() ?? -1;
    const code = { code: 'ERR_PEERCRED_GROUPS' };
    assert.throws(() => groupsFromProc({ pid: 0, uid, gid }), code);
    assert.throws(() => groupsFromProc({ pid: 2 ** 30, uid, gid }), code);
    assert.throws(() => groupsFromProc({ pid: process.pid, uid: uid + 1, gid }), code);
    assert.throws(() => groupsFromProc({ pid: process.pid, uid, gid: gid + 1 }), code);
  });
});
