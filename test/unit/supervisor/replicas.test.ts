import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDescriptor, type Descriptor } from '../../../src/descriptor/parse.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import { afterNames, Replicas } from '../../../src/supervisor/replicas.ts';
import { Supervisor } from '../../../src/supervisor/supervisor.ts';
import { FakeWorld, testPolicy } from '../helpers/fake-world.ts';

function parse(o: object): Descriptor {
  const r = parseDescriptor(JSON.stringify(o));
  if (!r.ok) assert.fail(r.errors.join('; '));
  return r.descriptor;
}

// Replicas in front of a recorder: what the supervisor would be asked to apply, in order.
function recorded(): { r: Replicas; calls: Array<[string, Descriptor | null]>; log: ReturnType<typeof memoryLog>; applied: () => string[] } {
  const calls: Array<[string, Descriptor | null]> = [];
  const log = memoryLog();
  const r = new Replicas((name, d) => calls.push([name, d]), log);
  const applied = (): string[] => calls.splice(0).map(([n, d]) => `${d ? '+' : '-'}${n}${d?.replica ? `#${d.replica.index}` : ''}`);
  return { r, calls, log, applied };
}

describe('Replicas', () => {
  test('"replicas": N applies NAME:1 … NAME:N, each knowing its index; changing N adds or removes the highest, the others unchanged', () => {
    const { r, calls, applied } = recorded();
    r.set('web', parse({ args: ['/bin/web'], replicas: 3 }));
    const first = calls.map(([, d]) => d!.canonical);
    assert.deepEqual(applied(), ['+web:1#1', '+web:2#2', '+web:3#3']);
    assert.ok(first.every((c) => c === first[0] && !c.includes('replicas')), 'one definition for all, "replicas" left out of it');
    r.set('web', parse({ args: ['/bin/web'], replicas: 5 }));
    const again = calls.slice(0, 3).map(([, d]) => d!.canonical);
    assert.deepEqual(again, first, 'the instances that stay: the same definition (the supervisor leaves them alone)');
    assert.deepEqual(applied(), ['+web:1#1', '+web:2#2', '+web:3#3', '+web:4#4', '+web:5#5']);
    r.set('web', parse({ args: ['/bin/web'], replicas: 2 }));
    assert.deepEqual(applied(), ['+web:1#1', '+web:2#2', '-web:5', '-web:4', '-web:3']);
    r.set('web', null);
    assert.deepEqual(applied(), ['-web:2', '-web:1']);
  });

  test('a file that becomes replicated replaces its one process with the instances, and back', () => {
    const { r, applied } = recorded();
    r.set('web', parse({ args: ['/bin/web'] }));
    assert.deepEqual(applied(), ['+web']);
    r.set('web', parse({ args: ['/bin/web'], replicas: 2 }));
    assert.deepEqual(applied(), ['-web', '+web:1#1', '+web:2#2']);
    r.set('web', parse({ args: ['/bin/web'] }));
    assert.deepEqual(applied(), ['-web:2', '-web:1', '+web']);
  });

  test('a file named like an instance: the first one keeps the name, the other is refused naming both, and runs once the name is free', () => {
    const { r, log, applied } = recorded();
    r.set('web:2', parse({ args: ['/bin/other'] }));
    r.set('web', parse({ args: ['/bin/web'], replicas: 3 }));
    assert.deepEqual(applied(), ['+web:2', '+web:1#1', '+web:3#3']);
    assert.match(log.records.at(-1)!.msg, /^"web:2" is both a descriptor file and instance 2 of "web" \("replicas"\)/);
    r.set('web:2', null);
    assert.deepEqual(applied(), ['-web:2', '+web:2#2'], 'the file gone: instance 2 runs');

    r.set('web:3', parse({ args: ['/bin/third'] }));
    assert.deepEqual(applied(), [], 'instance 3 has the name: the file waits');
    assert.equal(log.records.filter((x) => x.level === 'error').length, 2);
    r.set('web', parse({ args: ['/bin/web'], replicas: 2 }));
    assert.deepEqual(applied(), ['+web:1#1', '+web:2#2', '-web:3', '+web:3'], 'instance 3 gone: the file runs');
  });

  test('afterNames: a replicated name stands for its instances; other names as they are', () => {
    const procs = new Map([
      ['web:1', { name: 'web:1', descriptor: { after: [], replica: { of: 'web', index: 1 } } }],
      ['web:2', { name: 'web:2', descriptor: { after: [], replica: { of: 'web', index: 2 } } }],
      ['redis', { name: 'redis', descriptor: { after: [] } }],
    ]);
    assert.deepEqual(afterNames(['redis', 'web', 'nope'], procs), ['redis', 'web:1', 'web:2', 'nope']);
    const same = ['redis'];
    assert.equal(afterNames(same, procs), same, 'nothing to expand: the list itself');
  });

  test('parse: at least 1, at most 1000; not with a schedule or an output file', () => {
    for (const [o, re] of [
      [{ args: ['/x'], replicas: 0 }, /"replicas" must be at least 1/],
      [{ args: ['/x'], replicas: 1001 }, /"replicas" must be at most 1000/],
      [{ args: ['/x'], replicas: 1.5 }, /"replicas" must be a whole number/],
      [{ args: ['/x'], replicas: 2, schedule: '* * * * *' }, /"replicas" and "schedule"/],
      [{ args: ['/x'], replicas: 2, output: '/var/log/x.log' }, /"replicas" with an output file/],
    ] as const) {
      const r = parseDescriptor(JSON.stringify(o));
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.errors.join('; '), re);
    }
  });
});

describe('replicated processes in the supervisor', () => {
  function setup(only?: string[]): { world: FakeWorld; sup: Supervisor; r: Replicas } {
    const world = new FakeWorld();
    const sup = new Supervisor(testPolicy(), world, only);
    return { world, sup, r: new Replicas((n, d) => sup.apply(n, d), world.log) };
  }

  test('each instance gets COLONY_REPLICA; changing N leaves the instances that stay running', () => {
    const { world, sup, r } = setup();
    r.set('web', parse({ args: ['/bin/web'], replicas: 2 }));
    assert.deepEqual(world.attempts.map((a) => [a.request.env.COLONY_NAME, a.request.env.COLONY_REPLICA]), [['web:1', '1'], ['web:2', '2']]);
    r.set('web', parse({ args: ['/bin/web'], replicas: 3 }));
    assert.deepEqual(world.signals(), [], 'nothing stopped');
    assert.equal(world.attempts.length, 3);
    assert.equal(sup.get('web:3')?.phase, 'running');
    r.set('web', parse({ args: ['/bin/web'], replicas: 1 }));
    assert.equal(world.signals().length, 2, 'web:3 and web:2 stopped, web:1 left alone');
  });

  test('"after": [NAME] waits for every instance to be ready', () => {
    const { world, sup, r } = setup();
    sup.batch(() => {
      r.set('web', parse({ args: ['/bin/web'], replicas: 2, ready: { file: '/tmp/never-there-colony-test' } }));
      r.set('proxy', parse({ args: ['/bin/proxy'], after: ['web'] }));
    });
    assert.deepEqual(world.spawnedArgs(), [['/bin/web'], ['/bin/web']], 'proxy waits');
    assert.ok(world.log.records.some((x) => x.proc === 'proxy' && x.msg === 'waiting for web:1, web:2 to be ready'));
  });

  test('messages: NAME reaches every instance (RESTART, STOP, SIGNAL), NAME:i one; --only NAME selects them all', () => {
    const { world, sup, r } = setup(['web']);
    r.set('web', parse({ args: ['/bin/web'], replicas: 2 }));
    r.set('other', parse({ args: ['/bin/other'] }));
    assert.deepEqual(world.spawnedArgs(), [['/bin/web'], ['/bin/web']], '--only web: its instances, not other');
    const out = sup.handle({ type: 'RESTART', name: 'web' });
    assert.ok(out.ok);
    assert.deepEqual(out.ok && out.restarting.map((x) => x.name), ['web:1', 'web:2']);
    assert.equal(world.signals().length, 2);
    for (const c of world.children.filter((c) => c.exitStatus === undefined)) c.exit({ code: null, signal: 'SIGTERM' });
    const stop = sup.handle({ type: 'STOP', name: 'web:2' });
    assert.deepEqual(stop.ok && stop.stopping, ['web:2']);
    assert.equal(sup.get('web:1')?.phase, 'running');
    assert.equal(sup.handle({ type: 'SIGNAL', name: 'web', signal: 'SIGHUP' }).ok, true);
    assert.deepEqual(sup.unknownOnly(), [], 'web is known: a replicated process');
  });
});
