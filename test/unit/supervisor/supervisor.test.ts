import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDescriptor, type Descriptor } from '../../../src/descriptor/parse.ts';
import type { Outcome } from '../../../src/supervisor/messages.ts';
import { MAIN_NAME, Supervisor } from '../../../src/supervisor/supervisor.ts';
import { descriptorOf, FakeWorld, testPolicy } from '../helpers/fake-world.ts';

function setup(): { world: FakeWorld; sup: Supervisor } {
  const world = new FakeWorld();
  return { world, sup: new Supervisor(testPolicy(), world) };
}

// Why a message was refused (undefined: carried out).
function why(o: Outcome): string | undefined {
  return o.ok ? undefined : o.error;
}

function parse(text: string): Descriptor {
  const r = parseDescriptor(text);
  if (!r.ok) assert.fail(r.errors.join('; '));
  return r.descriptor;
}

// The child currently running the process `name`.
function childOf(world: FakeWorld, sup: Supervisor, name: string) {
  const pid = sup.get(name)?.pid;
  const child = world.children.find((c) => c.pid === pid && c.exitStatus === undefined);
  if (pid === undefined || !child) assert.fail(`${name} has no running child`);
  return child;
}

const WEB = descriptorOf({ args: ['/bin/web'], group: ['front'] });
const API = descriptorOf({ args: ['/bin/api'], group: ['front', 'back'] });
const JOB = descriptorOf({ args: ['/bin/job'], group: ['back'] });

describe('apply', () => {
  test('a new descriptor starts a process', () => {
    const { world, sup } = setup();
    sup.apply('web', WEB);
    assert.deepEqual(world.spawnedArgs(), [['/bin/web']]);
    assert.equal(sup.get('web')?.phase, 'running');
    assert.equal(world.last.request.env.NCOLONY_NAME, 'web');
  });

  test('the same canonical form (other key order, other spacing) changes nothing', () => {
    const { world, sup } = setup();
    sup.apply('web', parse('{"args": ["/bin/web"], "env": {"A": "1", "B": "2"}}'));
    sup.apply('web', parse('{\n  "env": {"B": "2", "A": "1"},\n  "args": ["/bin/web"]\n}\n'));
    assert.equal(world.attempts.length, 1);
    assert.deepEqual(world.signals(), []);
  });

  test('a changed descriptor restarts the process with the new definition', () => {
    const { world, sup } = setup();
    sup.apply('web', WEB);
    const first = world.last;
    sup.apply('web', descriptorOf({ args: ['/bin/web', '--v2'] }));
    assert.deepEqual(world.signals(), [`SIGTERM ${first.pid}`]);
    first.exit({ code: null, signal: 'SIGTERM' });
    assert.deepEqual(world.spawnedArgs(), [['/bin/web'], ['/bin/web', '--v2']]);
    assert.equal(sup.get('web')?.phase, 'running');
  });

  test('a change in an unknown key alone also restarts', () => {
    const { world, sup } = setup();
    sup.apply('web', descriptorOf({ args: ['/bin/web'], note: 'a' }));
    sup.apply('web', descriptorOf({ args: ['/bin/web'], note: 'b' }));
    assert.equal(world.signals().length, 1);
  });

  test('a removed descriptor stops the process for good and forgets it', () => {
    const { world, sup } = setup();
    sup.apply('web', WEB);
    sup.apply('web', null);
    assert.deepEqual(world.signals(), [`SIGTERM ${world.last.pid}`]);
    assert.equal(sup.get('web'), undefined, 'no longer addressable by name');
    assert.equal(sup.all().length, 1, 'still tracked while it stops');
    world.last.exit({ code: null, signal: 'SIGTERM' });
    assert.deepEqual(sup.all(), []);
    world.clock.advance(600_000);
    assert.equal(world.attempts.length, 1, 'not restarted');
  });

  test('removing an unknown name does nothing', () => {
    const { world, sup } = setup();
    sup.apply('ghost', null);
    assert.deepEqual(sup.all(), []);
    assert.deepEqual(world.log.records, []);
  });

  test('removed, then added back while stopping: the same process starts again with the new definition', () => {
    const { world, sup } = setup();
    sup.apply('web', WEB);
    const proc = sup.get('web');
    const first = world.last;
    sup.apply('web', null);
    sup.apply('web', descriptorOf({ args: ['/bin/web', '--back'] }));
    assert.equal(sup.get('web'), proc, 'the same instance');
    first.exit({ code: null, signal: 'SIGTERM' });
    assert.deepEqual(world.spawnedArgs(), [['/bin/web'], ['/bin/web', '--back']]);
    assert.equal(sup.get('web')?.phase, 'running');
    assert.equal(sup.all().length, 1);
  });

  test('removed and stopped, then added again: a new process starts', () => {
    const { world, sup } = setup();
    sup.apply('web', WEB);
    sup.apply('web', null);
    world.last.exit({ code: null, signal: 'SIGTERM' });
    sup.apply('web', WEB);
    assert.equal(world.attempts.length, 2);
    assert.equal(sup.get('web')?.phase, 'running');
  });

  test('a descriptor named like the main command is ignored in main mode', () => {
    const { world, sup } = setup();
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}');
    sup.apply(MAIN_NAME, WEB);
    assert.deepEqual(world.spawnedArgs(), [['/bin/main']]);
    assert.ok(world.log.records.some((r) => r.level === 'error' && /that name is the main command's/.test(r.msg)));
  });
});

  // Each process that starts (and is ready at once) asks what else can start: that question must not
  // be asked again from inside itself for every process of the scan (quadratic or worse in time and
  // garbage: 500 processes took seconds of CPU and 20 MiB more memory).
  test('a scan of 400 processes starts each once, with work linear in their number', () => {
    const { world, sup } = setup();
    const n = 400;
    let changes = 0;
    sup.changes.on(() => changes++);
    sup.batch(() => {
      for (let i = 0; i < n; i++) sup.apply(`p${i}`, descriptorOf({ args: [`/bin/p${i}`] }));
    });
    assert.equal(world.attempts.length, n);
    assert.ok(sup.all().every((p) => p.phase === 'running'));
    assert.ok(changes <= 4 * n, `${changes} change notifications for ${n} starts`);
  });

  test('a start request to a running process is not a change', () => {
    const { sup } = setup();
    sup.apply('web', WEB);
    const p = sup.get('web')!;
    let changes = 0;
    p.changes.on(() => changes++);
    p.start();
    assert.equal(changes, 0);
  });

describe('handle', () => {
  function three(): { world: FakeWorld; sup: Supervisor } {
    const s = setup();
    s.sup.apply('web', WEB);
    s.sup.apply('api', API);
    s.sup.apply('job', JOB);
    return s;
  }

  test('RESTART of an unknown name is an error naming it', () => {
    const { sup } = three();
    assert.equal(why(sup.handle({ type: 'RESTART', name: 'nope' })), 'no process named "nope"');
  });

  test('RESTART restarts that process only', () => {
    const { world, sup } = three();
    const api = childOf(world, sup, 'api');
    assert.equal(why(sup.handle({ type: 'RESTART', name: 'api' })), undefined);
    assert.deepEqual(world.signals(), [`SIGTERM ${api.pid}`]);
    api.exit({ code: null, signal: 'SIGTERM' });
    assert.deepEqual(world.spawnedArgs().at(-1), ['/bin/api']);
    assert.equal(world.attempts.length, 4);
  });

  test('RESTART-GROUP of an unknown group is an error naming it', () => {
    const { world, sup } = three();
    assert.equal(why(sup.handle({ type: 'RESTART-GROUP', group: 'nope' })), 'no process in group "nope"');
    assert.deepEqual(world.signals(), []);
  });

  test('RESTART-GROUP restarts the members of the group, and only them', () => {
    const { world, sup } = three();
    const web = childOf(world, sup, 'web');
    const api = childOf(world, sup, 'api');
    assert.equal(why(sup.handle({ type: 'RESTART-GROUP', group: 'front' })), undefined);
    assert.deepEqual(world.signals().sort(), [`SIGTERM ${web.pid}`, `SIGTERM ${api.pid}`].sort());
    web.exit({ code: null, signal: 'SIGTERM' });
    api.exit({ code: null, signal: 'SIGTERM' });
    assert.deepEqual(world.spawnedArgs().slice(3).sort(), [['/bin/api'], ['/bin/web']]);
    assert.equal(sup.get('job')?.pid, world.child(2).pid, 'job kept its child');
  });

  test('RESTART-ALL restarts every process', () => {
    const { world, sup } = three();
    assert.equal(why(sup.handle({ type: 'RESTART-ALL' })), undefined);
    assert.equal(world.signals().length, 3);
  });

  test('RESTART-ALL and RESTART-GROUP leave a scheduled job alone: it runs on its schedule only', () => {
    const { world, sup } = three();
    sup.apply('yearly', descriptorOf({ args: ['/bin/report'], group: ['back'], schedule: '0 0 1 1 *' }));
    const before = world.attempts.length;
    const all = sup.handle({ type: 'RESTART-ALL' });
    assert.deepEqual(all.ok && all.restarting.map((r) => r.name).sort(), ['api', 'job', 'web']);
    const group = sup.handle({ type: 'RESTART-GROUP', group: 'back' });
    assert.deepEqual(group.ok && group.restarting.map((r) => r.name).sort(), ['api', 'job']);
    for (const c of world.children.filter((c) => c.exitStatus === undefined)) c.exit({ code: null, signal: 'SIGTERM' });
    assert.ok(!world.spawnedArgs().slice(before).some((a) => a[0] === '/bin/report'), 'the yearly job did not run');
    assert.equal(sup.get('yearly')?.phase, 'idle');
  });

  test('a RESTART by name runs a scheduled job now (the operator asked for it)', () => {
    const { world, sup } = three();
    sup.apply('yearly', descriptorOf({ args: ['/bin/report'], schedule: '0 0 1 1 *' }));
    const outcome = sup.handle({ type: 'RESTART', name: 'yearly' });
    assert.deepEqual(outcome, { ok: true, restarting: [{ name: 'yearly', starts: 0 }] });
    assert.deepEqual(world.spawnedArgs().at(-1), ['/bin/report']);
  });

  test('the acknowledgement names what is restarted with its start count before the restart', () => {
    const { sup } = three();
    assert.deepEqual(sup.handle({ type: 'RESTART', name: 'api' }), { ok: true, restarting: [{ name: 'api', starts: 1 }] });
    assert.deepEqual(sup.handle({ type: 'RELOAD', name: 'web' }), { ok: true, restarting: [{ name: 'web', starts: 1 }] });
    assert.deepEqual(sup.handle({ type: 'SIGNAL', signal: 'SIGHUP', name: 'job' }), { ok: true, restarting: [] });
  });

  test('SIGNAL to a name reaches its main pid', () => {
    const { world, sup } = three();
    const job = childOf(world, sup, 'job');
    assert.equal(why(sup.handle({ type: 'SIGNAL', signal: 'SIGHUP', name: 'job' })), undefined);
    assert.deepEqual(world.signals(), [`SIGHUP ${job.pid}`]);
  });

  test('SIGNAL to an unknown name, or to a process that is not running, is an error', () => {
    const { world, sup } = three();
    assert.equal(why(sup.handle({ type: 'SIGNAL', signal: 'SIGHUP', name: 'nope' })), 'no process named "nope"');
    childOf(world, sup, 'web').exit({ code: 1, signal: null });
    assert.equal(why(sup.handle({ type: 'SIGNAL', signal: 'SIGHUP', name: 'web' })), 'process "web" is not running (backoff)');
  });

  test('SIGNAL to a group reaches each member', () => {
    const { world, sup } = three();
    const api = childOf(world, sup, 'api');
    const job = childOf(world, sup, 'job');
    assert.equal(why(sup.handle({ type: 'SIGNAL', signal: 'SIGUSR1', group: 'back' })), undefined);
    assert.deepEqual(world.signals().sort(), [`SIGUSR1 ${api.pid}`, `SIGUSR1 ${job.pid}`].sort());
    assert.equal(why(sup.handle({ type: 'SIGNAL', signal: 'SIGUSR1', group: 'nope' })), 'no process in group "nope"');
  });

  test('the main command cannot be restarted, but can be signalled', () => {
    const { world, sup } = setup();
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}');
    assert.match(why(sup.handle({ type: 'RESTART', name: MAIN_NAME })) ?? '', /main command cannot be restarted/);
    assert.equal(why(sup.handle({ type: 'SIGNAL', signal: 'SIGHUP', name: MAIN_NAME })), undefined);
    assert.deepEqual(world.signals(), [`SIGHUP ${world.last.pid}`]);
  });
});

describe('stop and start by request', () => {
  function two(): { world: FakeWorld; sup: Supervisor } {
    const s = setup();
    s.sup.apply('web', WEB);
    s.sup.apply('api', API);
    return s;
  }
  const down = (world: FakeWorld, sup: Supervisor, name: string): void => childOf(world, sup, name).exit({ code: null, signal: 'SIGTERM' });

  test('STOP stops a process and it stays down through RESTART-ALL, RESTART-GROUP and a descriptor change', () => {
    const { world, sup } = two();
    const stopped = sup.handle({ type: 'STOP', name: 'web' });
    assert.deepEqual(stopped, { ok: true, restarting: [], stopping: ['web'] });
    down(world, sup, 'web');
    assert.equal(sup.get('web')?.phase, 'stopped');
    assert.equal(sup.heldBy('web'), 'stopped');
    const attempts = world.attempts.length;
    const all = sup.handle({ type: 'RESTART-ALL' });
    assert.deepEqual(all.ok && all.restarting.map((r) => r.name), ['api']);
    const group = sup.handle({ type: 'RESTART-GROUP', group: 'front' });
    assert.deepEqual(group.ok && group.restarting.map((r) => r.name), ['api']);
    down(world, sup, 'api');
    sup.apply('web', descriptorOf({ args: ['/bin/web', '--v2'], group: ['front'] }));
    assert.equal(sup.get('web')?.phase, 'stopped');
    assert.ok(!world.spawnedArgs().slice(attempts).some((a) => a[0] === '/bin/web'), 'web did not start again');
    assert.equal(sup.handle({ type: 'RELOAD', name: 'web' }).ok, false);
  });

  test('START starts it again, with the definition it has now; a RESTART by name does too', () => {
    const { world, sup } = two();
    sup.handle({ type: 'STOP', name: 'web' });
    down(world, sup, 'web');
    sup.apply('web', descriptorOf({ args: ['/bin/web', '--v2'], group: ['front'] }));
    assert.deepEqual(sup.handle({ type: 'START', name: 'web' }), { ok: true, restarting: [{ name: 'web', starts: 1 }] });
    assert.deepEqual(world.spawnedArgs().at(-1), ['/bin/web', '--v2']);
    assert.equal(sup.heldBy('web'), undefined);
    sup.handle({ type: 'STOP', name: 'web' });
    down(world, sup, 'web');
    assert.deepEqual(sup.handle({ type: 'RESTART', name: 'web' }), { ok: true, restarting: [{ name: 'web', starts: 2 }] });
    assert.equal(sup.get('web')?.phase, 'running');
  });

  test('START of a running process changes nothing; START while it is being stopped starts it once stopped', () => {
    const { world, sup } = two();
    assert.deepEqual(sup.handle({ type: 'START', name: 'web' }), { ok: true, restarting: [] });
    assert.equal(world.attempts.length, 2);
    sup.handle({ type: 'STOP', name: 'web' });
    assert.equal(sup.get('web')?.phase, 'stopping');
    assert.deepEqual(sup.handle({ type: 'START', name: 'web' }), { ok: true, restarting: [{ name: 'web', starts: 1 }] });
    down(world, sup, 'web');
    assert.equal(sup.get('web')?.phase, 'running');
    assert.equal(world.attempts.length, 3);
  });

  test('STOP and START of a group; an empty group, an unknown name and the main command are refused', () => {
    const { world, sup } = two();
    const stopped = sup.handle({ type: 'STOP', group: 'front' });
    assert.deepEqual(stopped.ok && stopped.stopping?.sort(), ['api', 'web']);
    down(world, sup, 'web');
    down(world, sup, 'api');
    const started = sup.handle({ type: 'START', group: 'front' });
    assert.deepEqual(started.ok && started.restarting.map((r) => r.name).sort(), ['api', 'web']);
    assert.match(String(!sup.handle({ type: 'STOP', group: 'nobody' }).ok && 'refused'), /refused/);
    assert.deepEqual(sup.handle({ type: 'START', name: 'nope' }), { ok: false, error: 'no process named "nope"' });
    const m = setup();
    m.sup.startMain(['/bin/main'], '{"args":["/bin/main"]}');
    assert.equal(m.sup.handle({ type: 'STOP', name: MAIN_NAME }).ok, false);
  });

  test('a critical process stopped by request does not end colony', () => {
    const { world, sup } = setup();
    sup.apply('db', descriptorOf({ args: ['/bin/db'], critical: true }));
    let finished = 0;
    sup.finished.on(() => finished++);
    sup.handle({ type: 'STOP', name: 'db' });
    childOf(world, sup, 'db').exit({ code: 0, signal: null });
    assert.equal(sup.get('db')?.phase, 'stopped');
    assert.equal(finished, 0);
  });

  test('"autostart": false: defined, not started, left alone by RESTART-ALL, started by START or a RESTART by name', () => {
    const { world, sup } = setup();
    sup.apply('tool', descriptorOf({ args: ['/bin/tool'], autostart: false }));
    sup.apply('web', WEB);
    assert.deepEqual(world.spawnedArgs(), [['/bin/web']]);
    assert.equal(sup.get('tool')?.phase, 'idle');
    assert.equal(sup.heldBy('tool'), 'autostart-off');
    const all = sup.handle({ type: 'RESTART-ALL' });
    assert.deepEqual(all.ok && all.restarting.map((r) => r.name), ['web']);
    down(world, sup, 'web');
    assert.ok(!world.spawnedArgs().some((a) => a[0] === '/bin/tool'));
    assert.deepEqual(sup.handle({ type: 'START', name: 'tool' }), { ok: true, restarting: [{ name: 'tool', starts: 0 }] });
    assert.equal(sup.get('tool')?.phase, 'running');
    assert.equal(sup.heldBy('tool'), undefined);
    // Started by request, it is restarted like any other now.
    const again = sup.handle({ type: 'RESTART-ALL' });
    assert.deepEqual(again.ok && again.restarting.map((r) => r.name).sort(), ['tool', 'web']);
  });

  test('a scheduled process: STOP disarms its schedule, START arms it again without running it now', () => {
    const { world, sup } = setup();
    sup.apply('job', descriptorOf({ args: ['/bin/job'], schedule: { every: 60 } }));
    assert.ok(sup.nextRun('job'));
    sup.handle({ type: 'STOP', name: 'job' });
    assert.equal(sup.nextRun('job'), undefined);
    world.clock.advance(120_000);
    assert.equal(world.attempts.length, 0, 'no run while stopped');
    assert.deepEqual(sup.handle({ type: 'START', name: 'job' }), { ok: true, restarting: [] });
    assert.ok(sup.nextRun('job'));
    assert.equal(world.attempts.length, 0);
    world.clock.advance(61_000);
    assert.equal(world.attempts.length, 1, 'runs on its schedule again');
  });
});

describe('main command and shutdown', () => {
  test('the end of the main command reports its exit code once', () => {
    const { world, sup } = setup();
    const codes: number[] = [];
    sup.finished.on(({ code }) => codes.push(code));
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}');
    world.last.exit({ code: 3, signal: null });
    assert.deepEqual(codes, [3]);
    world.clock.advance(600_000);
    assert.equal(world.attempts.length, 1, 'the main command is never restarted');
  });

  test('shutdown stops every process and resolves once all have ended', async () => {
    const { world, sup } = setup();
    sup.apply('web', WEB);
    sup.apply('job', JOB);
    const done = sup.shutdown('test', true);
    assert.equal(world.signals().length, 2);
    let resolved: number | undefined;
    void done.then((code) => (resolved = code));
    world.child(0).exit({ code: null, signal: 'SIGTERM' });
    await Promise.resolve();
    assert.equal(resolved, undefined, 'not before the last one');
    world.child(1).exit({ code: 0, signal: null });
    assert.equal(await done, 0);
  });

  test('during shutdown, apply and handle do nothing', () => {
    const { world, sup } = setup();
    sup.apply('web', WEB);
    void sup.shutdown('test', true);
    sup.apply('api', API);
    assert.equal(why(sup.handle({ type: 'RESTART', name: 'web' })), 'colony is shutting down');
    assert.deepEqual(world.spawnedArgs(), [['/bin/web']]);
  });

  test('a main command killed by the stop signal after a requested shutdown exits 0', async () => {
    const { world, sup } = setup();
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}');
    const done = sup.shutdown('received SIGTERM', true);
    world.last.exit({ code: null, signal: 'SIGTERM' });
    assert.equal(await done, 0);
  });

  test("otherwise colony exits with the main command's code", async () => {
    const { world, sup } = setup();
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}');
    const done = sup.shutdown('received SIGTERM', true);
    world.last.exit({ code: 7, signal: null });
    assert.equal(await done, 7);
  });
});

describe('the main command as an init runs it', () => {
  test("it reads colony's stdin, writes to colony's stdout (no PYTHONUNBUFFERED then) and gets the terminal when asked", () => {
    const { world, sup } = setup();
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}', { output: 'inherit', terminal: true });
    const r = world.last.request;
    assert.equal(r.stdin, 'inherit');
    assert.equal(r.terminal, true);
    assert.equal(r.output, 'inherit');
    assert.equal(r.env.PYTHONUNBUFFERED, world.env.PYTHONUNBUFFERED, 'not added');
  });

  test('with its output in the log: piped, and stdin still colony’s', () => {
    const { world, sup } = setup();
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}', { output: 'log', terminal: false });
    const r = world.last.request;
    assert.equal(r.stdin, 'inherit');
    assert.equal(r.output, 'pipe');
    assert.equal(r.terminal, false);
  });

  test('while the main command has colony\'s stdout, output: inherit of another process goes to colony\'s stderr', () => {
    const { world, sup } = setup();
    world.stdoutTaken = true;
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}', { output: 'inherit', terminal: false });
    sup.apply('direct', descriptorOf({ args: ['/bin/direct'], output: 'inherit' }));
    assert.deepEqual(world.children.map((c) => c.request.output), ['inherit', 'stderr']);
  });

  test('the other processes keep /dev/null as stdin', () => {
    const { world, sup } = setup();
    sup.apply('web', WEB);
    assert.equal(world.last.request.stdin, undefined);
    assert.equal(world.last.request.terminal, undefined);
  });

  test('a shutdown by SIGQUIT stops the main command with SIGQUIT, the others with their stop signal', () => {
    const { world, sup } = setup();
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}', { output: 'inherit', terminal: false });
    sup.apply('web', WEB);
    void sup.shutdown('received SIGQUIT', true, undefined, 'SIGQUIT');
    assert.deepEqual(world.signals().sort(), [`SIGQUIT ${world.child(0).pid}`, `SIGTERM ${world.child(1).pid}`].sort());
  });

  test('forward to main: the signal unchanged to the main command alone; false once it has ended', () => {
    const { world, sup } = setup();
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}', { output: 'inherit', terminal: false });
    sup.apply('web', WEB);
    assert.equal(sup.forward('SIGINT', 'main'), true);
    assert.deepEqual(world.signals(), [`SIGINT ${world.child(0).pid}`]);
    world.child(0).exit({ code: 0, signal: null });
    assert.equal(sup.forward('SIGINT', 'main'), false);
  });

  test('its exit is reported as information, whatever the code: colony passes it on', () => {
    const { world, sup } = setup();
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}', { output: 'inherit', terminal: false });
    world.last.exit({ code: 3, signal: null });
    const rec = world.log.records.find((r) => r.proc === MAIN_NAME && r.msg === 'exit code 3');
    assert.equal(rec?.level, 'info');
    sup.apply('web', WEB);
    world.last.exit({ code: 3, signal: null });
    assert.equal(world.log.records.find((r) => r.proc === 'web' && r.msg === 'exit code 3')?.level, 'warn', 'any other process: a warning');
  });
});

describe('--only', () => {
  const only = (names: string[]): { world: FakeWorld; sup: Supervisor } => {
    const world = new FakeWorld();
    return { world, sup: new Supervisor(testPolicy(), world, names) };
  };
  const REDIS = descriptorOf({ args: ['/bin/redis'] });
  const WORKER = descriptorOf({ args: ['/bin/worker'], after: ['redis'], group: ['back'] });
  const WEBAPP = descriptorOf({ args: ['/bin/web'], after: ['redis'], critical: true });

  test('runs the named processes and what they are after; the others are defined, left out, never started', () => {
    const { world, sup } = only(['worker']);
    sup.batch(() => {
      sup.apply('redis', REDIS);
      sup.apply('web', WEBAPP);
      sup.apply('worker', WORKER);
    });
    assert.deepEqual(world.spawnedArgs(), [['/bin/redis'], ['/bin/worker']], 'redis (worker is after it), then worker; not web');
    assert.equal(sup.isSelected('web'), false);
    assert.equal(sup.get('web')?.phase, 'idle');
    const leftOut = world.log.records.filter((r) => r.msg === 'left out by --only: not started').map((r) => r.proc);
    assert.deepEqual(leftOut, ['web'], 'said once, for web only (redis, scanned first, is selected by worker)');
  });

  test('an empty list runs none; a name added later with an "after" brings what it needs', () => {
    const { world, sup } = only([]);
    sup.apply('redis', REDIS);
    sup.apply('web', WEBAPP);
    assert.deepEqual(world.spawnedArgs(), []);
    const s2 = only(['worker']);
    s2.sup.apply('redis', REDIS);
    assert.deepEqual(s2.world.spawnedArgs(), [], 'redis is not selected yet');
    s2.sup.apply('worker', WORKER);
    assert.deepEqual(s2.world.spawnedArgs(), [['/bin/redis'], ['/bin/worker']], 'worker is "after" redis: redis now runs too');
  });

  test('messages: a left-out process is refused by name and skipped by RESTART-ALL and RESTART-GROUP', () => {
    const { world, sup } = only(['redis']);
    sup.apply('redis', REDIS);
    sup.apply('worker', WORKER);
    assert.match(why(sup.handle({ type: 'RESTART', name: 'worker' }))!, /left out by --only/);
    assert.match(why(sup.handle({ type: 'RELOAD', name: 'worker' }))!, /left out by --only/);
    assert.match(why(sup.handle({ type: 'SIGNAL', name: 'worker', signal: 'SIGHUP' }))!, /left out by --only/);
    assert.match(why(sup.handle({ type: 'RESTART-GROUP', group: 'back' }))!, /no process in group "back" that --only selects/);
    assert.deepEqual(sup.handle({ type: 'RESTART-ALL' }), { ok: true, restarting: [{ name: 'redis', starts: 1 }] });
    world.last.exit({ code: null, signal: 'SIGTERM' });
    assert.deepEqual(world.spawnedArgs(), [['/bin/redis'], ['/bin/redis']], 'only redis was restarted');
  });

  test('a left-out scheduled process is not scheduled; unknown names are reported', () => {
    const { world, sup } = only(['redis', 'ghost']);
    sup.apply('redis', REDIS);
    sup.apply('nightly', descriptorOf({ args: ['/bin/job'], schedule: { every: 1 } }));
    assert.equal(sup.nextRun('nightly'), undefined);
    world.clock.advance(5000);
    assert.deepEqual(world.spawnedArgs(), [['/bin/redis']]);
    assert.deepEqual(sup.unknownOnly(), ['ghost']);
  });
});

describe('the main command beside --only', () => {
  const REDIS = descriptorOf({ args: ['/bin/redis'], ready: { tcp: '127.0.0.1:6379', timeout: 120 } });
  const WORKER = descriptorOf({ args: ['/bin/worker'], after: ['redis'] });
  const start = (only: string[] | undefined) => {
    const world = new FakeWorld();
    const sup = new Supervisor(testPolicy(), world, only);
    sup.startMain(['/bin/main'], '{"args":["/bin/main"]}', { output: 'inherit', terminal: false });
    return { world, sup };
  };
  const mainStarted = (world: FakeWorld): boolean => world.spawnedArgs().some((a) => a[0] === '/bin/main');

  test('without --only (or with an empty one) it starts at once', () => {
    assert.equal(mainStarted(start(undefined).world), true);
    assert.equal(mainStarted(start([]).world), true);
  });

  test('it waits for the scan and for what --only selects to be ready, then starts', () => {
    const { world, sup } = start(['worker']);
    assert.equal(mainStarted(world), false, 'not before the config directory is known');
    sup.batch(() => {
      sup.apply('redis', descriptorOf({ args: ['/bin/redis'] }));
      sup.apply('worker', WORKER);
    });
    sup.firstScanDone();
    // redis and worker have no ready probe: ready once running, which they are at once here.
    assert.deepEqual(world.spawnedArgs(), [['/bin/redis'], ['/bin/worker'], ['/bin/main']]);
  });

  test('a process held down ("autostart": false) is not waited for', () => {
    const { world, sup } = start(['tool', 'worker']);
    sup.batch(() => {
      sup.apply('tool', descriptorOf({ args: ['/bin/tool'], autostart: false }));
      sup.apply('redis', descriptorOf({ args: ['/bin/redis'] }));
      sup.apply('worker', WORKER);
    });
    sup.firstScanDone();
    assert.deepEqual(world.spawnedArgs(), [['/bin/redis'], ['/bin/worker'], ['/bin/main']]);
  });

  test('a process that has ended for good is not waited for (a one-off setup before the command)', () => {
    const { world, sup } = start(['setup']);
    sup.apply('setup', descriptorOf({ args: ['/bin/setup'], restart: 'never', ready: { file: '/nonexistent' } }));
    sup.firstScanDone();
    assert.equal(mainStarted(world), false, 'setup runs, not ready yet');
    world.last.exit({ code: 0, signal: null });
    assert.equal(sup.get('setup')?.phase, 'exited');
    assert.equal(mainStarted(world), true);
  });

  test('at most the longest readiness timeout (here 120 s), then it starts with a warning naming what is not ready', () => {
    const { world, sup } = start(['redis']);
    sup.apply('redis', REDIS);
    sup.firstScanDone();
    assert.equal(mainStarted(world), false);
    world.clock.advance(119_000);
    assert.equal(mainStarted(world), false);
    world.clock.advance(1_000);
    assert.equal(mainStarted(world), true);
    assert.ok(world.log.records.some((r) => r.level === 'warn' && r.msg === 'starting the main command although redis is not ready after 120 s'));
  });

  test('the bound adds up the readiness timeouts along an "after" chain (db 50 s, then web 40 s: 90 s)', () => {
    const { world, sup } = start(['web']);
    sup.batch(() => {
      sup.apply('db', descriptorOf({ args: ['/bin/db'], ready: { tcp: '127.0.0.1:1', timeout: 50 } }));
      sup.apply('web', descriptorOf({ args: ['/bin/web'], after: ['db'], ready: { tcp: '127.0.0.1:1', timeout: 40 } }));
    });
    sup.firstScanDone();
    world.clock.advance(89_000);
    assert.equal(mainStarted(world), false);
    world.clock.advance(1_000);
    assert.equal(mainStarted(world), true);
  });

  test('a shutdown before it starts: it never starts, colony ends', async () => {
    const { world, sup } = start(['redis']);
    sup.apply('redis', REDIS);
    sup.firstScanDone();
    const done = sup.shutdown('received SIGTERM', true);
    world.child(0).exit({ code: null, signal: 'SIGTERM' });
    assert.equal(await done, 0);
    world.clock.advance(600_000);
    assert.equal(mainStarted(world), false);
  });
});

describe('--only follows "after" lists as they change', () => {
  test('a process no longer selected is stopped; selected again, it starts again', () => {
    const world = new FakeWorld();
    const sup = new Supervisor(testPolicy(), world, ['web']);
    sup.batch(() => {
      sup.apply('db', descriptorOf({ args: ['/bin/db'] }));
      sup.apply('web', descriptorOf({ args: ['/bin/web'], after: ['db'] }));
    });
    assert.deepEqual(world.spawnedArgs(), [['/bin/db'], ['/bin/web']]);
    const db = world.child(0);
    sup.apply('web', descriptorOf({ args: ['/bin/web'] })); // web no longer waits for db
    assert.ok(world.signals().includes(`SIGTERM ${db.pid}`), 'db is stopped');
    assert.ok(world.log.records.some((r) => r.proc === 'db' && r.msg === 'no longer selected by --only: stopping'));
    db.exit({ code: null, signal: 'SIGTERM' });
    assert.equal(sup.get('db')?.phase, 'stopped');
    world.clock.advance(120_000);
    assert.equal(world.spawnedArgs().filter((a) => a[0] === '/bin/db').length, 1, 'not restarted');
    sup.apply('web', descriptorOf({ args: ['/bin/web'], after: ['db'] }));
    assert.equal(world.spawnedArgs().filter((a) => a[0] === '/bin/db').length, 2, 'selected again: started again');
    assert.equal(sup.get('db')?.phase, 'running');
  });
});
