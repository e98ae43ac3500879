// MessagesDir's rules on virtual time (a fake clock, file events pushed by the test, message files
// in a scratch directory with their mtimes set in the clock's wall time): a message that does not
// parse is looked at every RETRY_MS until it is SETTLE_MS old, then renamed aside with one line; a
// message is carried out once however often it is seen.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { SETTLE_MS } from '../../../src/common/input.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import type { Message } from '../../../src/messages/message.ts';
import { MessagesDir, RETRY_MS } from '../../../src/messages/watcher.ts';
import type { FilePolicy } from '../../../src/system/security.ts';
import { FakeWatch, scratchDir, writeAt } from '../common/fake-files.ts';

// Files are not checked for their owner and mode here (security.test.ts does that).
const LAX: FilePolicy = { strict: false, euid: 0 };
const RESTART_WEB = JSON.stringify({ type: 'RESTART', name: 'web' });
const HALF = '{"type": "RESTART", "na';
const FREQUENCY_MS = 60_000;

function setup(refuse?: string) {
  const dir = scratchDir('messages');
  const clock = new FakeClock();
  const log = memoryLog();
  const watch = new FakeWatch();
  const handled: Array<[Message, string]> = [];
  const messages = new MessagesDir(dir, (m, file) => (handled.push([m, file]), refuse), log, FREQUENCY_MS, LAX, { clock, watch: watch.watch });
  const lines = (level: string): string[] => log.records.filter((r) => r.level === level).map((r) => r.msg);
  return { dir, clock, log, watch, handled, messages, lines, file: (name: string) => join(dir, name) };
}

test('the watcher gets the backup rescan frequency and the clock', async () => {
  const { clock, watch, messages } = setup();
  await messages.start();
  assert.equal(watch.options?.frequencyMs, FREQUENCY_MS);
  assert.equal(watch.options?.clock, clock);
  await messages.close();
  assert.ok(watch.closed);
});

test('a message that does not parse is looked at every RETRY_MS, then rejected with one line once SETTLE_MS old', async () => {
  const { clock, watch, handled, messages, lines, file, dir } = setup();
  await messages.start();
  writeAt(clock, file('m1'), HALF);
  watch.event('m1');
  clock.advance(SETTLE_MS - 1);
  assert.deepEqual(lines('error'), [], 'not rejected while it may still be written');
  assert.ok(existsSync(file('m1')));
  clock.advance(1); // the look at SETTLE_MS (a multiple of RETRY_MS)
  assert.equal(lines('error').length, 1);
  assert.match(lines('error')[0]!, /^message rejected: not valid JSON: .*; moved to .*\/\.rejected\.m1$/);
  assert.deepEqual(readdirSync(dir), ['.rejected.m1']);
  clock.advance(10 * SETTLE_MS);
  assert.equal(lines('error').length, 1, 'one line');
  assert.equal(clock.pending(), 0, 'no more looks');
  assert.equal(handled.length, 0);
  await messages.close();
});

test('a message completed during its retries is carried out at the next retry, not on an event', async () => {
  const { clock, watch, handled, messages, lines, file } = setup();
  await messages.start();
  writeAt(clock, file('m1'), HALF);
  watch.event('m1');
  clock.advance(250);
  writeAt(clock, file('m1'), RESTART_WEB);
  watch.event('m1'); // the retry pending has it
  assert.equal(handled.length, 0);
  clock.advance(RETRY_MS - 51);
  assert.equal(handled.length, 0);
  clock.advance(1); // the retry at 300
  assert.deepEqual(handled, [[{ type: 'RESTART', name: 'web' }, file('m1')]]);
  assert.deepEqual(lines('error'), []);
  await messages.close();
});

test('a message is carried out once, however often it is seen', async () => {
  const { clock, watch, handled, messages, lines, file, dir } = setup();
  await messages.start();
  writeAt(clock, file('m1'), RESTART_WEB);
  watch.event('m1');
  watch.event('m1');
  messages.rescan();
  clock.advance(SETTLE_MS);
  assert.equal(handled.length, 1);
  assert.equal(lines('info').filter((m) => m === 'message handled').length, 1);
  assert.deepEqual(readdirSync(dir), [], 'deleted once handled');
  await messages.close();
});

test('a message the handler refuses is renamed aside, with the reason', async () => {
  const { clock, watch, messages, lines, file, dir } = setup('no process named web');
  await messages.start();
  writeAt(clock, file('m1'), RESTART_WEB);
  watch.event('m1');
  assert.deepEqual(lines('error').map((m) => m.replace(dir, 'DIR')), ['message rejected: no process named web; moved to DIR/.rejected.m1']);
  assert.deepEqual(readdirSync(dir), ['.rejected.m1']);
  await messages.close();
});

test('a messages directory deleted is made again by the next rescan', async () => {
  const { messages, dir, lines } = setup();
  await messages.start();
  rmSync(dir, { recursive: true });
  messages.rescan();
  assert.ok(existsSync(dir));
  assert.deepEqual(lines('error'), []);
  await messages.close();
});
