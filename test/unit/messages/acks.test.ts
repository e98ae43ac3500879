// Message acknowledgements on virtual time: stamped with the clock's wall time, written atomically,
// pruned by age (KEEP_MS) at most once per PRUNE_EVERY_MS, and a state directory that cannot be
// written said once (again after it has recovered and failed anew).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import { ACKS_DIR, ackPath, Acks, KEEP_MS, PRUNE_EVERY_MS } from '../../../src/messages/acks.ts';
import { FaultyFs, scratchDir, touchAt } from '../common/fake-files.ts';

const OK = { ok: true, restarting: [] };

test("an acknowledgement is written under acks/, named after the message file, stamped with the clock's wall time", () => {
  const state = scratchDir('acks');
  const clock = new FakeClock();
  clock.advance(1500);
  new Acks(state, memoryLog(), { clock }).record('/run/messages/123.message', { ok: false, error: 'no process named web', restarting: [] });
  assert.equal(ackPath(state, '/run/messages/123.message'), join(state, ACKS_DIR, '123.message.json'));
  assert.deepEqual(readdirSync(join(state, ACKS_DIR)), ['123.message.json']);
  assert.deepEqual(JSON.parse(readFileSync(ackPath(state, '123.message'), 'utf8')), { file: '/run/messages/123.message', at: '2026-01-01T00:00:01.500Z', ok: false, error: 'no process named web', restarting: [] });
});

test('acknowledgements older than KEEP_MS are removed, by a look at most once per PRUNE_EVERY_MS', () => {
  const state = scratchDir('acks');
  const dir = join(state, ACKS_DIR);
  mkdirSync(dir);
  const clock = new FakeClock();
  const plant = (name: string, ageMs: number): void => {
    writeFileSync(join(dir, name), '{}');
    touchAt(join(dir, name), clock.wallNow() - ageMs);
  };
  plant('old.json', KEEP_MS + 1000);
  plant('young.json', KEEP_MS - 1000);
  const acks = new Acks(state, memoryLog(), { clock });
  acks.record('a', OK); // the first record looks
  assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'young.json']);
  plant('stale.json', KEEP_MS + 1000);
  clock.advance(PRUNE_EVERY_MS);
  acks.record('b', OK);
  assert.ok(existsSync(join(dir, 'stale.json')), 'no look within PRUNE_EVERY_MS of the last');
  clock.advance(1);
  acks.record('c', OK);
  assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'b.json', 'c.json'], 'young.json is now older than KEEP_MS too');
});

test('a read-only state directory is reported once, with the real reason; again after it recovers and fails anew', () => {
  const state = join(scratchDir('acks'), 'state'); // missing: made by the first record
  const clock = new FakeClock();
  const log = memoryLog();
  const fs = new FaultyFs();
  const acks = new Acks(state, log, { clock, fs });
  const errors = (): unknown[] => log.records.filter((r) => r.level === 'error').map((r) => [r.msg, r.error]);
  fs.fail.mkdir = 'EROFS';
  for (const m of ['a', 'b', 'c']) acks.record(m, OK);
  assert.equal(errors().length, 1);
  assert.deepEqual(errors()[0], ['cannot write message acknowledgements (ctl --wait will time out)', `EROFS: injected fault, mkdir '${state}'`]);
  fs.fail = {};
  acks.record('d', OK);
  assert.deepEqual(readdirSync(join(state, ACKS_DIR)), ['d.json']);
  fs.fail.writeFile = 'ENOSPC';
  acks.record('e', OK);
  assert.equal(errors().length, 2);
  assert.deepEqual(readdirSync(join(state, ACKS_DIR)), ['d.json'], 'no partial temp file left');
});
