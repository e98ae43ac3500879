import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock, type Timer } from '../../../src/common/clock.ts';
import { MAX_TIMER_MS } from '../../../src/common/clock.ts';
import { nextRun, parseSchedule, type Schedule } from '../../../src/schedule/parse.ts';
import { Scheduler } from '../../../src/schedule/scheduler.ts';

// Cron expressions are read in local time; dates are built in local time too, in January,
// far from any daylight-saving change, so these hold in any TZ.
const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): Date => new Date(y, mo - 1, d, h, mi, s, ms);

// Parses and insists it worked.
function schedule(value: unknown): Schedule {
  const r = parseSchedule(value);
  if (!r.ok) assert.fail(r.error);
  return r.schedule;
}

// Parses and returns the error, insisting there is one.
function parseError(value: unknown): string {
  const r = parseSchedule(value);
  if (r.ok) assert.fail(`expected an error for ${JSON.stringify(value)}, got ${JSON.stringify(r.schedule)}`);
  return r.error;
}

describe('parseSchedule', () => {
  test('a string is a cron expression', () => {
    assert.deepEqual(schedule('0 * * * *'), { kind: 'cron', expression: '0 * * * *' });
    assert.deepEqual(schedule('  */10 * * * * *  '), { kind: 'cron', expression: '*/10 * * * * *' });
    assert.deepEqual(schedule('@hourly'), { kind: 'cron', expression: '@hourly' });
  });

  test('objects: cron or every, with an optional timeout, in seconds', () => {
    assert.deepEqual(schedule({ every: 3600 }), { kind: 'interval', everyMs: 3_600_000 });
    assert.deepEqual(schedule({ every: 0.5, timeout: 30 }), { kind: 'interval', everyMs: 500, timeoutMs: 30_000 });
    assert.deepEqual(schedule({ cron: '15 3 * * *', timeout: 600 }), {
      kind: 'cron',
      expression: '15 3 * * *',
      timeoutMs: 600_000,
    });
  });

  test('invalid cron expressions name the field and quote the value', () => {
    const e = parseError('61 * * * *');
    assert.match(e, /^"schedule" is not a valid cron expression: "61 \* \* \* \*" \(.+\)$/);
    assert.match(e, /minute/);
    assert.match(parseError('not cron'), /^"schedule" is not a valid cron expression: "not cron"/);
    assert.match(parseError('* * * *'), /not a valid cron expression: "\* \* \* \*"/);
    assert.match(parseError('0 0 0 1 1 * 2030'), /not a valid cron expression/, '7 fields (years) are refused');
    assert.match(parseError(''), /not a valid cron expression: ""/);
    assert.match(parseError({ cron: '0 25 * * *' }), /^"schedule.cron" is not a valid cron expression: "0 25 \* \* \*"/);
    assert.match(parseError('0 0 30 2 *'), /^"schedule" is a cron expression that never matches: "0 0 30 2 \*"/);
  });

  test('bad intervals and timeouts name the field and the value', () => {
    assert.equal(parseError({ every: 0 }), '"schedule.every" must be a positive number of seconds, got 0');
    assert.equal(parseError({ every: -5 }), '"schedule.every" must be a positive number of seconds, got -5');
    assert.equal(parseError({ every: '60' }), '"schedule.every" must be a positive number of seconds, got "60"');
    assert.match(parseError({ every: Infinity }), /^"schedule.every" must be a positive number/);
    assert.equal(parseError({ every: 60, timeout: 0 }), '"schedule.timeout" must be a positive number of seconds, got 0');
    assert.equal(parseError({ cron: 5 }), '"schedule.cron" must be a cron expression string, got 5');
  });

  test('shape errors', () => {
    assert.match(parseError(3600), /^"schedule" must be a cron expression string or an object .* got 3600$/);
    assert.match(parseError(null), /got null$/);
    assert.match(parseError([]), /got \[\]$/);
    assert.match(parseError({}), /^"schedule" must have exactly one of "cron" and "every"/);
    assert.match(parseError({ cron: '* * * * *', every: 60 }), /exactly one of "cron" and "every"/);
    assert.match(parseError({ every: 60, timeot: 5 }), /^"schedule" has unknown key "timeot"/);
  });
});

describe('nextRun', () => {
  test('hourly cron across an hour boundary and a day boundary', () => {
    const hourly = schedule('0 * * * *');
    assert.deepEqual(nextRun(hourly, local(2024, 1, 15, 10, 0, 30)), local(2024, 1, 15, 11));
    assert.deepEqual(nextRun(hourly, local(2024, 1, 15, 23, 59, 59, 999)), local(2024, 1, 16, 0));
    assert.deepEqual(nextRun(hourly, local(2024, 1, 31, 23, 30)), local(2024, 2, 1, 0));
    assert.deepEqual(nextRun(hourly, local(2024, 12, 31, 23, 0, 1)), local(2025, 1, 1, 0));
  });

  test('strictly after: a due time equal to `after` is not returned', () => {
    const hourly = schedule('0 * * * *');
    assert.deepEqual(nextRun(hourly, local(2024, 1, 15, 11)), local(2024, 1, 15, 12));
    assert.deepEqual(nextRun(hourly, local(2024, 1, 15, 10, 59, 59, 999)), local(2024, 1, 15, 11));
  });

  test('daily at a fixed time, and day-of-week', () => {
    assert.deepEqual(nextRun(schedule('30 3 * * *'), local(2024, 1, 15, 3, 30)), local(2024, 1, 16, 3, 30));
    assert.deepEqual(nextRun(schedule('30 3 * * *'), local(2024, 1, 15, 3, 29)), local(2024, 1, 15, 3, 30));
    // 2024-01-15 is a Monday; the next Sunday is the 21st.
    assert.deepEqual(nextRun(schedule('0 0 * * SUN'), local(2024, 1, 15, 12)), local(2024, 1, 21));
    assert.deepEqual(nextRun(schedule('0 0 * * 0'), local(2024, 1, 15, 12)), local(2024, 1, 21));
  });

  test('6-field cron has seconds first', () => {
    const every15s = schedule('*/15 * * * * *');
    assert.deepEqual(nextRun(every15s, local(2024, 1, 15, 10, 0, 0)), local(2024, 1, 15, 10, 0, 15));
    assert.deepEqual(nextRun(every15s, local(2024, 1, 15, 10, 0, 14, 500)), local(2024, 1, 15, 10, 0, 15));
    assert.deepEqual(nextRun(every15s, local(2024, 1, 15, 23, 59, 45)), local(2024, 1, 16, 0, 0, 0));
    assert.deepEqual(nextRun(schedule('30 0 * * * *'), local(2024, 1, 15, 10, 0, 30)), local(2024, 1, 15, 11, 0, 30));
  });

  test('an interval is one interval after', () => {
    const at = local(2024, 1, 15, 10);
    assert.deepEqual(nextRun(schedule({ every: 90 }), at), local(2024, 1, 15, 10, 1, 30));
  });
});

const BASE = local(2024, 1, 15, 10, 0, 0).getTime();

// A scheduler on a fake clock whose wall time is BASE plus the fake clock's time (plus `jump`).
// Timers fire `lag` ms late (plus the next entry of `extraLag`, if any), as real timers do
// when the event loop is busy.
function harness(value: unknown, opts: { running?: () => boolean } = {}) {
  const clock = new FakeClock(BASE);
  const armed: number[] = [];
  const late = { lag: 0, extraLag: [] as number[] };
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn: () => void, ms: number): Timer => {
    armed.push(ms);
    return setTimeout(fn, ms + late.lag + (late.extraLag.shift() ?? 0));
  };
  const wall = { jump: 0 };
  const now = (): Date => new Date(BASE + clock.now() + wall.jump);
  clock.wallNow = () => now().getTime();
  const runs: number[] = []; // wall times of runs
  const skips: Array<{ at: number; due: number }> = [];
  const sched = new Scheduler({
    schedule: schedule(value),
    clock,
    run: () => runs.push(now().getTime()),
    isRunning: opts.running ?? (() => false),
    onSkip: (due) => skips.push({ at: now().getTime(), due: due.getTime() }),
  });
  return { clock, armed, late, wall, now, runs, skips, sched };
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('Scheduler', () => {
  test('cron: runs at each due time, and next tells when', () => {
    const h = harness('0 * * * *');
    assert.equal(h.sched.next, undefined);
    h.sched.start();
    assert.deepEqual(h.sched.next, local(2024, 1, 15, 11));
    h.clock.advance(HOUR - 1);
    assert.deepEqual(h.runs, []);
    h.clock.advance(1);
    assert.deepEqual(h.runs, [local(2024, 1, 15, 11).getTime()]);
    assert.deepEqual(h.sched.next, local(2024, 1, 15, 12));
    h.clock.advance(14 * HOUR); // through midnight
    assert.equal(h.runs.length, 15);
    assert.deepEqual(h.runs.at(-1), local(2024, 1, 16, 1).getTime());
    assert.deepEqual(h.skips, []);
  });

  test('6-field cron fires every 15 seconds', () => {
    const h = harness('*/15 * * * * *');
    h.sched.start();
    h.clock.advance(MIN);
    assert.deepEqual(
      h.runs.map((t) => t - BASE),
      [15_000, 30_000, 45_000, 60_000],
    );
  });

  test('skips a due time while the previous run is still going, and runs again after', () => {
    let running = false;
    const h = harness('0 * * * *', { running: () => running });
    h.sched.start();
    h.clock.advance(HOUR);
    assert.equal(h.runs.length, 1);
    running = true;
    h.clock.advance(2 * HOUR);
    assert.equal(h.runs.length, 1, 'no overlapping run');
    assert.deepEqual(h.skips, [
      { at: local(2024, 1, 15, 12).getTime(), due: local(2024, 1, 15, 12).getTime() },
      { at: local(2024, 1, 15, 13).getTime(), due: local(2024, 1, 15, 13).getTime() },
    ]);
    running = false;
    h.clock.advance(HOUR);
    assert.deepEqual(h.runs.at(-1), local(2024, 1, 15, 14).getTime());
    assert.equal(h.runs.length, 2);
  });

  test('interval: the first run is one interval after start; skips while running', () => {
    let running = false;
    const h = harness({ every: 60 }, { running: () => running });
    h.clock.advance(12_345);
    h.sched.start();
    assert.deepEqual(h.sched.next, new Date(BASE + 12_345 + MIN));
    h.clock.advance(MIN - 1);
    assert.equal(h.runs.length, 0);
    h.clock.advance(1);
    assert.deepEqual(h.runs, [BASE + 12_345 + MIN]);
    running = true;
    h.clock.advance(MIN);
    assert.equal(h.runs.length, 1);
    assert.deepEqual(h.skips, [{ at: BASE + 12_345 + 2 * MIN, due: BASE + 12_345 + 2 * MIN }]);
  });

  test('interval: no cumulative drift over 100 intervals when timers fire late', () => {
    const h = harness({ every: 10 });
    h.late.lag = 7; // every timer fires 7 ms late; planning from the firing time would add 7 ms a run
    h.sched.start();
    h.clock.advance(100 * 10_000 + 100);
    assert.equal(h.runs.length, 100);
    h.runs.forEach((t, i) => assert.equal(t - BASE, (i + 1) * 10_000 + 7, `run ${i + 1} 7 ms late, no more`));
  });

  test('interval: after a stall longer than an interval, one late run, then back in phase', () => {
    const h = harness({ every: 10 });
    h.late.extraLag = [0, 25_000]; // the second timer fires 25 s late (a blocked event loop)
    h.sched.start();
    h.clock.advance(70_000);
    assert.deepEqual(
      h.runs.map((t) => t - BASE),
      [10_000, 45_000, 50_000, 60_000, 70_000],
    );
  });

  test('long waits are split into timers Node can hold, and still fire on time', () => {
    const h = harness({ every: 60 * 24 * 3600 }); // 60 days
    h.sched.start();
    assert.ok(h.armed.every((ms) => ms <= MAX_TIMER_MS), `armed ${h.armed.join(', ')}`);
    h.clock.advance(60 * DAY - 1);
    assert.equal(h.runs.length, 0);
    assert.ok(h.armed.length >= 3, `re-armed: ${h.armed.join(', ')}`);
    h.clock.advance(1);
    assert.deepEqual(h.runs, [BASE + 60 * DAY]);
    assert.ok(h.armed.every((ms) => ms <= MAX_TIMER_MS));

    const y = harness('0 0 1 1 *'); // yearly: next is 2025-01-01
    y.sched.start();
    assert.deepEqual(y.sched.next, local(2025, 1, 1));
    y.clock.advance(local(2025, 1, 1).getTime() - BASE - 1);
    assert.equal(y.runs.length, 0);
    y.clock.advance(1);
    assert.deepEqual(y.runs, [local(2025, 1, 1).getTime()]);
    assert.ok(y.armed.every((ms) => ms <= MAX_TIMER_MS));
  });

  test('cron: a wall clock set back waits for the real due time; set forward runs once', () => {
    const h = harness('0 * * * *');
    h.sched.start();
    h.wall.jump = -30 * MIN; // wall clock set back half an hour just after arming
    h.clock.advance(HOUR);
    assert.equal(h.runs.length, 0, 'not before 11:00 on the wall clock');
    h.clock.advance(30 * MIN);
    assert.deepEqual(h.runs, [local(2024, 1, 15, 11).getTime()]);

    h.wall.jump += 5 * HOUR; // forward: 11:00 -> 16:00 while waiting for 12:00
    h.clock.advance(HOUR);
    assert.equal(h.runs.length, 2, 'one run for the missed stretch');
    assert.deepEqual(h.sched.next, local(2024, 1, 15, 18), 'then back on the hour');
  });

  test('stop() cancels the pending run; start() again begins afresh', () => {
    const h = harness({ every: 60 });
    h.sched.start();
    h.clock.advance(MIN);
    assert.equal(h.runs.length, 1);
    h.sched.stop();
    assert.equal(h.sched.next, undefined);
    assert.equal(h.clock.pending(), 0);
    h.clock.advance(10 * MIN);
    assert.equal(h.runs.length, 1);
    h.sched.start();
    h.clock.advance(MIN);
    assert.equal(h.runs.length, 2);
    assert.equal(h.runs[1]! - BASE, 12 * MIN);
  });

  test('stop() from inside run() leaves nothing armed', () => {
    const clock = new FakeClock(BASE);
    let runs = 0;
    const sched: Scheduler = new Scheduler({
      schedule: schedule('* * * * *'),
      clock,
      run: () => {
        runs++;
        sched.stop();
      },
      isRunning: () => false,
      onSkip: () => assert.fail('no skip'),
    });
    sched.start();
    clock.advance(10 * MIN);
    assert.equal(runs, 1);
    assert.equal(clock.pending(), 0);
  });

  test('start() twice arms one timer', () => {
    const h = harness({ every: 60 });
    h.sched.start();
    h.sched.start();
    assert.equal(h.clock.pending(), 1);
    h.clock.advance(MIN);
    assert.equal(h.runs.length, 1);
  });
});
