// Signals to colony are forwarded (HUP, USR1, USR2, WINCH, TTIN, TTOU) to every main pid; stopping
// is SIGTERM, kill time, then SIGKILL to the whole process group; nothing of a process is left behind.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES, writeAtomic } from '../helpers/colony.ts';
import { alive, children } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const FORWARDED = ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGTTIN', 'SIGTTOU'] as const;

describe('signals and stopping', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it('forwards each listed signal to every process (main command included), and keeps running', async () => {
    const sig = { args: ['/bin/sh', join(FIXTURES, 'signals.sh')] };
    const c = await Colony.start({ files: { one: sig, two: sig }, main: ['/bin/sh', join(FIXTURES, 'signals.sh')] });
    started.push(c);
    await waitFor('all READY', () => ['one', 'two', 'main'].every((n) => c.output(n).includes('READY')));
    for (const s of FORWARDED) {
      c.signal(s);
      await waitFor(`${s} reached every process`, () => ['one', 'two', 'main'].every((n) => c.output(n).includes(`got ${s}`)), 5000);
    }
    assert.equal(c.count((r) => r.msg === 'started'), 3, 'no process was restarted');
    assert.equal((await c.stop()).code, 0);
  });

  it('a child that ignores SIGTERM is SIGKILLed (with its group) after the kill time', async () => {
    const c = await Colony.start({ files: { stubborn: { args: ['/bin/sh', join(FIXTURES, 'ignore-term.sh')] } }, args: ['--killtime', '1'] });
    started.push(c);
    await waitFor('READY', () => c.output('stubborn').includes('READY'));
    const t0 = Date.now();
    assert.equal((await c.stop()).code, 0);
    const took = Date.now() - t0;
    assert.ok(took >= 900, `SIGKILL must wait for the kill time (took ${took} ms)`);
    assert.ok(c.find((r) => r.proc === 'stubborn' && /sending SIGKILL/.test(String(r.msg))));
    assert.ok(c.find((r) => r.proc === 'stubborn' && r.signal === 'SIGKILL'));
  });

  it("a shell wrapper's background children are gone after a stop (remove) and after a restart", async () => {
    const wrapper = { args: ['/bin/sh', join(FIXTURES, 'wrapper.sh')] };
    const c = await Colony.start({ files: { wrap: wrapper } });
    started.push(c);
    await waitFor('READY', () => c.output('wrap').includes('READY'));
    const kidsOf = (from: number): number[] => c.output('wrap').slice(from).filter((l) => l.startsWith('child ')).map((l) => Number(l.split(' ')[1]));
    const ns = c.processes();
    assert.equal(ns.length, 3, 'sh and two sleeps');
    // restart: the old sleeps must go (they are in the old group)
    const before = c.processes();
    const lines = c.output('wrap').length;
    const m = c.mark;
    writeAtomic(c.dirs.messages, 'r', { type: 'RESTART', name: 'wrap' });
    await c.started('wrap', m);
    await waitFor('new READY', () => c.output('wrap').slice(lines).includes('READY'));
    await waitFor('old group gone', () => before.every((p) => !alive(p)), 5000);
    assert.equal(kidsOf(lines).length, 2);
    // remove: everything goes
    const now = c.processes();
    const m2 = c.mark;
    (await import('node:fs')).unlinkSync(join(c.dirs.config, 'wrap'));
    await c.waitRecord('wrap stopped', (r) => r.proc === 'wrap' && r.msg === 'stopped', 10_000, m2);
    assert.ok(now.every((p) => !alive(p)), 'no member of the group is left');
    assert.equal(children(c.pid).length, 0);
    await c.stop();
  });

  it('lines printed while stopping are in the log before colony exits (the pipes are drained)', async () => {
    const script = "import os, signal, time\nsignal.signal(signal.SIGTERM, lambda *a: (print('got SIGTERM', flush=True), os._exit(0)))\nprint('READY', flush=True)\ntime.sleep(1000)";
    const files: Record<string, object> = {};
    for (let i = 0; i < 9; i++) files[`py${i}`] = { args: ['python3', '-c', script] };
    for (let round = 0; round < 3; round++) {
      const c = await Colony.start({ files });
      started.push(c);
      await waitFor('all READY', () => Object.keys(files).every((n) => c.output(n).includes('READY')), 20_000);
      assert.equal((await c.stop()).code, 0);
      const missing = Object.keys(files).filter((n) => !c.output(n).includes('got SIGTERM'));
      assert.deepEqual(missing, [], `round ${round}: lines lost at exit`);
    }
  });

  it('a restart does not wait for a grandchild that holds the pipes', async () => {
    const c = await Colony.start({ files: { holder: { args: ['/bin/sh', join(FIXTURES, 'grandchild-pipe.sh')] } } });
    started.push(c);
    await waitFor('READY', () => c.output('holder').includes('READY'));
    const first = await c.started('holder');
    const m = c.mark;
    writeAtomic(c.dirs.messages, 'r', { type: 'RESTART', name: 'holder' });
    const second = await c.started('holder', m, 3000);
    assert.notEqual(second, first);
    await c.stop();
  });
});
