import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { memoryLog } from '../../../src/log/logger.ts';
import { createReaper, type ExitWatch } from '../../../src/system/reaper.ts';

type Status = { code: number | null; signal: NodeJS.Signals | null };

// A fake libc: each child's state (a zombie with its exit status, or still running), the calls
// recorded; a child reaped by either call is gone from colony's children.
function fakeLibc() {
  const zombies = new Map<number, Status>();
  const running = new Set<number>();
  const calls: string[] = [];
  const libc = {
    waitpidNoHang(pid: number): number {
      calls.push(`nohang ${pid}`);
      if (zombies.delete(pid)) return pid;
      return running.has(pid) ? 0 : -1;
    },
    waitpidExit(pid: number): Status | undefined {
      calls.push(`exit ${pid}`);
      const st = zombies.get(pid);
      zombies.delete(pid);
      return st;
    },
  };
  const list = (): number[] => [...running, ...zombies.keys()];
  return { libc, zombies, running, calls, list };
}

function setup(own: number[] = []) {
  const f = fakeLibc();
  const log = memoryLog();
  const reaped: number[] = [];
  const watched = new Map<number, ExitWatch>();
  const reaper = createReaper(f.libc, new Set(own), log, (n) => reaped.push(n), f.list, watched);
  return { ...f, log, reaped, watched, reaper };
}

describe('createReaper', () => {
  test('an unwatched orphan is reaped with waitpidNoHang and counted', () => {
    const s = setup();
    s.zombies.set(600, { code: 0, signal: null });
    s.zombies.set(601, { code: null, signal: 'SIGKILL' });
    assert.equal(s.reaper.sweep(), 2);
    assert.deepEqual(s.calls, ['nohang 600', 'nohang 601']);
    assert.deepEqual(s.reaped, [2]);
    assert.equal(s.zombies.size, 0);
  });

  test('an orphan still running is left, and nothing is reported', () => {
    const s = setup();
    s.running.add(600);
    assert.equal(s.reaper.sweep(), 0);
    assert.deepEqual(s.reaped, []);
    assert.ok(!s.log.records.some((r) => r.msg === 'reaped orphans'));
  });

  test("the pids in own (libuv's children) are left alone: neither waitpid is called for them", () => {
    const s = setup([700, 701]);
    s.zombies.set(700, { code: 0, signal: null });
    s.running.add(701);
    s.watched.set(701, () => assert.fail('an owned pid is not watched'));
    assert.equal(s.reaper.sweep(), 0);
    assert.deepEqual(s.calls, []);
    assert.ok(s.zombies.has(700), "its status is libuv's to take");
  });

  test('a watched pid that exited: its status goes to its watcher, and it is no longer watched', () => {
    const s = setup();
    const got: Status[] = [];
    s.watched.set(800, (st) => got.push(st));
    s.zombies.set(800, { code: 3, signal: null });
    s.zombies.set(600, { code: 0, signal: null });
    assert.equal(s.reaper.sweep(), 1, 'the orphan is counted; the watched pid is not an orphan');
    assert.deepEqual(got, [{ code: 3, signal: null }]);
    assert.equal(s.watched.has(800), false);
    assert.ok(s.calls.includes('exit 800'));
    assert.ok(!s.calls.includes('nohang 800'), 'its status is not thrown away by waitpidNoHang');
  });

  test('a watched pid still running stays watched; its exit is delivered at a later sweep, once', () => {
    const s = setup();
    const got: Status[] = [];
    s.watched.set(800, (st) => got.push(st));
    s.running.add(800);
    s.reaper.sweep();
    assert.deepEqual(got, []);
    assert.equal(s.watched.has(800), true);
    assert.ok(!s.calls.includes('nohang 800'));
    s.running.delete(800);
    s.zombies.set(800, { code: null, signal: 'SIGTERM' });
    s.reaper.sweep();
    s.reaper.sweep();
    assert.deepEqual(got, [{ code: null, signal: 'SIGTERM' }]);
    assert.equal(s.watched.size, 0);
  });

  test('schedule() coalesces a burst into one sweep on a later turn', async () => {
    const s = setup();
    s.zombies.set(600, { code: 0, signal: null });
    s.reaper.schedule();
    s.reaper.schedule();
    s.reaper.schedule();
    assert.deepEqual(s.calls, [], 'not during the call');
    await tick();
    assert.deepEqual(s.calls, ['nohang 600']);
    assert.deepEqual(s.reaped, [1]);
  });
});
