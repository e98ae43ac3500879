// The memory trim on virtual time: one collection QUIET_MS after the last activity, only when the heap
// holds enough unused memory, never a timer while nothing happens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { exposedGc, MemoryTrim, QUIET_MS, SLACK_BYTES, v8Trim } from '../../../src/system/memory-trim.ts';

function setup(slack = SLACK_BYTES) {
  const clock = new FakeClock();
  const w = { clock, slackNow: slack, collected: [] as number[], slack: () => w.slackNow, collect: () => void w.collected.push(clock.now()) };
  return { clock, w, trim: new MemoryTrim(w) };
}

test('one collection QUIET_MS after a poke, then nothing until the next poke', () => {
  const { clock, w, trim } = setup();
  trim.poke();
  clock.advance(QUIET_MS - 1);
  assert.deepEqual(w.collected, []);
  clock.advance(1);
  assert.deepEqual(w.collected, [QUIET_MS]);
  assert.equal(clock.pending(), 0, 'no timer while idle');
  clock.advance(10 * QUIET_MS);
  assert.equal(w.collected.length, 1);
  trim.poke();
  clock.advance(QUIET_MS);
  assert.equal(w.collected.length, 2);
});

test('activity goes on: the collection waits until QUIET_MS after it has stopped, re-arming at most once per QUIET_MS', () => {
  const { clock, w, trim } = setup();
  trim.poke();
  let armed = 0;
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => (armed++, setTimeout(fn, ms));
  for (let t = 0; t < 3 * QUIET_MS; t += 100) {
    trim.poke();
    clock.advance(100);
  }
  assert.deepEqual(w.collected, [], 'never while busy');
  assert.equal(armed, 3, 'one timer per QUIET_MS of activity, not one per poke');
  clock.advance(QUIET_MS);
  assert.equal(w.collected.length, 1);
  assert.ok(w.collected[0]! >= 4 * QUIET_MS - 100, 'after the activity stopped');
});

test('nothing collected when the heap holds less than SLACK_BYTES unused', () => {
  const { clock, w, trim } = setup(SLACK_BYTES - 1);
  trim.poke();
  clock.advance(QUIET_MS);
  assert.deepEqual(w.collected, []);
  assert.equal(clock.pending(), 0);
});

test('closed: no collection, no timer', () => {
  const { clock, w, trim } = setup();
  trim.poke();
  trim.close();
  trim.poke();
  clock.advance(2 * QUIET_MS);
  assert.deepEqual(w.collected, []);
  assert.equal(clock.pending(), 0);
});

test("v8Trim: V8's heap figures, and a collection that gives pages back, its collector asked for once, at the first collection", () => {
  const calls: unknown[] = [];
  let asked = 0;
  const world = v8Trim(new FakeClock(), () => ({ total_physical_size: 30, used_heap_size: 12 }), () => (asked++, (o) => void calls.push(o)));
  assert.equal(world.slack(), 18);
  assert.equal(asked, 0, 'not at start-up');
  world.collect();
  world.collect();
  assert.equal(asked, 1);
  assert.deepEqual(calls, [{ type: 'major', execution: 'sync', flavor: 'last-resort' }, { type: 'major', execution: 'sync', flavor: 'last-resort' }]);
});

test('exposedGc: a working collector without --expose-gc at start-up (this test process has none)', () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'the test runs without --expose-gc');
  const gc = exposedGc();
  assert.equal(typeof gc, 'function');
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
});

test('quiet() is told each time things went quiet, also when the heap has too little unused memory to collect', () => {
  const { clock, w } = setup(0);
  const quiet: number[] = [];
  const trim = new MemoryTrim({ ...w, quiet: () => void quiet.push(clock.now()) });
  trim.poke();
  clock.advance(QUIET_MS);
  assert.deepEqual(quiet, [QUIET_MS]);
  assert.deepEqual(w.collected, []);
  trim.poke();
  clock.advance(QUIET_MS - 1);
  assert.equal(quiet.length, 1, 'not while busy');
  clock.advance(1);
  assert.equal(quiet.length, 2);
});
