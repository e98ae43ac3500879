import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { SupervisedProcess } from '../../../src/process/supervised.ts';
import type { Policy } from '../../../src/process/state.ts';
import { descriptorOf, FakeWorld, FIRST_PID, testPolicy } from '../helpers/fake-world.ts';

const KILL_MS = 5000;

function setup(policy: Policy = testPolicy({ killTimeMs: KILL_MS })): { world: FakeWorld; proc: SupervisedProcess } {
  const world = new FakeWorld();
  const proc = new SupervisedProcess('web', descriptorOf({ args: ['/usr/bin/web', '--port', '80'] }), policy, world);
  return { world, proc };
}

describe('starting', () => {
  test('start spawns the descriptor args with the child environment, and the pid is known', () => {
    const { world, proc } = setup();
    proc.start();
    assert.deepEqual(world.spawnedArgs(), [['/usr/bin/web', '--port', '80']]);
    const env = world.child(0).request.env;
    assert.equal(env.NCOLONY_NAME, 'web');
    assert.equal(env.PATH, '/usr/bin:/bin');
    assert.equal(proc.phase, 'running');
    assert.equal(proc.pid, FIRST_PID);
    assert.equal(proc.processGroup, FIRST_PID);
  });

  test('uid and gid reach the spawner', () => {
    const world = new FakeWorld();
    const proc = new SupervisedProcess('web', descriptorOf({ args: ['/x'], uid: 1000, gid: 100 }), testPolicy(), world);
    proc.start();
    assert.equal(world.last.request.uid, 1000);
    assert.equal(world.last.request.gid, 100);
  });

  test('the pid is owned while it runs and released at its exit', () => {
    const { world, proc } = setup();
    proc.start();
    assert.ok(world.own.has(FIRST_PID));
    world.last.exit();
    assert.ok(!world.own.has(FIRST_PID));
  });
});

describe('stopping and the kill time', () => {
  test('stop sends SIGTERM to the main pid, then SIGKILL to the process group after the kill time', () => {
    const { world, proc } = setup();
    proc.start();
    world.clock.advance(10_000);
    proc.stop();
    assert.deepEqual(world.signals(), [`SIGTERM ${FIRST_PID}`]);
    world.clock.advance(KILL_MS - 1);
    assert.deepEqual(world.signals(), [`SIGTERM ${FIRST_PID}`], 'no SIGKILL before the kill time');
    world.clock.advance(1);
    assert.deepEqual(world.signals(), [`SIGTERM ${FIRST_PID}`, `SIGKILL -${FIRST_PID}`]);
    assert.equal(world.kills.at(-1)?.at, 10_000 + KILL_MS);
    world.last.exit({ code: null, signal: 'SIGKILL' });
    assert.equal(proc.phase, 'stopped');
  });

  test('a main pid without a process group (a launcher before its setpgid) gets the SIGKILL itself', () => {
    const { world, proc } = setup();
    proc.start();
    world.groups.delete(FIRST_PID);
    proc.stop();
    world.clock.advance(KILL_MS);
    assert.deepEqual(world.signals(), [`SIGTERM ${FIRST_PID}`, `SIGKILL -${FIRST_PID}`, `SIGKILL ${FIRST_PID}`]);
  });

  test('a process that exits within the kill time gets no SIGKILL and no timer is left', () => {
    const { world, proc } = setup();
    proc.start();
    proc.stop();
    world.clock.advance(100);
    world.last.exit({ code: null, signal: 'SIGTERM' });
    assert.equal(proc.phase, 'stopped');
    assert.equal(world.clock.pending(), 0, 'the kill timer is cancelled');
    world.clock.advance(KILL_MS * 2);
    assert.deepEqual(world.signals(), [`SIGTERM ${FIRST_PID}`]);
  });

  test('a stopped process is not restarted', () => {
    const { world, proc } = setup();
    proc.start();
    proc.stop();
    world.last.exit({ code: 0, signal: null });
    world.clock.advance(600_000);
    assert.equal(world.attempts.length, 1);
    assert.ok(proc.isFinal);
  });

  test('the stop signal comes from the policy', () => {
    const { world, proc } = setup(testPolicy({ stopSignal: 'SIGINT' }));
    proc.start();
    proc.stop();
    assert.deepEqual(world.signals(), [`SIGINT ${FIRST_PID}`]);
  });

  test('stop in backoff cancels the pending restart', () => {
    const { world, proc } = setup();
    proc.start();
    world.last.exit({ code: 1, signal: null });
    assert.equal(proc.phase, 'backoff');
    proc.stop();
    assert.equal(proc.phase, 'stopped');
    assert.equal(world.clock.pending(), 0, 'the restart timer is cancelled');
    world.clock.advance(600_000);
    assert.equal(world.attempts.length, 1);
  });
});

describe('draining the process group', () => {
  test('when the main pid exits with its group alive, the group gets SIGTERM and the restart waits for it to empty', () => {
    const { world, proc } = setup();
    proc.start();
    world.clock.advance(10_000);
    world.last.exit({ code: 0, signal: null }, { groupAlive: true });
    assert.equal(proc.phase, 'draining');
    assert.deepEqual(world.signals(), [`SIGTERM -${FIRST_PID}`]);
    world.clock.advance(1000);
    assert.equal(world.attempts.length, 1, 'no restart while the group has members');
    world.emptyGroup(FIRST_PID);
    world.clock.advance(20); // the group poll
    assert.equal(world.attempts.length, 2, 'restarted at once: the main pid lived 10 s');
    assert.equal(proc.phase, 'running');
  });

  test('a group that outlives the kill time gets SIGKILL', () => {
    const { world, proc } = setup();
    proc.start();
    world.clock.advance(10_000);
    world.last.exit({ code: 0, signal: null }, { groupAlive: true });
    world.clock.advance(KILL_MS);
    assert.deepEqual(world.signals(), [`SIGTERM -${FIRST_PID}`, `SIGKILL -${FIRST_PID}`]);
  });

  test('checkGroup notices an empty group at once (without waiting for the poll)', () => {
    const { world, proc } = setup();
    proc.start();
    proc.stop();
    world.last.exit({ code: null, signal: 'SIGTERM' }, { groupAlive: true });
    assert.equal(proc.phase, 'draining');
    world.emptyGroup(FIRST_PID);
    proc.checkGroup();
    assert.equal(proc.phase, 'stopped');
  });
});

describe('requested restarts', () => {
  test('restart stops the process and starts it again as soon as it exits, with no back-off', () => {
    const { world, proc } = setup();
    proc.start();
    world.clock.advance(200); // a short life: a death by itself would mean back-off
    proc.restart();
    assert.deepEqual(world.signals(), [`SIGTERM ${FIRST_PID}`]);
    world.clock.advance(300);
    world.last.exit({ code: null, signal: 'SIGTERM' });
    assert.deepEqual(world.spawnTimes(), [0, 500]);
    assert.equal(proc.phase, 'running');
  });

  test('restart during back-off starts at once', () => {
    const { world, proc } = setup();
    proc.start();
    world.last.exit({ code: 1, signal: null });
    world.clock.advance(300);
    proc.restart();
    assert.deepEqual(world.spawnTimes(), [0, 300]);
    world.clock.advance(600_000);
    assert.equal(world.attempts.length, 2, 'the cancelled restart timer does not spawn a second child');
  });

  test('replace uses the new args at the next spawn', () => {
    const { world, proc } = setup();
    proc.start();
    proc.replace(descriptorOf({ args: ['/usr/bin/web2', '--new'] }));
    assert.deepEqual(world.spawnedArgs(), [['/usr/bin/web', '--port', '80']], 'the running child is not replaced before it exits');
    world.last.exit({ code: null, signal: 'SIGTERM' });
    assert.deepEqual(world.spawnedArgs(), [
      ['/usr/bin/web', '--port', '80'],
      ['/usr/bin/web2', '--new'],
    ]);
  });
});

describe('spawn failures', () => {
  test('a spawn that throws ENOENT is a fast death: back-off 1, 2, 4 s', () => {
    const { world, proc } = setup();
    world.spawnError = () => 'ENOENT';
    proc.start();
    assert.equal(proc.phase, 'starting', 'a thrown spawn error is reported on a later turn (no recursion)');
    world.clock.advance(0);
    assert.equal(proc.phase, 'backoff');
    assert.equal(proc.snapshot.lastExit?.spawnError, 'ENOENT');
    world.clock.advance(7000);
    assert.deepEqual(world.spawnTimes(), [0, 1000, 3000, 7000]);
  });

  test('the failure is logged with the errno', () => {
    const { world, proc } = setup();
    world.spawnError = (n) => (n === 0 ? 'ENOENT' : undefined);
    proc.start();
    world.clock.advance(0);
    const logged = world.log.records.filter((r) => r.level !== 'info').map((r) => r.msg);
    assert.ok(logged.includes('executable not found (ENOENT)'), `got ${JSON.stringify(logged)}`);
    world.clock.advance(1000);
    assert.equal(proc.phase, 'running', 'the next attempt works');
  });

  test('a spawn that fails later (no pid, the error comes with the exit) is a fast death too', () => {
    const { world, proc } = setup();
    world.pidless = (n) => n === 0;
    proc.start();
    assert.equal(proc.phase, 'starting');
    world.last.exit({ code: null, signal: null, spawnError: 'EACCES' });
    assert.equal(proc.phase, 'backoff');
    world.clock.advance(1000);
    assert.deepEqual(world.spawnTimes(), [0, 1000]);
    assert.equal(proc.phase, 'running');
  });
});

describe('signals and output', () => {
  test('signal() reaches the main pid only while it runs', () => {
    const { world, proc } = setup();
    assert.equal(proc.signal('SIGHUP'), false);
    proc.start();
    assert.equal(proc.signal('SIGHUP'), true);
    assert.deepEqual(world.signals(), [`SIGHUP ${FIRST_PID}`]);
    world.last.exit({ code: 1, signal: null });
    assert.equal(proc.signal('SIGHUP'), false);
  });

  test("the child's stdout and stderr lines reach the log, the last unterminated line at the end", async () => {
    const { world, proc } = setup();
    proc.start();
    world.last.stdout.stream.write('hello\nwor');
    world.last.stdout.stream.write('ld\npartial');
    world.last.stderr.stream.write('oops\n');
    world.last.stdout.stream.end();
    await tick();
    await tick();
    const output = world.log.records.filter((r) => 'stream' in r).map((r) => `${String(r.stream)}: ${r.msg}`);
    assert.deepEqual(output, ['stdout: hello', 'stdout: world', 'stderr: oops', 'stdout: partial']);
  });
});
