// ConfigDir's timing rules on virtual time (a fake clock, file events pushed by the test, files in a
// scratch directory with their mtimes set in the clock's wall time): a file that does not parse is
// looked at again until it is SETTLE_MS old; a name is looked at once more RECHECK_MS after its events
// go quiet (the last event of a burst can be lost); the first scan reports at once.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { realFileSystem } from '../../../src/common/fs-world.ts';
import { SETTLE_MS } from '../../../src/common/input.ts';
import { ConfigDir, RECHECK_MS } from '../../../src/descriptor/directory.ts';
import type { Descriptor } from '../../../src/descriptor/parse.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import type { FilePolicy } from '../../../src/system/security.ts';
import { FakeWatch, scratchDir, touchAt, writeAt } from '../common/fake-files.ts';

// Files are not checked for their owner and mode here (security.test.ts does that).
const LAX: FilePolicy = { strict: false, euid: 0 };
const GOOD = JSON.stringify({ args: ['sleep', '1'] });
const HALF = '{"args": ["sle';
const FREQUENCY_MS = 60_000;

function setup() {
  const dir = scratchDir('configdir');
  const clock = new FakeClock();
  const log = memoryLog();
  const watch = new FakeWatch();
  const applied: Array<[string, Descriptor | null]> = [];
  const config = new ConfigDir(dir, (name, d) => applied.push([name, d]), log, FREQUENCY_MS, undefined, LAX, false, { clock, watch: watch.watch });
  const errors = (): string[] => log.records.filter((r) => r.level === 'error').map((r) => r.msg);
  const file = (name: string): string => join(dir, name);
  return { dir, clock, log, watch, applied, config, errors, file };
}

test('the watcher gets the backup rescan frequency and the clock', async () => {
  const { clock, watch, config } = setup();
  await config.start();
  assert.equal(watch.options?.frequencyMs, FREQUENCY_MS);
  assert.equal(watch.options?.clock, clock);
  await config.close();
  assert.ok(watch.closed);
});

test('after an event, a file that does not parse is looked at every RECHECK_MS and reported only once SETTLE_MS old', async () => {
  const { clock, watch, applied, config, errors, file } = setup();
  await config.start(); // the first scan: an empty directory
  writeAt(clock, file('web'), HALF);
  watch.event('web');
  clock.advance(SETTLE_MS - 1);
  assert.deepEqual(errors(), [], 'not reported while it may still be written');
  clock.advance(1); // the look at SETTLE_MS (a multiple of RECHECK_MS)
  assert.equal(errors().length, 1);
  assert.match(errors()[0]!, /^bad descriptor .*web: .*; not started$/);
  clock.advance(10 * SETTLE_MS);
  assert.equal(errors().length, 1, 'reported once');
  assert.equal(clock.pending(), 0, 'no more looks');
  assert.equal(applied.length, 0);
  await config.close();
});

test('a file completed in place during the looks is applied, never reported', async () => {
  const { clock, watch, applied, config, errors, file } = setup();
  await config.start();
  writeAt(clock, file('web'), HALF);
  watch.event('web');
  clock.advance(250);
  writeAt(clock, file('web'), GOOD); // its event lost
  clock.advance(RECHECK_MS - 51);
  assert.equal(applied.length, 0);
  clock.advance(1); // the look at 300
  assert.deepEqual(applied.map(([n, d]) => [n, d?.args]), [['web', ['sleep', '1']]]);
  assert.deepEqual(errors(), []);
  await config.close();
});

test('RECHECK_MS after the last event of a name it is looked at again: a removal whose event was lost is applied', async () => {
  const { clock, watch, applied, config, file } = setup();
  await config.start();
  writeAt(clock, file('web'), GOOD);
  watch.event('web'); // add
  assert.deepEqual(applied.map(([n, d]) => [n, d !== null]), [['web', true]]);
  clock.advance(50);
  watch.event('web'); // change: the look is put off
  clock.advance(10);
  rmSync(file('web')); // unlink: the event lost
  clock.advance(RECHECK_MS - 11);
  assert.equal(applied.length, 2, 'not yet: RECHECK_MS counts from the last event');
  clock.advance(1);
  assert.deepEqual(applied.map(([n, d]) => [n, d !== null]), [['web', true], ['web', true], ['web', false]]);
  assert.equal(clock.pending(), 0);
  await config.close();
});

test('a rescan that reads a file being written in place looks again instead of reporting it', async () => {
  const { clock, applied, config, errors, file } = setup();
  config.rescan(); // the first scan: an empty directory
  writeAt(clock, file('web'), ''); // truncated by its writer, the content not written yet
  config.rescan();
  assert.deepEqual(errors(), [], 'not reported while it may still be written');
  writeAt(clock, file('web'), GOOD);
  clock.advance(RECHECK_MS);
  assert.ok(applied.some(([n, d]) => n === 'web' && d !== null), 'the second look applies it');
  assert.deepEqual(errors(), []);
  await config.close();
});

test('a file read empty and removed before its age is looked at (a burst of writes) is looked at again, not reported', async () => {
  const dir = scratchDir('configdir');
  const clock = new FakeClock();
  const log = memoryLog();
  const watch = new FakeWatch();
  const applied: Array<[string, Descriptor | null]> = [];
  // The race as it happens: the content is read (empty, truncated by a writer in place), then the file
  // is removed before its mtime is asked for.
  const fs = { ...realFileSystem, mtimeMs: (path: string): number => (rmSync(path, { force: true }), realFileSystem.mtimeMs(path)) };
  const config = new ConfigDir(dir, (name, d) => applied.push([name, d]), log, FREQUENCY_MS, undefined, LAX, false, { clock, watch: watch.watch, fs });
  await config.start();
  writeAt(clock, join(dir, 'web'), '');
  watch.event('web');
  clock.advance(RECHECK_MS);
  assert.deepEqual(log.records.filter((r) => r.level === 'error').map((r) => r.msg), [], 'a file that is gone was not a bad descriptor');
  assert.deepEqual(applied, []);
  assert.equal(clock.pending(), 0, 'the second look found it absent: no more looks');
  await config.close();
});

test('the first scan reports a broken file at once, however new', async () => {
  const { clock, config, errors, file } = setup();
  writeAt(clock, file('web'), '');
  config.rescan();
  assert.equal(errors().length, 1);
  assert.match(errors()[0]!, /file is empty/);
  assert.equal(clock.pending(), 0);
  await config.close();
});

test('a broken file that has not changed for SETTLE_MS is reported by a rescan at once', async () => {
  const { clock, config, errors, file } = setup();
  config.rescan();
  writeAt(clock, file('web'), '');
  touchAt(file('web'), clock.wallNow() - SETTLE_MS);
  config.rescan();
  assert.equal(errors().length, 1);
  assert.match(errors()[0]!, /file is empty/);
  await config.close();
});
