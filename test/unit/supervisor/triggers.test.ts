// A process's triggers on virtual time: a scheduled run's timeout, and watched files' debounce.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SupervisedProcess } from '../../../src/process/supervised.ts';
import { scheduleRuns } from '../../../src/supervisor/schedules.ts';
import { watchFiles, type FileWatcher, type WatchFiles } from '../../../src/supervisor/watches.ts';
import { descriptorOf, FakeWorld, testPolicy } from '../helpers/fake-world.ts';

describe('scheduleRuns', () => {
  test('a run is started every interval and stopped at its timeout; the next run has its own', () => {
    const world = new FakeWorld();
    const p = new SupervisedProcess('job', descriptorOf({ args: ['/bin/job'], schedule: { every: 10, timeout: 3 } }), testPolicy({ restart: 'never' }), world);
    const armed = scheduleRuns(p, world);
    world.clock.advance(9_999);
    assert.equal(world.attempts.length, 0);
    world.clock.advance(1);
    assert.equal(world.attempts.length, 1, 'the first run one interval after arming');
    world.clock.advance(2_999);
    assert.deepEqual(world.signals(), []);
    world.clock.advance(1);
    assert.deepEqual(world.signals(), [`SIGTERM ${world.last.pid}`], 'stopped at its timeout');
    world.last.exit({ code: null, signal: 'SIGTERM' });
    world.clock.advance(6_999);
    assert.equal(world.attempts.length, 1);
    world.clock.advance(1);
    assert.equal(world.attempts.length, 2, 'the next run on time, 20 s after arming');
    world.last.exit({ code: 0, signal: null });
    world.clock.advance(3_000);
    assert.equal(world.signals().length, 1, "a run that ended leaves no timer that stops a later one");
    armed.stop();
    world.clock.advance(60_000);
    assert.equal(world.attempts.length, 2, 'nothing after stop()');
  });
});

describe('watchFiles', () => {
  function fakeWatcher(): { files: WatchFiles; emit(path: string): void; closed: () => boolean } {
    let all: ((event: string, path: string) => void) | undefined;
    let closed = false;
    const watcher: FileWatcher = {
      on(event: string, cb: (...a: never[]) => void) {
        if (event === 'all') all = cb as (event: string, path: string) => void;
        return watcher;
      },
      close: async () => {
        closed = true;
      },
    } as FileWatcher;
    return { files: async () => ({ watcher, matches: (path) => path.endsWith('.py') }), emit: (path) => all?.('change', path), closed: () => closed };
  }

  test('changes restart the process once they have been quiet for the debounce time; other paths are ignored', async () => {
    const world = new FakeWorld();
    const w = fakeWatcher();
    const p = new SupervisedProcess('web', descriptorOf({ args: ['/bin/web'], watch: { paths: ['app/**/*.py'], debounce: 0.5 } }), testPolicy(), world);
    p.start();
    const armed = watchFiles(p, { ...world, watchFiles: w.files }, () => true);
    await Promise.resolve();
    await Promise.resolve();
    w.emit('app/a.py');
    world.clock.advance(400);
    w.emit('app/b.py');
    w.emit('app/readme.txt');
    world.clock.advance(499);
    assert.deepEqual(world.signals(), [], 'not before 500 ms of quiet');
    world.clock.advance(1);
    assert.deepEqual(world.signals(), [`SIGTERM ${world.last.pid}`], 'one restart for the burst');
    w.emit('app/readme.txt');
    world.clock.advance(1_000);
    assert.equal(world.signals().length, 1, 'a path that does not match changes nothing');
    armed.stop();
    assert.ok(w.closed(), 'stop() closes the watcher');
  });

  test('a change while colony shuts down does nothing', async () => {
    const world = new FakeWorld();
    const w = fakeWatcher();
    const p = new SupervisedProcess('web', descriptorOf({ args: ['/bin/web'], watch: ['app/x.py'] }), testPolicy(), world);
    p.start();
    watchFiles(p, { ...world, watchFiles: w.files }, () => false);
    await Promise.resolve();
    await Promise.resolve();
    w.emit('app/x.py');
    world.clock.advance(10_000);
    assert.deepEqual(world.signals(), []);
  });
});
