// sd_notify and the main pid handed over, through a real colony (PID 1) and a Python fixture that
// speaks the protocol (test/fixtures/notify.py): READY=1 gates "after", STATUS= in ctl status, a
// descendant's READY=1 counts, a forged message from an unrelated process is ignored, the watchdog
// restarts a process that stops pinging, and a successor named by a pidfile or MAINPID= becomes the
// main pid without a restart, stopped gracefully by colony's shutdown.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES, runCli, writeAtomic, type Rec } from '../helpers/colony.ts';
import { cmdline, nsPid } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';
import type { ProcessStatus } from '../../src/status/file.ts';

const PY = '/usr/bin/python3';
const NOTIFY = join(FIXTURES, 'notify.py');
const svc = (steps: string[], extra: object = {}): object => ({ args: [PY, NOTIFY, ...steps], ...extra });

const proc = (c: Colony, name: string): ProcessStatus | undefined => c.processStatus(name);

// The host pid of the process whose command line ends with these words.
function hostPid(c: Colony, tail: string): number | undefined {
  return c.processes().find((p) => cmdline(p).join(' ').endsWith(tail));
}

describe('sd_notify', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });
  const start = async (files: Record<string, object>): Promise<Colony> => {
    const c = await Colony.start({ files });
    started.push(c);
    return c;
  };

  it('READY=1 gates "after": the dependent starts only once it came; STATUS= is in ctl status', async () => {
    const c = await start({
      web: svc(['sleep=2', 'send=STATUS=warming up', 'send=READY=1\\nSTATUS=serving', 'forever'], { ready: { notify: true } }),
      dependent: { args: ['sleep', '1021'], after: ['web'] },
    });
    await c.started('web');
    await c.waitRecord('web waits', (r) => r.proc === 'dependent' && r.msg === 'waiting for web to be ready');
    const ready = await c.waitRecord('web ready by READY=1', (r) => r.proc === 'web' && r.msg === 'ready', 20_000);
    assert.equal(ready.probe, 'READY=1');
    const dep = await c.waitRecord('dependent started', (r) => r.proc === 'dependent' && r.msg === 'started');
    assert.ok(c.records.indexOf(dep) > c.records.indexOf(ready), 'the dependent started before READY=1');
    const webStart = c.find((r) => r.proc === 'web' && r.msg === 'started')!;
    assert.ok(Number(ready.time) - Number(webStart.time) >= 1900, `READY=1 came ${Number(ready.time) - Number(webStart.time)} ms after the start: not after the 2 s sleep`);
    await waitFor('STATUS= in the state file', () => proc(c, 'web')?.notifyStatus === 'serving');
    const table = await runCli(['ctl', '--state', c.dirs.state, '--messages', c.dirs.messages, 'status']);
    assert.match(table.stdout, /^web\s+running\s+\d+.*serving$/m, table.stdout);
    assert.equal((await c.stop()).code, 0);
  });

  it('not ready in time without READY=1: restarted; a READY=1 from a child of the process counts', async () => {
    const c = await start({
      silent: svc(['forever'], { ready: { notify: true, timeout: 1 } }),
      wrapper: svc(['child-send=READY=1', 'forever'], { ready: { notify: true } }),
    });
    await c.waitRecord('silent restarted', (r) => r.proc === 'silent' && /^not ready in time \(no READY=1 over NOTIFY_SOCKET\); restarting/.test(String(r.msg)), 15_000);
    await c.waitRecord('wrapper ready by its child', (r) => r.proc === 'wrapper' && r.msg === 'ready', 15_000);
    assert.equal((await c.stop()).code, 0);
  });

  it('a message from a process that is not the process nor its descendant is ignored', async () => {
    const c = await start({ web: svc(['forever'], { ready: { notify: true, timeout: 60 } }) });
    await c.started('web');
    const web = await waitFor('web running', () => hostPid(c, 'notify.py forever'));
    const env = readFileSync(`/proc/${web}/environ`, 'latin1').split('\0');
    const address = env.find((e) => e.startsWith('NOTIFY_SOCKET='))?.slice('NOTIFY_SOCKET='.length);
    assert.match(String(address), /^@colony\//);
    // Another supervised process (inside colony's pid namespace, so the kernel names its pid) forges web's READY=1.
    writeAtomic(c.dirs.config, 'forger.json', { args: [PY, NOTIFY, 'send=READY=1\\nSTATUS=forged', 'forever'], env: { NOTIFY_SOCKET: address }, restart: 'never' });
    const warn = await c.waitRecord('the forged message ignored', (r) => r.msg === 'notify message ignored: its sender is no supervised process nor one of their descendants', 15_000);
    assert.equal(warn.level, 'warn');
    const forger = await waitFor('the forger running', () => hostPid(c, 'notify.py send=READY=1\\nSTATUS=forged forever'));
    assert.equal(warn.pid, nsPid(forger));
    assert.equal(proc(c, 'web')?.ready, false);
    assert.equal(proc(c, 'web')?.notifyStatus, undefined);
    assert.equal(c.find((r) => r.proc === 'web' && r.msg === 'ready'), undefined);
    assert.equal((await c.stop()).code, 0);
  });

  it('the watchdog restarts a process that stops sending WATCHDOG=1, not one that keeps sending it', async () => {
    const c = await start({
      stalls: svc(['watchdog=0.2,5', 'forever'], { watchdog: 1 }),
      keeps: svc(['watchdog=0.2,100000'], { watchdog: 1 }),
    });
    await c.started('stalls');
    const env = readFileSync(`/proc/${await waitFor('stalls running', () => hostPid(c, 'notify.py watchdog=0.2,5 forever'))}/environ`, 'latin1');
    assert.match(env, /\0WATCHDOG_USEC=1000000\0/);
    const fired = await c.waitRecord('the watchdog fired', (r) => r.proc === 'stalls' && r.msg === 'watchdog: no WATCHDOG=1 within 1 s; restarting', 15_000);
    assert.equal(fired.level, 'error');
    await c.started('stalls', c.records.indexOf(fired));
    assert.equal(c.count((r) => r.proc === 'keeps' && typeof r.msg === 'string' && r.msg.startsWith('watchdog')), 0);
    assert.equal(proc(c, 'keeps')?.restarts, 0);
    assert.equal((await c.stop()).code, 0);
  });
});

describe('main pid handed over', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  // The successor runs as the main pid: same run (no restart, same uptime), signals and the stop go to it.
  async function handedOver(c: Colony, name: string, by: RegExp): Promise<void> {
    const before = await waitFor(`${name} running`, () => (proc(c, name)?.state === 'running' ? proc(c, name) : undefined));
    const rec = await c.waitRecord('handed over', (r: Rec) => r.proc === name && by.test(String(r.msg)), 15_000);
    const successor = c.processes().find((p) => nsPid(p) === rec.pid);
    assert.ok(successor, `pid ${String(rec.pid)} is no process under colony`);
    assert.deepEqual(c.output(name).filter((l) => l.startsWith('successor pid ')), [`successor pid ${String(rec.pid)}`]);
    await waitFor('the status names the successor', () => proc(c, name)?.pid === rec.pid);
    const now = proc(c, name)!;
    assert.equal(now.state, 'running');
    assert.equal(now.restarts, 0);
    assert.equal(now.since, before.since, 'uptime restarted');
    assert.equal(c.count((r) => r.proc === name && r.msg === 'started'), 1);
    // colony's shutdown stops the successor with the stop signal (it exits 0 on SIGTERM), waited for through the reaper.
    const exit = await c.stop();
    assert.equal(exit.code, 0);
    const end = c.find((r) => r.proc === name && r.pid === rec.pid && r.msg === 'exit code 0');
    assert.ok(end, `no exit of the successor in the log:\n${c.log()}`);
  }

  it('"pidfile": the pid written there after the main pid exited becomes the main pid', async () => {
    const c = await Colony.start({ files: {} });
    started.push(c);
    const pidfile = join(c.dirs.dir, 'byfile.pid');
    writeAtomic(c.dirs.config, 'byfile.json', { args: [PY, NOTIFY, `handover=${pidfile}`], pidfile });
    await handedOver(c, 'byfile', /^main pid handed over: \d+ → \d+ \(pidfile /);
  });

  it('MAINPID= names the successor', async () => {
    const c = await Colony.start({ files: { named: { args: [PY, NOTIFY, 'mainpid'], ready: { notify: true } } } });
    started.push(c);
    await handedOver(c, 'named', /^main pid handed over: \d+ → \d+ \(MAINPID=\)/);
  });

  it('without a pidfile or MAINPID= the exit of the main pid is the exit of the process', async () => {
    const c = await Colony.start({ files: { plain: { args: [PY, NOTIFY, `handover=/nonexistent-dir/x.pid`], restart: 'never' } } });
    started.push(c);
    await c.waitRecord('plain exited', (r) => r.proc === 'plain' && r.msg === 'exit code 0', 15_000);
    assert.equal(c.find((r) => typeof r.msg === 'string' && r.msg.startsWith('main pid handed over')), undefined);
    await c.destroy();
  });
});
