import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { groupAlive } from '../../../src/process/world.ts';
import { groupHasLive } from '../../../src/system/proc.ts';

const errno = (code: string): Error => Object.assign(new Error(code), { code });

describe('groupAlive', () => {
  test("kill(2)'s answer, unless the members that are left have all ended (zombies)", () => {
    const found = { kill: () => undefined };
    const none = { kill: () => { throw errno('ESRCH'); } };
    const notOurs = { kill: () => { throw errno('EPERM'); } };
    assert.equal(groupAlive(found, 5), true);
    assert.equal(groupAlive(none, 5), false);
    assert.equal(groupAlive(notOurs, 5), true);
    assert.equal(groupAlive({ ...found, liveInGroup: () => false }, 5), false, 'only zombies left');
    assert.equal(groupAlive({ ...notOurs, liveInGroup: () => false }, 5), false);
    assert.equal(groupAlive({ ...found, liveInGroup: () => undefined }, 5), true, '/proc cannot tell: kill stands');
    assert.equal(groupAlive({ ...none, liveInGroup: () => true }, 5), false, 'no member at all: /proc is not asked');
  });
});

describe('groupHasLive (/proc)', () => {
  test('a running group is live; once its member has exited it is not', async () => {
    const child = spawn('/bin/sh', ['-c', 'read x'], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    await new Promise((r) => child.once('spawn', r));
    assert.equal(groupHasLive(child.pid!), true);
    assert.equal(groupHasLive(2 ** 22 + 1), false, 'no such group');
    child.stdin!.end('\n');
    await new Promise((r) => child.once('exit', r));
    assert.equal(groupHasLive(child.pid!), false);
  });
});
