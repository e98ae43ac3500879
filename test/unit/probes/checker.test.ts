// HealthChecker and waitReady on a virtual clock: exact times of checks, start period, retries,
// no overlapping checks, stop() ignoring a check in flight.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import { HealthChecker, GUARD_MS, type HealthCheckerOptions } from '../../../src/probes/checker.ts';
import type { ProbeResult } from '../../../src/probes/probe.ts';
import { waitReady } from '../../../src/probes/ready.ts';
import { advance, deferredProbe, fail, flush, OK, scriptedProbe } from '../helpers/probe-fakes.ts';

interface Harness {
  checker: HealthChecker;
  clock: FakeClock;
  unhealthy: Array<{ at: number; detail: string }>;
  healthy: number[];
  log: ReturnType<typeof memoryLog>;
}

function checkerWith(clock: FakeClock, probe: () => Promise<ProbeResult>, over: Partial<HealthCheckerOptions> = {}): Harness {
  const unhealthy: Harness['unhealthy'] = [];
  const healthy: number[] = [];
  const log = memoryLog();
  const checker = new HealthChecker({
    probe,
    intervalMs: 1000,
    timeoutMs: 10_000,
    retries: 3,
    startPeriodMs: 0,
    onUnhealthy: (detail) => unhealthy.push({ at: clock.now(), detail }),
    onHealthy: () => healthy.push(clock.now()),
    clock,
    log,
    ...over,
  });
  return { checker, clock, unhealthy, healthy, log };
}

describe('HealthChecker timing', () => {
  test('the first check runs intervalMs after start, then one every intervalMs', async () => {
    const clock = new FakeClock();
    clock.advance(500);
    const p = scriptedProbe(clock, [OK]);
    const h = checkerWith(clock, p.probe);
    h.checker.start();
    await advance(clock, 999);
    assert.deepEqual(p.calls, [], 'no check before the first interval');
    await advance(clock, 1);
    assert.deepEqual(p.calls, [1500]);
    await advance(clock, 3000);
    assert.deepEqual(p.calls, [1500, 2500, 3500, 4500]);
  });

  test('the first success makes it healthy and calls onHealthy once', async () => {
    const clock = new FakeClock();
    const p = scriptedProbe(clock, [OK]);
    const h = checkerWith(clock, p.probe);
    h.checker.start();
    assert.equal(h.checker.status, 'starting');
    await advance(clock, 5000);
    assert.equal(h.checker.status, 'healthy');
    assert.deepEqual(h.healthy, [1000]);
    assert.deepEqual(h.unhealthy, []);
  });
});

describe('HealthChecker start period and retries', () => {
  test('failures of checks begun within the start period are not counted', async () => {
    const clock = new FakeClock();
    const p = scriptedProbe(clock, [fail('HTTP 503')]);
    const h = checkerWith(clock, p.probe, { startPeriodMs: 3000, retries: 2 });
    h.checker.start();
    await advance(clock, 3000);
    // checks at 1000 and 2000 are in the start period; the one at 3000 is the first counted
    assert.deepEqual(p.calls, [1000, 2000, 3000]);
    assert.equal(h.checker.failures, 1);
    assert.equal(h.checker.status, 'starting');
    assert.deepEqual(h.unhealthy, []);
    await advance(clock, 1000);
    assert.deepEqual(h.unhealthy, [{ at: 4000, detail: 'HTTP 503' }]);
    assert.equal(h.checker.status, 'unhealthy');
    await advance(clock, 5000);
    assert.equal(h.unhealthy.length, 1, 'onUnhealthy is called once, not at every failed check');
    assert.equal(h.checker.failures, 7);
    assert.equal(h.checker.lastDetail, 'HTTP 503');
  });

  test('a check begun within the start period is not counted, even when its failure arrives after it', async () => {
    const clock = new FakeClock();
    const p = deferredProbe(clock);
    const h = checkerWith(clock, p.probe, { startPeriodMs: 1500, retries: 1 });
    h.checker.start();
    await advance(clock, 1000);
    assert.deepEqual(p.calls, [1000]);
    await advance(clock, 800); // 1800: past the start period, the check begun at 1000 still running
    p.settle(0, fail('slow and down'));
    await flush();
    assert.equal(h.checker.failures, 0, 'the failure of a check begun at 1000 was counted');
    assert.deepEqual(h.unhealthy, []);
    assert.equal(h.checker.lastDetail, 'slow and down');
    await advance(clock, 200); // 2000: begun after the start period
    p.settle(1, fail('down'));
    await flush();
    assert.deepEqual(h.unhealthy, [{ at: 2000, detail: 'down' }]);
  });

  test('without a start period, `retries` failures in a row make it unhealthy at the retries-th check', async () => {
    const clock = new FakeClock();
    const p = scriptedProbe(clock, [fail('connection refused')]);
    const h = checkerWith(clock, p.probe, { retries: 3 });
    h.checker.start();
    await advance(clock, 2999);
    assert.deepEqual(h.unhealthy, []);
    await advance(clock, 1);
    assert.deepEqual(h.unhealthy, [{ at: 3000, detail: 'connection refused' }]);
  });

  test('a success during the start period ends it: later failures count', async () => {
    const clock = new FakeClock();
    const p = scriptedProbe(clock, [OK, fail('exit code 1')]);
    const h = checkerWith(clock, p.probe, { startPeriodMs: 60_000, retries: 1 });
    h.checker.start();
    await advance(clock, 2000);
    assert.deepEqual(h.healthy, [1000]);
    assert.deepEqual(h.unhealthy, [{ at: 2000, detail: 'exit code 1' }]);
  });

  test('a success resets the count of failures in a row', async () => {
    const clock = new FakeClock();
    const F = fail();
    const p = scriptedProbe(clock, [F, F, OK, F, F, OK, F, F, F]);
    const h = checkerWith(clock, p.probe, { retries: 3 });
    h.checker.start();
    await advance(clock, 8000);
    assert.deepEqual(h.unhealthy, [], 'never 3 failures in a row');
    assert.equal(h.checker.failures, 2);
    await advance(clock, 1000);
    assert.deepEqual(h.unhealthy, [{ at: 9000, detail: 'down' }]);
  });

  test('from unhealthy, a success makes it healthy again and calls onHealthy', async () => {
    const clock = new FakeClock();
    const p = scriptedProbe(clock, [fail(), OK]);
    const h = checkerWith(clock, p.probe, { retries: 1 });
    h.checker.start();
    await advance(clock, 1000);
    assert.equal(h.checker.status, 'unhealthy');
    await advance(clock, 1000);
    assert.equal(h.checker.status, 'healthy');
    assert.deepEqual(h.healthy, [2000]);
    assert.equal(h.checker.failures, 0);
    assert.ok(h.log.records.some((r) => r.msg === 'healthy again'));
  });

  test('a probe that rejects counts as a failure', async () => {
    const clock = new FakeClock();
    const p = scriptedProbe(clock, [new Error('boom')]);
    const h = checkerWith(clock, p.probe, { retries: 1 });
    h.checker.start();
    await advance(clock, 1000);
    assert.deepEqual(h.unhealthy, [{ at: 1000, detail: 'check failed: boom' }]);
  });

  test('a probe that throws instead of returning a promise counts as a failure, and checking goes on', async () => {
    const clock = new FakeClock();
    const calls: number[] = [];
    const probe = (): Promise<ProbeResult> => {
      calls.push(clock.now());
      throw new Error('thrown at once');
    };
    const h = checkerWith(clock, probe, { retries: 2 });
    h.checker.start();
    await advance(clock, 2000);
    assert.deepEqual(h.unhealthy, [{ at: 2000, detail: 'check failed: thrown at once' }]);
    await advance(clock, 1000);
    assert.deepEqual(calls, [1000, 2000, 3000]);
  });

  test('a callback that throws is logged and checking goes on', async () => {
    const clock = new FakeClock();
    const p = scriptedProbe(clock, [OK]);
    const h = checkerWith(clock, p.probe, {
      onHealthy: () => {
        throw new Error('callback bug');
      },
    });
    h.checker.start();
    await advance(clock, 3000);
    assert.deepEqual(p.calls, [1000, 2000, 3000]);
    assert.ok(h.log.records.some((r) => r.level === 'error' && r.error === 'callback bug'));
  });
});

describe('HealthChecker: one check at a time, stop and restart', () => {
  test('a tick that comes while a check runs is skipped; the next tick after it settles runs', async () => {
    const clock = new FakeClock();
    const p = deferredProbe(clock);
    const h = checkerWith(clock, p.probe, { retries: 1 });
    h.checker.start();
    await advance(clock, 3500);
    assert.deepEqual(p.calls, [1000], 'ticks at 2000 and 3000 were skipped');
    p.settle(0, fail('slow'));
    await flush();
    assert.deepEqual(h.unhealthy, [{ at: 3500, detail: 'slow' }]);
    await advance(clock, 500);
    assert.deepEqual(p.calls, [1000, 4000], 'the schedule keeps its fixed rate');
  });

  test('a check that never settles is given up on GUARD_MS after its timeout, and its late result ignored', async () => {
    const clock = new FakeClock();
    const p = deferredProbe(clock);
    const h = checkerWith(clock, p.probe, { retries: 1, intervalMs: 10_000, timeoutMs: 500 });
    h.checker.start();
    await advance(clock, 10_000 + 500 + GUARD_MS - 1);
    assert.deepEqual(h.unhealthy, []);
    await advance(clock, 1);
    assert.deepEqual(h.unhealthy, [{ at: 11_500, detail: 'timed out after 500 ms (the check did not return)' }]);
    p.settle(0, OK);
    await flush();
    assert.equal(h.checker.status, 'unhealthy', 'the late success was ignored');
    await advance(clock, 8500);
    assert.deepEqual(p.calls, [10_000, 20_000], 'the next tick runs a new check');
  });

  test('stop() cancels the timers and ignores the result of a check in flight', async () => {
    const clock = new FakeClock();
    const p = deferredProbe(clock);
    const h = checkerWith(clock, p.probe, { retries: 1 });
    h.checker.start();
    await advance(clock, 1000);
    assert.equal(p.calls.length, 1);
    h.checker.stop();
    assert.equal(clock.pending(), 0, 'no timer left');
    p.settle(0, fail());
    await flush();
    assert.deepEqual(h.unhealthy, [], 'the in-flight failure was ignored');
    assert.equal(h.checker.status, 'starting');
    await advance(clock, 10_000);
    assert.equal(p.calls.length, 1, 'no check after stop');
  });

  test('start() again (a new process) resets the state, and the start period counts from then', async () => {
    const clock = new FakeClock();
    const p = scriptedProbe(clock, [fail('stale')]);
    const h = checkerWith(clock, p.probe, { retries: 1, startPeriodMs: 2500 });
    h.checker.start();
    await advance(clock, 3000);
    assert.deepEqual(h.unhealthy, [{ at: 3000, detail: 'stale' }]);
    h.checker.stop();
    await advance(clock, 400);
    h.checker.start(); // at 3400
    assert.equal(h.checker.status, 'starting');
    assert.equal(h.checker.failures, 0);
    await advance(clock, 2999);
    assert.deepEqual(p.calls, [1000, 2000, 3000, 4400, 5400]);
    assert.equal(h.unhealthy.length, 1, 'failures at 4400 and 5400 are in the new start period');
    await advance(clock, 1);
    assert.deepEqual(h.unhealthy.at(-1), { at: 6400, detail: 'stale' });
  });

  test('bad options are refused', () => {
    const clock = new FakeClock();
    const { probe } = scriptedProbe(clock, [OK]);
    assert.throws(() => checkerWith(clock, probe, { intervalMs: 0 }), RangeError);
    assert.throws(() => checkerWith(clock, probe, { retries: 0 }), RangeError);
    assert.throws(() => checkerWith(clock, probe, { startPeriodMs: -1 }), RangeError);
  });
});

describe('waitReady', () => {
  test('checks at once, then everyMs after each failure, and resolves with the first success', async () => {
    const clock = new FakeClock();
    const p = scriptedProbe(clock, [fail('connection refused'), fail('connection refused'), { ok: true, detail: 'connected' }]);
    const w = waitReady({ probe: p.probe, timeoutMs: 5000, everyMs: 100, clock });
    let result: ProbeResult | undefined;
    void w.promise.then((r) => (result = r));
    await advance(clock, 199);
    assert.equal(result, undefined);
    await advance(clock, 1);
    assert.deepEqual(result, { ok: true, detail: 'connected' });
    assert.deepEqual(p.calls, [0, 100, 200]);
    assert.equal(clock.pending(), 0, 'the deadline timer is cleared');
  });

  test('everyMs defaults to 100', async () => {
    const clock = new FakeClock();
    const p = scriptedProbe(clock, [fail()]);
    const w = waitReady({ probe: p.probe, timeoutMs: 350, clock });
    await advance(clock, 400);
    assert.deepEqual(p.calls, [0, 100, 200, 300]);
    assert.equal((await w.promise).ok, false);
  });

  test('gives up after timeoutMs with the last failure detail, and checks no more', async () => {
    const clock = new FakeClock();
    let n = 0;
    const calls: number[] = [];
    const probe = (): Promise<ProbeResult> => {
      calls.push(clock.now());
      return Promise.resolve(fail(`HTTP 50${++n}`));
    };
    const w = waitReady({ probe, timeoutMs: 1000, everyMs: 300, clock });
    let result: ProbeResult | undefined;
    void w.promise.then((r) => (result = r));
    await advance(clock, 999);
    assert.equal(result, undefined);
    await advance(clock, 1);
    assert.deepEqual(result, { ok: false, detail: 'HTTP 504' });
    assert.deepEqual(calls, [0, 300, 600, 900]);
    await advance(clock, 2000);
    assert.equal(calls.length, 4);
    assert.equal(clock.pending(), 0);
  });

  test('a check that rejects or throws is a failure: retried everyMs later, its error the detail at the timeout', async () => {
    const clock = new FakeClock();
    const calls: number[] = [];
    const probe = (): Promise<ProbeResult> => {
      calls.push(clock.now());
      if (calls.length === 1) return Promise.reject(new Error('refused'));
      throw new Error('thrown at once');
    };
    const w = waitReady({ probe, timeoutMs: 250, everyMs: 100, clock });
    await advance(clock, 250);
    assert.deepEqual(calls, [0, 100, 200]);
    assert.deepEqual(await w.promise, { ok: false, detail: 'check failed: thrown at once' });
  });

  test('the next check waits for the previous one to end (never two at once)', async () => {
    const clock = new FakeClock();
    const p = deferredProbe(clock);
    waitReady({ probe: p.probe, timeoutMs: 10_000, everyMs: 100, clock });
    await advance(clock, 1000);
    assert.deepEqual(p.calls, [0]);
    p.settle(0, fail());
    await advance(clock, 100);
    assert.deepEqual(p.calls, [0, 1100]);
  });

  test('a check that never ends: the timeout still comes', async () => {
    const clock = new FakeClock();
    const p = deferredProbe(clock);
    const w = waitReady({ probe: p.probe, timeoutMs: 2000, clock });
    await advance(clock, 2000);
    assert.deepEqual(await w.promise, { ok: false, detail: 'no check completed within 2 s' });
  });

  test('cancel() resolves at once, stops checking and ignores a result in flight', async () => {
    const clock = new FakeClock();
    const p = deferredProbe(clock);
    const w = waitReady({ probe: p.probe, timeoutMs: 5000, clock });
    await advance(clock, 50);
    w.cancel();
    assert.deepEqual(await w.promise, { ok: false, detail: 'cancelled' });
    p.settle(0, fail());
    await advance(clock, 1000);
    assert.deepEqual(p.calls, [0]);
    assert.equal(clock.pending(), 0);
  });
});
