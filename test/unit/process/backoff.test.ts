import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextRestart, type BackoffPolicy } from '../../../src/process/backoff.ts';
import { SupervisedProcess } from '../../../src/process/supervised.ts';
import { descriptorOf, FakeWorld, testPolicy } from '../helpers/fake-world.ts';

// NColony's defaults: threshold 1 s, first delay 1 s, cap 60 s.
const POLICY: BackoffPolicy = { thresholdMs: 1000, minDelayMs: 1000, maxDelayMs: 60_000 };

// The waits after `deaths` fast deaths in a row, starting from the minimum delay.
function waitsAfterFastDeaths(policy: BackoffPolicy, deaths: number): number[] {
  const waits: number[] = [];
  let delay = policy.minDelayMs;
  for (let i = 0; i < deaths; i++) {
    const { waitMs, nextDelayMs } = nextRestart(policy, delay, 0);
    waits.push(waitMs);
    delay = nextDelayMs;
  }
  return waits;
}

// The gaps between consecutive values.
const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - times[i]!);

describe('nextRestart', () => {
  test('a process that lived at least the threshold restarts at once and the delay resets', () => {
    assert.deepEqual(nextRestart(POLICY, 16_000, 1000), { waitMs: 0, nextDelayMs: 1000 });
    assert.deepEqual(nextRestart(POLICY, 16_000, 3_600_000), { waitMs: 0, nextDelayMs: 1000 });
  });

  test('just under the threshold is a fast death', () => {
    assert.deepEqual(nextRestart(POLICY, 1000, 999), { waitMs: 1000, nextDelayMs: 2000 });
  });

  test('fast deaths wait 1, 2, 4, 8, 16, 32 s, then the 60 s cap', () => {
    assert.deepEqual(waitsAfterFastDeaths(POLICY, 9), [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  test('a cap that is not a power of two is reached exactly', () => {
    assert.deepEqual(waitsAfterFastDeaths({ ...POLICY, maxDelayMs: 10_000 }, 6), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  test('a delay below the minimum is raised to it, above the maximum lowered to it', () => {
    assert.deepEqual(nextRestart(POLICY, 0, 0), { waitMs: 1000, nextDelayMs: 2000 });
    assert.deepEqual(nextRestart(POLICY, 500_000, 0), { waitMs: 60_000, nextDelayMs: 60_000 });
  });

  test('after a long life the doubling starts over from the minimum', () => {
    let delay = 1000;
    for (let i = 0; i < 4; i++) delay = nextRestart(POLICY, delay, 0).nextDelayMs; // 16 s by now
    assert.equal(delay, 16_000);
    delay = nextRestart(POLICY, delay, 5000).nextDelayMs;
    assert.deepEqual(nextRestart(POLICY, delay, 0), { waitMs: 1000, nextDelayMs: 2000 });
  });
});

describe('back-off through SupervisedProcess and a fake clock', () => {
  function setup(policy = testPolicy()): { world: FakeWorld; proc: SupervisedProcess } {
    const world = new FakeWorld();
    const proc = new SupervisedProcess('web', descriptorOf({ args: ['/usr/bin/web'] }), policy, world);
    return { world, proc };
  }

  test('a process that dies at once is spawned again after 1, 2, 4, 8, 16, 32, 60, 60 s', () => {
    const { world, proc } = setup();
    world.lifetime = () => 0;
    proc.start();
    world.clock.advance(300_000);
    const times = world.spawnTimes().slice(0, 9);
    assert.deepEqual(times, [0, 1000, 3000, 7000, 15_000, 31_000, 63_000, 123_000, 183_000]);
    assert.deepEqual(gaps(times), [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  test('the cap holds at the configured maximum', () => {
    const { world, proc } = setup(testPolicy({ maxDelayMs: 5000 }));
    world.lifetime = () => 0;
    proc.start();
    world.clock.advance(30_000);
    assert.deepEqual(gaps(world.spawnTimes()).slice(0, 6), [1000, 2000, 4000, 5000, 5000, 5000]);
  });

  test('no spawn happens before the delay is over', () => {
    const { world, proc } = setup();
    world.lifetime = (n) => (n === 0 ? 0 : undefined);
    proc.start();
    world.clock.advance(999);
    assert.equal(world.attempts.length, 1);
    assert.equal(proc.phase, 'backoff');
    world.clock.advance(1);
    assert.equal(world.attempts.length, 2);
    assert.equal(proc.phase, 'running');
  });

  test('a run that lived the threshold restarts at once and resets the delay', () => {
    const { world, proc } = setup();
    // Three fast deaths, one 5 s life, then fast deaths again.
    const lives = [0, 0, 0, 5000, 0, 0];
    world.lifetime = (n) => lives[n];
    proc.start();
    world.clock.advance(60_000);
    // 0 ─1s→ 1000 ─2s→ 3000 ─4s→ 7000, lives 5 s → dies at 12000, restarted at once;
    // dies at once → waits 1 s again (reset) → 13000 → 2 s → 15000.
    assert.deepEqual(world.spawnTimes(), [0, 1000, 3000, 7000, 12_000, 13_000, 15_000]);
  });

  test('the process is running between restarts and in backoff while waiting', () => {
    const { world, proc } = setup();
    proc.start();
    assert.equal(proc.phase, 'running');
    world.last.exit({ code: 1, signal: null });
    assert.equal(proc.phase, 'backoff');
    assert.equal(proc.pid, undefined);
  });
});
