// ctl events from a real colony (PID 1): every state change of a process, in order, during a burst of
// RESTART messages and a kill -9, followed as it happens; the kept records and -n; a process filter.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { BUNDLE, Colony, NODE, runCli, shArgs, writeAtomic } from '../helpers/colony.ts';
import { cmdline } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

interface Ev {
  time: string;
  proc: string;
  event: 'state' | 'health' | 'ready';
  from: string | null;
  to: string;
  pid: number | null;
  restarts: number;
  code?: number | null;
  signal?: string | null;
  reason?: string;
}

const parse = (text: string): Ev[] => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);

describe('ctl events', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });
  const ctl = (c: Colony, ...args: string[]) => runCli(['ctl', '--messages', c.dirs.messages, ...args]);

  it('follows every state change in order through a burst of 30 RESTART messages and a kill -9', async () => {
    const c = await Colony.start({ files: { web: { args: shArgs('exec sleep 1004') }, other: { args: shArgs('exec sleep 1005') } } });
    started.push(c);
    await c.started('web');
    const f = spawn(NODE, [BUNDLE, 'ctl', '--messages', c.dirs.messages, 'events', '-f', 'web'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    f.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const closed = new Promise<number | null>((r) => f.on('close', r));
    await new Promise((r) => setTimeout(r, 300)); // the follower attached (it prints only what comes after)
    const BURST = 30;
    for (let i = 0; i < BURST; i++) writeAtomic(c.dirs.messages, `restart-${i}`, { type: 'RESTART', name: 'web' });
    await waitFor(`${BURST} restarts carried out`, () => c.count((r) => r.msg === 'message handled') === BURST, 30_000);
    await waitFor('web running again', async () => /web\s+running/.test((await ctl(c, 'status')).stdout), 20_000);
    const victim = c.processes().find((p) => cmdline(p).join(' ') === 'sleep 1004')!;
    process.kill(victim, 'SIGKILL');
    await waitFor('the kill -9 followed', () => parse(out).some((e) => e.signal === 'SIGKILL'), 20_000);
    await waitFor('web running after it', () => parse(out).at(-1)?.to === 'true' || parse(out).filter((e) => e.event === 'state').at(-1)?.to === 'running', 20_000);
    f.kill('SIGINT');
    assert.equal(await closed, 0);

    const events = parse(out);
    assert.ok(events.every((e) => e.proc === 'web'), 'only the process asked for');
    const states = events.filter((e) => e.event === 'state');
    for (let i = 1; i < states.length; i++) assert.equal(states[i]!.from, states[i - 1]!.to, `in order, none missing: record ${i} starts where ${i - 1} ended\n${out}`);
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.time >= events[i - 1]!.time, 'times never go back');
    const requested = states.filter((e) => e.reason === 'requested').length;
    const final = states.at(-1)!;
    assert.ok(requested >= 1, 'the restarts show as requested exits');
    const killed = states.filter((e) => e.reason === 'signal');
    assert.equal(killed.length, 1, 'one unrequested exit: the kill -9');
    assert.equal(killed[0]!.signal, 'SIGKILL');
    assert.equal(final.to, 'running');
    // Every run that ended is one record with its reason; restarts (the records' own count) = requested + signal.
    assert.equal(final.restarts, requested + killed.length, `each run that ended is in the records (restarts ${final.restarts}, requested ${requested}, killed 1)`);
    const pids = states.filter((e) => e.to === 'running').map((e) => e.pid);
    assert.equal(new Set(pids).size, pids.length, 'each run its own pid');

    // Kept: ctl events lists the same records (and -n the last ones); other is there without a filter.
    const kept = parse((await ctl(c, 'events', 'web')).stdout);
    assert.deepEqual(kept.slice(-events.length), events, 'the kept records end with what was followed');
    assert.deepEqual(parse((await ctl(c, 'events', '-n', '2', 'web')).stdout), kept.slice(-2));
    assert.ok(parse((await ctl(c, 'events')).stdout).some((e) => e.proc === 'other' && e.to === 'running'));
    assert.equal((await c.stop()).code, 0);
  });

  it('a failing process: its exits carry the code and reason, and the last record says it failed', async () => {
    const c = await Colony.start({ files: { bad: { args: shArgs('exit 3'), max_fast_restarts: 2 } } });
    started.push(c);
    await waitFor('bad failed', async () => parse((await ctl(c, 'events', 'bad')).stdout).some((e) => e.to === 'failed'), 20_000);
    const states = parse((await ctl(c, 'events', 'bad')).stdout).filter((e) => e.event === 'state');
    const exits = states.filter((e) => e.reason !== undefined);
    assert.equal(exits.length, 3);
    assert.ok(exits.every((e) => e.code === 3 && e.reason === 'failure'));
    assert.equal(states.at(-1)!.to, 'failed');
    assert.equal((await ctl(c, 'events', '-n', 'x')).code, 100, 'a bad -n is a usage error');
    assert.equal((await c.stop()).code, 0);
  });
});
