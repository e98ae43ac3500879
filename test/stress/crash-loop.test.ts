// Crash loop: 50 processes that exit at once on start, all together, next to one
// well-behaved process. colony runs as PID 1.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Rec } from '../helpers/colony.ts';
import { assertClean, cpuMs, destroyAll, mb, peakRssMB, rssMB, secs, stateOfProc, StreamColony } from '../helpers/stress.ts';

const CRASHERS = 50;
const WINDOW_MS = 15_000;
// Back-off (run flags): every start dies fast (< 1 s), so the waits are 0.2, 0.4, 0.8, 1.6, then 2 s each.
const THRESHOLD_S = 1;
const MIN_DELAY_S = 0.2;
const MAX_DELAY_S = 2;
// colony's CPU over the window, as a share of one core: the restarts cost little (measured: a few %).
const CPU_BOUND = 0.25;
// The well-behaved process prints a line every 50 ms: no gap between two of its lines may exceed this.
const MAX_GAP_MS = 1000;

// The most starts NColony's back-off allows in `ms` after a first start: 1 + the number of waits
// d1, d2, ... (d1 = min, doubling up to max) that fit in `ms`.
function maxStarts(ms: number, minS = MIN_DELAY_S, maxS = MAX_DELAY_S): number {
  let starts = 1;
  let at = 0;
  for (let d = minS * 1000; ; d = Math.min(d * 2, maxS * 1000)) {
    if (at + d > ms) return starts;
    at += d;
    starts++;
  }
}

describe('crash loop', () => {
  after(destroyAll);

  // Nothing lost: the well-behaved process keeps its pid (one start) and every one of its lines
  // arrives (tick numbers consecutive, no gap over MAX_GAP_MS); every crash is seen (each start but
  // the last is followed by its exit, code 3).
  it(`${CRASHERS} processes exiting at once on start: back-off holds, colony's CPU stays low, others unaffected`, async (t) => {
    const names = Array.from({ length: CRASHERS }, (_, i) => `crash${i}`);
    const ticks: Rec[] = [];
    const files: Record<string, object> = Object.fromEntries(names.map((n) => [n, { args: ['/bin/sh', '-c', 'exit 3'] }]));
    files.steady = { args: ['/bin/sh', '-c', 'i=0; while :; do echo "tick $i"; i=$((i + 1)); sleep 0.05; done'] };
    const c = await StreamColony.start({
      files,
      args: ['--threshold', String(THRESHOLD_S), '--minrestartdelay', String(MIN_DELAY_S), '--maxrestartdelay', String(MAX_DELAY_S)],
      onOutput: (r) => void (r.proc === 'steady' && ticks.push(r)),
    });
    const steadyPid = await c.until('steady running', () => stateOfProc(c.dirs.state, 'steady')?.pid ?? undefined, 10_000);
    const cpu0 = cpuMs(c.pid);
    const rss0 = rssMB(c.pid);
    const t0 = Date.now();
    // The window: observed, not slept through — the checks below run on what happened in it.
    await c.until(`the ${WINDOW_MS / 1000} s window`, () => Date.now() - t0 >= WINDOW_MS, WINDOW_MS + 5_000, 100);
    const t1 = Date.now();
    const cpuShare = (cpuMs(c.pid) - cpu0) / (t1 - t0);
    const rss1 = rssMB(c.pid);

    // Back-off: each crasher's starts up to t1 are within the bound for the time since its first start.
    const starts = (n: string): number[] => c.records.filter((r) => r.proc === n && r.msg === 'started' && Number(r.time) <= t1).map((r) => Number(r.time));
    const over: string[] = [];
    let total = 0;
    let fewest = Infinity;
    let most = 0;
    for (const n of names) {
      const s = starts(n);
      const bound = maxStarts(t1 - s[0]!);
      total += s.length;
      fewest = Math.min(fewest, s.length);
      most = Math.max(most, s.length);
      if (s.length > bound) over.push(`${n}: ${s.length} starts > ${bound}`);
    }
    const bound = maxStarts(t1 - t0);
    assert.deepEqual(over, [], 'back-off holds: no crasher started more often than the back-off allows');
    assert.ok(fewest >= bound - 4, `the crashers keep being restarted (fewest starts ${fewest}, the bound ${bound})`);
    assert.ok(cpuShare < CPU_BOUND, `colony's CPU over the window ${(cpuShare * 100).toFixed(1)}% of a core must stay under ${CPU_BOUND * 100}%`);
    const exits = c.count((r) => names.includes(String(r.proc)) && r.msg === 'exit code 3');
    const allStarts = c.count((r) => names.includes(String(r.proc)) && r.msg === 'started');
    assert.ok(exits >= allStarts - CRASHERS && exits <= allStarts, `every crash seen: ${exits} exits (code 3) for ${allStarts} starts`);

    // The well-behaved process: one start, same pid, its lines flowing in order.
    assert.equal(c.count((r) => r.proc === 'steady' && r.msg === 'started'), 1, 'steady was started once');
    assert.equal(stateOfProc(c.dirs.state, 'steady')?.pid, steadyPid, 'steady kept its pid');
    const seq = ticks.map((r) => Number(/^tick (\d+)$/.exec(String(r.msg))?.[1]));
    assert.ok(seq.every((x, i) => x === i), `nothing lost: steady's ticks arrive consecutively from 0 (${seq.length} ticks)`);
    const inWindow = ticks.filter((r) => Number(r.time) >= t0 && Number(r.time) <= t1).map((r) => Number(r.time));
    const gaps = inWindow.slice(1).map((x, i) => x - inWindow[i]!);
    const maxGap = Math.max(...gaps);
    assert.ok(inWindow.length >= WINDOW_MS / 50 / 2, `steady's output keeps flowing: ${inWindow.length} ticks in the window`);
    assert.ok(maxGap <= MAX_GAP_MS, `steady's output keeps flowing: longest gap ${maxGap} ms must stay under ${MAX_GAP_MS} ms`);

    t.diagnostic(`crash loop: ${CRASHERS} crashers, ${total} starts in ${secs(t1 - t0)} (per crasher ${fewest}-${most}, bound ${bound}); colony CPU ${(cpuShare * 100).toFixed(1)}% of a core (bound ${CPU_BOUND * 100}%), RSS ${mb(rss0)} → ${mb(rss1)} (peak ${mb(peakRssMB(c.pid))})`);
    t.diagnostic(`crash loop: steady kept pid ${steadyPid}, ${inWindow.length} ticks in the window, longest gap ${maxGap} ms`);
    assertClean(c);
    assert.equal((await c.stop()).code, 0);
  });
});
