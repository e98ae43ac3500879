// The shutdown's budget on virtual time: each stop gets what is left of it, and SIGKILL goes to
// everything still running when it is spent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SupervisedProcess } from '../../../src/process/supervised.ts';
import { Budget, stopAll } from '../../../src/supervisor/shutdown.ts';
import { Waits } from '../../../src/supervisor/until.ts';
import { descriptorOf, FakeWorld, testPolicy } from '../helpers/fake-world.ts';

// Lets the shutdown's awaits go on (the clock fires timers synchronously; what follows an await runs after).
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Budget', () => {
  test('what is left shrinks with the clock, never below 0; a kill time is cut to it', () => {
    const world = new FakeWorld();
    const b = new Budget(world.clock, 9_000);
    assert.equal(b.cut(5_000), 5_000);
    world.clock.advance(6_000);
    assert.equal(b.left(), 3_000);
    assert.equal(b.cut(5_000), 3_000);
    world.clock.advance(10_000);
    assert.equal(b.left(), 0);
    assert.equal(new Budget(world.clock, Infinity).cut(5_000), 5_000);
  });
});

describe('stopAll', () => {
  test('a process stopped after another gets what is left of the budget, and SIGKILL when it is spent', async () => {
    const world = new FakeWorld();
    const waits = new Waits(world.clock);
    const policy = testPolicy({ killTimeMs: 8_000 });
    const db = new SupervisedProcess('db', descriptorOf({ args: ['/bin/db'] }), policy, world);
    const web = new SupervisedProcess('web', descriptorOf({ args: ['/bin/web'], after: ['db'] }), policy, world);
    for (const p of [db, web]) {
      p.start();
      p.changes.on(() => waits.poke());
    }
    const [dbChild, webChild] = [world.child(0), world.child(1)];
    const done = stopAll([db, web], undefined, new Budget(world.clock, 9_000), waits, world.log);
    assert.deepEqual(world.signals(), [`SIGTERM ${webChild.pid}`], 'web first: it is after db');
    world.clock.advance(4_000);
    webChild.exit({ code: 0, signal: null });
    assert.deepEqual(world.signals().at(-1), `SIGTERM ${dbChild.pid}`, 'then db');
    world.clock.advance(4_999);
    assert.equal(world.signals().length, 2, 'db gets the 5 s left, not its 8 s kill time');
    world.clock.advance(1);
    assert.equal(world.signals().at(-1), `SIGKILL -${dbChild.pid}`);
    dbChild.exit({ code: null, signal: 'SIGKILL' });
    world.clock.advance(20);
    await done;
    assert.ok(db.isFinal && web.isFinal);
  });

  test('the budget spent while a process waits for another: SIGKILL to both, the waiting one too', async () => {
    const world = new FakeWorld();
    const waits = new Waits(world.clock);
    const db = new SupervisedProcess('db', descriptorOf({ args: ['/bin/db'] }), testPolicy({ killTimeMs: 60_000 }), world);
    const web = new SupervisedProcess('web', descriptorOf({ args: ['/bin/web'], after: ['db'] }), testPolicy({ killTimeMs: 60_000 }), world);
    for (const p of [db, web]) {
      p.start();
      p.changes.on(() => waits.poke());
    }
    const done = stopAll([db, web], undefined, new Budget(world.clock, 3_000), waits, world.log);
    world.clock.advance(3_000);
    await settle();
    assert.deepEqual(world.signals().filter((s) => s.startsWith('SIGKILL')).sort(), [`SIGKILL -${world.child(0).pid}`, `SIGKILL -${world.child(1).pid}`].sort());
    world.child(0).exit({ code: null, signal: 'SIGKILL' });
    world.child(1).exit({ code: null, signal: 'SIGKILL' });
    world.clock.advance(20);
    await done;
    assert.ok(world.log.records.some((r) => /shutdown budget is spent/.test(r.msg ?? '')));
  });

  test('a process "after" a replicated one is stopped before each of its instances', async () => {
    const world = new FakeWorld();
    const waits = new Waits(world.clock);
    const policy = testPolicy({ killTimeMs: 8_000 });
    const inst = (i: number): SupervisedProcess => new SupervisedProcess(`web:${i}`, { ...descriptorOf({ args: ['/bin/web'] }), replica: { of: 'web', index: i } }, policy, world);
    const [w1, w2] = [inst(1), inst(2)];
    const proxy = new SupervisedProcess('proxy', descriptorOf({ args: ['/bin/proxy'], after: ['web'] }), policy, world);
    for (const p of [w1, w2, proxy]) {
      p.start();
      p.changes.on(() => waits.poke());
    }
    const done = stopAll([w1, w2, proxy], undefined, new Budget(world.clock, 9_000), waits, world.log);
    assert.deepEqual(world.signals(), [`SIGTERM ${world.child(2).pid}`], 'proxy first');
    world.child(2).exit({ code: 0, signal: null });
    await settle();
    assert.deepEqual(world.signals().slice(1).sort(), [`SIGTERM ${world.child(0).pid}`, `SIGTERM ${world.child(1).pid}`].sort(), 'then both instances');
    world.child(0).exit({ code: 0, signal: null });
    world.child(1).exit({ code: 0, signal: null });
    await done;
  });
});
