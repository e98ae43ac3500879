import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { HandoverWait, PIDFILE_POLL_MS, PIDFILE_WAIT_MS, readPidfile, refuseSuccessor, type Found, type HandoverWorld } from '../../../src/process/handover.ts';

// colony's pid (a subreaper, so that "colony's own" is not also "not a pid"); the old main pid.
const SELF = 7;
const OLD = 100;
const PIDFILE = '/run/colony/web.pid';

// A fake /proc (pid → state letter and parent), fake files and the pids already supervised.
class FakeHandoverWorld implements HandoverWorld {
  readonly clock = new FakeClock();
  readonly self = SELF;
  readonly procs = new Map<number, { state: string; ppid: number }>();
  readonly files = new Map<string, string>();
  readonly supervised = new Set<number>();
  reads = 0;

  readFile(path: string): string {
    this.reads++;
    const text = this.files.get(path);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  }

  procState(pid: number): { state: string; ppid: number } | undefined {
    return this.procs.get(pid);
  }

  taken(pid: number): boolean {
    return this.supervised.has(pid);
  }

  // A live child of colony.
  child(pid: number, state = 'S'): this {
    this.procs.set(pid, { state, ppid: SELF });
    return this;
  }
}

describe('refuseSuccessor: who may become the main pid', () => {
  const world = new FakeHandoverWorld().child(300).child(301, 'R').child(302, 'Z').child(303, 'X').child(OLD).child(500);
  world.procs.set(400, { state: 'S', ppid: 300 });
  world.supervised.add(500);

  test('a running child of colony, not yet supervised, may', () => {
    assert.equal(refuseSuccessor(300, OLD, world), undefined);
    assert.equal(refuseSuccessor(301, OLD, world), undefined);
    assert.equal(refuseSuccessor(300, undefined, world), undefined);
  });

  // [pid, why not]
  const refusals: Array<[number, RegExp]> = [
    [0, /^0 is not a pid$/],
    [1, /^1 is not a pid$/],
    [-5, /^-5 is not a pid$/],
    [1.5, /^1\.5 is not a pid$/],
    [Number.NaN, /^NaN is not a pid$/],
    [OLD, /^pid 100 is the one that exited$/],
    [SELF, /^pid 7 is colony's own$/],
    [500, /^pid 500 is already supervised$/],
    [999, /^pid 999 is not running$/],
    [302, /^pid 302 is not running$/],
    [303, /^pid 303 is not running$/],
    [400, /^pid 400 is not colony's child \(its parent is 300\)/],
  ];
  for (const [pid, why] of refusals) {
    test(`refused: ${why.source}`, () => {
      assert.match(refuseSuccessor(pid, OLD, world) ?? '(accepted)', why);
    });
  }
});

describe('readPidfile', () => {
  const read = (text: string | undefined): number | string => {
    const world = new FakeHandoverWorld();
    if (text !== undefined) world.files.set(PIDFILE, text);
    return readPidfile(PIDFILE, world);
  };

  test('a pid, with the whitespace and newline around it', () => {
    assert.equal(read('4242'), 4242);
    assert.equal(read('4242\n'), 4242);
    assert.equal(read('  4242 \r\n'), 4242);
  });

  test('a missing file: it cannot be read, with the errno code', () => {
    assert.equal(read(undefined), `pidfile ${PIDFILE} cannot be read (ENOENT)`);
  });

  test('an error without a code is said as an error', () => {
    const r = readPidfile(PIDFILE, {
      readFile: () => {
        throw new Error('odd');
      },
    });
    assert.equal(r, `pidfile ${PIDFILE} cannot be read (error)`);
  });

  test('anything else holds no pid, and is quoted (shortened)', () => {
    assert.equal(read(''), `pidfile ${PIDFILE} does not hold a pid ("")`);
    assert.equal(read('\n'), `pidfile ${PIDFILE} does not hold a pid ("")`);
    assert.equal(read('abc'), `pidfile ${PIDFILE} does not hold a pid ("abc")`);
    assert.equal(read('12 34'), `pidfile ${PIDFILE} does not hold a pid ("12 34")`);
    assert.equal(read('-12'), `pidfile ${PIDFILE} does not hold a pid ("-12")`);
    assert.equal(read('12345678901'), `pidfile ${PIDFILE} does not hold a pid ("12345678901")`);
    const long = read('x'.repeat(100));
    assert.equal(long, `pidfile ${PIDFILE} does not hold a pid (${JSON.stringify('x'.repeat(40))})`);
  });
});

describe('HandoverWait', () => {
  function wait(world: FakeHandoverWorld, o: { candidates?: Array<{ pid: number; by: string }>; pidfile?: string; waitMs?: number; heirs?: () => boolean } = {}) {
    const results: Array<{ at: number; found: Found }> = [];
    const w = new HandoverWait({
      world,
      old: OLD,
      candidates: () => o.candidates ?? [],
      pidfile: o.pidfile,
      ...(o.waitMs !== undefined ? { waitMs: o.waitMs } : {}),
      ...(o.heirs ? { heirs: o.heirs } : {}),
      done: (found) => results.push({ at: world.clock.now(), found }),
    });
    return { w, results };
  }

  test('a candidate that may take over is found at once: done is called before the constructor returns', () => {
    const world = new FakeHandoverWorld().child(300);
    const { w, results } = wait(world, { candidates: [{ pid: 300, by: 'MAINPID=' }], pidfile: PIDFILE });
    assert.deepEqual(results, [{ at: 0, found: { pid: 300, by: 'MAINPID=' } }]);
    assert.equal(w.pending, false);
    assert.equal(world.clock.pending(), 0, 'no poll is left');
    assert.equal(world.reads, 0, 'the pidfile is not read when a candidate will do');
  });

  test('the first candidate that may take over wins; the refused ones before it do not matter', () => {
    const world = new FakeHandoverWorld().child(301);
    const { results } = wait(world, {
      candidates: [
        { pid: 300, by: 'MAINPID=' },
        { pid: 301, by: 'READY=1 from it' },
      ],
    });
    assert.deepEqual(results, [{ at: 0, found: { pid: 301, by: 'READY=1 from it' } }]);
  });

  test('a pidfile that still names the old pid, then the new one 300 ms later: found on the poll after it changed', () => {
    const world = new FakeHandoverWorld().child(301);
    world.files.set(PIDFILE, `${OLD}\n`);
    // The new master renames its pidfile into place at 300 ms (a timer set before the wait's polls).
    world.clock.setTimeout(() => world.files.set(PIDFILE, '301\n'), 300);
    const { w, results } = wait(world, { pidfile: PIDFILE });
    assert.equal(w.pending, true);
    world.clock.advance(299);
    assert.deepEqual(results, []);
    assert.equal(world.reads, 1 + Math.floor(299 / PIDFILE_POLL_MS), `re-read every ${PIDFILE_POLL_MS} ms`);
    world.clock.advance(1);
    assert.deepEqual(results, [{ at: 300, found: { pid: 301, by: `pidfile ${PIDFILE}` } }]);
    assert.equal(w.pending, false);
    assert.equal(world.clock.pending(), 0);
  });

  test('it gives up at PIDFILE_WAIT_MS, with every reason', () => {
    const world = new FakeHandoverWorld();
    const { w, results } = wait(world, { candidates: [{ pid: 300, by: 'MAINPID=' }], pidfile: PIDFILE });
    world.clock.advance(PIDFILE_WAIT_MS - 1);
    assert.deepEqual(results, []);
    assert.equal(w.pending, true);
    world.clock.advance(1);
    assert.deepEqual(results, [{ at: PIDFILE_WAIT_MS, found: { reason: `MAINPID=: pid 300 is not running; pidfile ${PIDFILE} cannot be read (ENOENT)` } }]);
    assert.equal(w.pending, false);
    assert.equal(world.clock.pending(), 0);
  });

  test('waitMs bounds the wait instead', () => {
    const world = new FakeHandoverWorld();
    const { results } = wait(world, { pidfile: PIDFILE, waitMs: 200 });
    world.clock.advance(199);
    assert.equal(results.length, 0);
    world.clock.advance(1);
    assert.deepEqual(results, [{ at: 200, found: { reason: `pidfile ${PIDFILE} cannot be read (ENOENT)` } }]);
  });

  test('without a pidfile nothing is waited for: done at once with the reasons, or "no successor named"', () => {
    const world = new FakeHandoverWorld();
    const none = wait(world);
    assert.deepEqual(none.results, [{ at: 0, found: { reason: 'no successor named' } }]);
    const refused = wait(world, { candidates: [{ pid: OLD, by: 'READY=1 from it' }] });
    assert.deepEqual(refused.results, [{ at: 0, found: { reason: 'READY=1 from it: pid 100 is the one that exited' } }]);
    assert.equal(world.clock.pending(), 0);
  });

  test('with no process of the old group left to take over, the pidfile is not waited for', () => {
    const world = new FakeHandoverWorld();
    const { results } = wait(world, { pidfile: PIDFILE, heirs: () => false });
    assert.deepEqual(results, [{ at: 0, found: { reason: `pidfile ${PIDFILE} cannot be read (ENOENT); no process of its group is left to take over` } }]);
    assert.equal(world.clock.pending(), 0);
  });

  test('the heirs going away ends the wait at the next poll', () => {
    const world = new FakeHandoverWorld();
    let heirs = true;
    const { results } = wait(world, { pidfile: PIDFILE, heirs: () => heirs });
    world.clock.advance(120);
    heirs = false;
    world.clock.advance(PIDFILE_POLL_MS);
    assert.equal(results.length, 1);
    assert.equal(results[0]!.at, 150);
    assert.match('reason' in results[0]!.found ? results[0]!.found.reason : '', /no process of its group is left/);
  });

  test('settle() looks once more and finishes: found', () => {
    const world = new FakeHandoverWorld().child(301);
    const { w, results } = wait(world, { pidfile: PIDFILE });
    world.clock.advance(75);
    world.files.set(PIDFILE, '301');
    w.settle();
    assert.deepEqual(results, [{ at: 75, found: { pid: 301, by: `pidfile ${PIDFILE}` } }]);
    assert.equal(world.clock.pending(), 0);
    w.settle();
    assert.equal(results.length, 1, 'done once');
  });

  test('settle() looks once more and finishes: not found, said as not waited for', () => {
    const world = new FakeHandoverWorld();
    const { w, results } = wait(world, { pidfile: PIDFILE });
    world.clock.advance(75);
    w.settle();
    assert.deepEqual(results, [{ at: 75, found: { reason: `pidfile ${PIDFILE} cannot be read (ENOENT) (not waited for: a stop or restart was asked)` } }]);
    assert.equal(world.clock.pending(), 0);
    world.clock.advance(PIDFILE_WAIT_MS);
    assert.equal(results.length, 1);
  });

  test('cancel() stops the polls: done is never called, not even when the pidfile appears', () => {
    const world = new FakeHandoverWorld().child(301);
    const { w, results } = wait(world, { pidfile: PIDFILE });
    world.clock.advance(100);
    const reads = world.reads;
    w.cancel();
    assert.equal(w.pending, false);
    assert.equal(world.clock.pending(), 0);
    world.files.set(PIDFILE, '301');
    world.clock.advance(PIDFILE_WAIT_MS * 2);
    w.settle();
    assert.deepEqual(results, []);
    assert.equal(world.reads, reads, 'no read after the cancel');
  });
});
