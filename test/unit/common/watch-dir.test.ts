// watchDir's backup rescan: every frequencyMs on the clock it is given (virtual time here), none
// when frequencyMs is 0, none after close; and the file events of a real directory (inotify).
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

test('file events: an arrival, a change, a removal (each only when asked for), dotfiles skipped, a ".." entry rescans', async (t: TestContext) => {
  const dir = scratchDir('watch');
  const seen: string[] = [];
  let rescans = 0;
  const follow = (events: Array<'add' | 'change' | 'unlink'>, tag: string) => {
    const w = watchDir({ dir, what: 'messages', events, onFile: (f) => void seen.push(`${tag}:${f}`), rescan: () => rescans++, frequencyMs: 0, log: memoryLog() });
    t.after(() => w.close());
    return w;
  };
  await follow(['add', 'change'], 'm').ready;
  await follow(['add', 'change', 'unlink'], 'c').ready;
  const settle = async (what: string, ok: () => boolean): Promise<void> => {
    for (let i = 0; !ok(); i++) {
      if (i > 200) assert.fail(`${what}: seen ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  writeFileSync(join(dir, '.one.new'), 'x'); // a writer's temporary file: never looked at
  renameSync(join(dir, '.one.new'), join(dir, 'one'));
  await settle('the arrival', () => seen.includes('m:one') && seen.includes('c:one'));
  assert.ok(!seen.some((s) => s.includes('.one')), 'dotfiles are skipped');
  seen.length = 0;
  unlinkSync(join(dir, 'one'));
  await settle('the removal', () => seen.includes('c:one'));
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(!seen.includes('m:one'), 'a removal is not told to an owner that did not ask for it');
  const before = rescans;
  mkdirSync(join(dir, '..2026_12_06'));
  await settle('the rescan for a ".." entry', () => rescans >= before + 2);
});
