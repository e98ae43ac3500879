// watchDir's backup rescan: every frequencyMs on the clock it is given (virtual time here), none
// when frequencyMs is 0, none after close. chokidar itself runs for real on a scratch directory.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { watchDir } from '../../../src/common/watch-dir.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import { scratchDir } from './fake-files.ts';

const FREQUENCY_MS = 60_000;

test('the backup rescan runs every frequencyMs of the clock, and stops at close', async (t: TestContext) => {
  const clock = new FakeClock();
  let rescans = 0;
  const w = watchDir({ dir: scratchDir('watch'), what: 'config', events: ['add'], onFile: () => undefined, rescan: () => rescans++, frequencyMs: FREQUENCY_MS, log: memoryLog(), clock });
  t.after(() => w.close()); // a failed assertion must not leave chokidar holding the process
  await w.ready;
  rescans = 0; // the rescan once the watcher is armed
  clock.advance(FREQUENCY_MS - 1);
  assert.equal(rescans, 0);
  clock.advance(1);
  assert.equal(rescans, 1);
  clock.advance(3 * FREQUENCY_MS);
  assert.equal(rescans, 4);
  await w.close();
  clock.advance(10 * FREQUENCY_MS);
  assert.equal(rescans, 4);
  assert.equal(clock.pending(), 0);
});

test('a rescan that throws does not end the backup rescans', async (t: TestContext) => {
  const clock = new FakeClock();
  let rescans = 0;
  const w = watchDir({
    dir: scratchDir('watch'),
    what: 'config',
    events: ['add'],
    onFile: () => undefined,
    rescan: () => {
      rescans++;
      if (rescans === 2) throw new Error('boom');
    },
    frequencyMs: FREQUENCY_MS,
    log: memoryLog(),
    clock,
  });
  t.after(() => w.close());
  await w.ready; // rescans: 1
  assert.throws(() => clock.advance(FREQUENCY_MS), /boom/);
  clock.advance(FREQUENCY_MS);
  assert.equal(rescans, 3);
});

test('frequencyMs 0: no backup rescan', async (t: TestContext) => {
  const clock = new FakeClock();
  const w = watchDir({ dir: scratchDir('watch'), what: 'config', events: ['add'], onFile: () => undefined, rescan: () => undefined, frequencyMs: 0, log: memoryLog(), clock });
  t.after(() => w.close());
  await w.ready;
  assert.equal(clock.pending(), 0);
});
