// What Python users hit in containers: late logs (PYTHONUNBUFFERED), JSON logs that stop being JSON,
// and stops that overrun the runtime's grace period (--stop-timeout), as PID 1.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Colony } from '../helpers/colony.ts';
import { waitFor } from '../helpers/wait.ts';

// The machines here export PYTHONUNBUFFERED=1 themselves: colony is started without it, or this proves nothing.
const NO_ENV = { PYTHONUNBUFFERED: undefined };
const printThenSleep = { args: ['python3', '-c', "print('early line'); import time; time.sleep(1000)"] };

describe('Python in containers', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it("a Python child's line arrives when printed (PYTHONUNBUFFERED=1 by default), and not with python_unbuffered: false", async () => {
    const c = await Colony.start({ env: NO_ENV, files: { py: printThenSleep, buffered: { ...printThenSleep, python_unbuffered: false }, tick: { args: ['/bin/sh', '-c', 'while true; do echo tick; sleep 0.2; done'] } } });
    started.push(c);
    const t0 = Date.now();
    await waitFor('the line from py', () => c.output('py').includes('early line'), 10_000);
    assert.ok(Date.now() - t0 < 5000);
    // The control: block-buffered, the line is not there while time passes (15 ticks = 3 s).
    await waitFor('3 s of ticks', () => c.output('tick').length >= 15, 20_000);
    assert.deepEqual(c.output('buffered'), [], 'without PYTHONUNBUFFERED Python holds the line in its buffer');
    await c.stop();
  });

  it("a child line that is a JSON object is embedded as an object; other lines stay strings", async () => {
    const lines = ['{"level": "info", "event": "x", "n": 1}', 'plain text', '{"a": 1', '[1, 2]'];
    const c = await Colony.start({ files: { app: { args: ['/bin/sh', '-c', `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')}; exec sleep 1000`] } } });
    started.push(c);
    await waitFor('four lines', () => c.records.filter((r) => r.proc === 'app' && r.stream === 'stdout').length === 4);
    const recs = c.records.filter((r) => r.proc === 'app' && r.stream === 'stdout');
    assert.deepEqual(recs[0]!.json, { level: 'info', event: 'x', n: 1 });
    assert.equal(recs[0]!.msg, undefined);
    assert.equal(recs[0]!.level, 'info', "colony's own fields are not overwritten by the app's");
    assert.deepEqual(recs.slice(1).map((r) => r.msg), ['plain text', '{"a": 1', '[1, 2]']);
    for (const r of recs.slice(1)) assert.equal(r.json, undefined);
    // colony's own records have no "stream": that is what tells them apart from a process's lines
    assert.ok(c.records.filter((r) => r.stream === undefined).every((r) => r.proc === undefined || typeof r.msg === 'string'));
    await c.stop();
  });

  it('--log-only colony leaves the processes\' lines out; --log-only processes keeps colony to warnings and errors', async () => {
    const app = { args: ['/bin/sh', '-c', 'echo from-app; exec sleep 1000'] };
    const c = await Colony.start({ args: ['--log-only', 'colony'], files: { app } });
    started.push(c);
    await c.started('app');
    await waitFor('app ran a while', () => c.find((r) => r.msg === 'started' && r.proc === 'app'));
    await c.stop();
    assert.equal(c.count((r) => r.stream !== undefined), 0, 'no process line in the log');
    const d = await Colony.start({ args: ['--log-only', 'processes'], files: { app, bad: '{"args": oops' }, started: (x) => x.output('app').includes('from-app') });
    started.push(d);
    await waitFor('the bad descriptor error', () => d.find((r) => r.level === 'error'));
    assert.equal(d.count((r) => r.stream === undefined && (r.level === 'info' || r.level === 'debug')), 0, "no info record of colony's own");
    await d.stop();
  });

  it('text format prints a JSON line unchanged after the prefix', async () => {
    const c = await Colony.start({ args: ['--log-format', 'text'], files: { app: { args: ['/bin/sh', '-c', `echo '{"event": "x"}'; exec sleep 1000`] } } });
    started.push(c);
    await waitFor('the line', () => c.rawLines.includes('app | {"event": "x"}'));
    await c.stop();
  });

  it('--stop-timeout 3: a SIGTERM-ignoring kill_time 30 process is SIGKILLed in time, one needing 2.5 s gets them', async () => {
    const slow = { args: ['/bin/sh', '-c', "trap 'sleep 2.5; echo clean; exit 0' TERM; echo READY; while true; do sleep 1000 & wait $!; done"] };
    const stubborn = { args: ['/bin/sh', '-c', "trap '' TERM; echo READY; while true; do sleep 1000 & wait $!; done"], kill_time: 30 };
    const c = await Colony.start({ args: ['--stop-timeout', '3'], files: { slow, stubborn } });
    started.push(c);
    await waitFor('both READY', () => c.output('slow').includes('READY') && c.output('stubborn').includes('READY'));
    const warn = c.find((r) => r.level === 'warn' && r.proc === 'stubborn' && /cannot fit the 3 s shutdown budget/.test(String(r.msg)));
    assert.ok(warn, 'warned at start, naming the process');
    assert.equal(warn.field, 'kill_time');
    const t0 = Date.now();
    assert.equal((await c.stop(20_000)).code, 0);
    const took = Date.now() - t0;
    assert.ok(took >= 2400 && took < 6000, `the shutdown took ${took} ms (budget 3 s)`);
    assert.ok(c.output('slow').includes('clean'), 'the 2.5 s clean exit was allowed');
    assert.ok(c.find((r) => r.proc === 'slow' && r.code === 0), 'slow exited 0');
    assert.ok(c.find((r) => r.proc === 'stubborn' && r.signal === 'SIGKILL'), 'stubborn was SIGKILLed');
  });
});
