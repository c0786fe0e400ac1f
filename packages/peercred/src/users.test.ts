import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { groupName, lookupGroup, lookupUser, resolveGroupId, resolveUserId, userName } from "#src/index.js";

describe('NSS lookups', () => {
  it('looks up users', () => {
    assert.deepEqual(lookupUser('root'), { uid: 0, gid: 0, name: 'root' });
    assert.equal(lookupUser('no-such-user-xyz'), null);
    assert.equal(lookupUser(''), null);
    assert.equal(userName(0), 'root');
    assert.equal(userName(3999999999), null);
  });

  it('looks up groups', () => {
    assert.deepEqual(lookupGroup('root'), { gid: 0, name: 'root' });
    assert.equal(lookupGroup('no-such-group-xyz'), null);
    assert.equal(groupName(0), 'root');
    assert.equal(groupName(3999999999), null);
  });

  it('resolves user names and ids', () => {
    assert.equal(resolveUserId('0'), 0);
    assert.equal(resolveUserId(0), 0);
    assert.equal(resolveUserId('root'), 0);
    assert.equal(resolveUserId('1234567'), 1234567); // ids are taken as-is
    assert.equal(resolveUserId('no-such-user-xyz'), undefined);
    assert.equal(resolveUserId(''), undefined);
    assert.equal(resolveUserId(-1), undefined);
    assert.equal(resolveUserId(1.5), undefined);
    assert.equal(resolveUserId('4294967295'), undefined); // (uid_t)-1
    assert.equal(resolveUserId(4294967294), 4294967294);
    assert.equal(resolveUserId(' 0'), undefined);
    assert.throws(() => resolveUserId(null as unknown as string), TypeError);
  });

  it('resolves group names and ids', () => {
    assert.equal(resolveGroupId('root'), 0);
    assert.equal(resolveGroupId('100'), 100);
    assert.equal(resolveGroupId(65534), 65534);
    assert.equal(resolveGroupId('no-such-group-xyz'), undefined);
    assert.equal(resolveGroupId('99999999999'), undefined);
  });
});
