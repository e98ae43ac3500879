// PID 1's duty: orphans are reaped. The control run (reaper off) proves the zombie check can fail.
// Not PID 1: colony becomes a child subreaper and reaps the same.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES } from '../helpers/colony.ts';
import { alive, zombies } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const STORM = 2000;
const storm = { args: ['/bin/sh', join(FIXTURES, 'orphans.sh'), String(STORM)] };

describe('orphan reaping', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it(`a storm of ${STORM} orphans leaves zero zombies`, async () => {
    const c = await Colony.start({ files: { storm } });
    started.push(c);
    await waitFor('the storm to end', () => c.output('storm').includes('DONE'), 60_000);
    await waitFor('zero zombies', () => zombies(c.pid).length === 0, 10_000);
    await c.stop();
  });

  it('control: with the reaper off, the same storm leaves zombies (the check above can fail)', async () => {
    const c = await Colony.start({ files: { storm }, env: { COLONY_REAPER: 'off' } });
    started.push(c);
    await waitFor('the storm to end', () => c.output('storm').includes('DONE'), 60_000);
    // Wait until the orphans have ended, then count them as zombies.
    const left = await waitFor('zombies to pile up', () => {
      const z = zombies(c.pid).length;
      return z >= STORM * 0.9 ? z : undefined;
    }, 20_000);
    assert.ok(left >= STORM * 0.9, `expected about ${STORM} zombies without reaping, got ${left}`);
    await c.destroy();
  });

  it('with no reaper at all, a main command that left 1,000 orphans (zombies for good) still ends colony with its code, at once', async () => {
    // The orphans stay in the main command's process group as zombies: they have ended, so colony does
    // not wait for the group to empty (it never would).
    const c = await Colony.start({ env: { COLONY_REAPER: 'off' }, main: ['/bin/sh', '-c', `i=0; while [ $i -lt 1000 ]; do ( /bin/true & ); i=$((i + 1)); done; sleep 1; exit 7`] });
    started.push(c);
    const t0 = Date.now();
    const end = await c.wait(30_000);
    assert.deepEqual(end, { code: 7, signal: null });
    assert.ok(Date.now() - t0 < 20_000, `ended within its budget (${Date.now() - t0} ms)`);
    assert.equal(c.count((r) => /SIGKILL/.test(String(r.msg))), 0, 'nothing to kill: the group held only zombies');
  });

  it('not PID 1: colony becomes a child subreaper and reaps its processes\' orphans', async () => {
    const c = await Colony.start({ pid1: false, files: { storm: { args: ['/bin/sh', join(FIXTURES, 'orphans.sh'), '200'] } } });
    started.push(c);
    assert.ok(c.find((r) => /became a child subreaper/.test(String(r.msg))), c.log());
    await waitFor('the storm to end', () => c.output('storm').includes('DONE'), 30_000);
    await waitFor('zero zombies under colony', () => zombies(c.pid).length === 0, 10_000);
    assert.equal((await c.stop()).code, 0);
  });

  it('control: not PID 1 with the reaper off, the orphans pile up under colony (so they were adopted)', async () => {
    const c = await Colony.start({ pid1: false, env: { COLONY_REAPER: 'off' }, files: { storm: { args: ['/bin/sh', join(FIXTURES, 'orphans.sh'), '200'] } } });
    started.push(c);
    await waitFor('the storm to end', () => c.output('storm').includes('DONE'), 30_000);
    await waitFor('orphans as zombies under colony', () => zombies(c.pid).length >= 180, 10_000);
    await c.destroy();
  });

  it('not PID 1: orphans it adopted are stopped at shutdown', async () => {
    // sh starts a daemon-like grandchild in its own session (outside the process group), then idles.
    const c = await Colony.start({ pid1: false, files: { daemonizer: { args: ['/bin/sh', join(FIXTURES, 'grandchild-pipe.sh')] } } });
    started.push(c);
    await waitFor('grandchild pid printed', () => c.output('daemonizer').find((l) => l.startsWith('grandchild ')));
    const grandchild = Number(c.output('daemonizer').find((l) => l.startsWith('grandchild '))!.split(' ')[1]);
    assert.ok(alive(grandchild));
    assert.equal((await c.stop()).code, 0);
    await waitFor('grandchild gone', () => !alive(grandchild), 5000);
    assert.ok(c.find((r) => /adopted orphan/.test(String(r.msg))), c.log());
  });
});
