// NColony's directories run unchanged: descriptor files (with and without .json), environment
// rules, and the three message types (plus SIGNAL), as a real PID 1.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES, messageFiles, writeAtomic } from '../helpers/colony.ts';
import { alive, children } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const sleeper = (group: string[] = []): object => ({ args: ['/bin/sh', join(FIXTURES, 'signals.sh')], group });

describe('NColony-format directories', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it('runs files with and without .json, with NColony env rules and NCOLONY_* variables', async () => {
    const inherit = { args: [join(FIXTURES, 'env.sh'), 'FOO', 'HOME', 'UNSET_VAR', 'FROM_COLONY', 'NCOLONY_NAME', 'COLONY_NAME'], env: { FOO: 'bar' }, env_inherit: ['HOME', 'UNSET_VAR'] };
    const all = { args: [join(FIXTURES, 'env.sh'), 'FROM_COLONY', 'FOO', 'NCOLONY_NAME'], env: { FOO: 'over' } };
    const c = await Colony.start({ files: { plain: inherit, 'withext.json': all }, env: { FROM_COLONY: 'yes', HOME: '/home/x', UNSET_VAR: undefined } });
    started.push(c);
    await waitFor('plain to print its environment', () => c.output('plain').length >= 6);
    assert.deepEqual(c.output('plain'), ['FOO=bar', 'HOME=/home/x', 'UNSET_VAR=', 'FROM_COLONY unset', 'NCOLONY_NAME=plain', 'COLONY_NAME=plain']);
    await waitFor('withext to print its environment', () => c.output('withext').length >= 3);
    assert.deepEqual(c.output('withext'), ['FROM_COLONY=yes', 'FOO=over', 'NCOLONY_NAME=withext']);
    assert.equal((await c.stop()).code, 0);
  });

  it('passes the raw file as NCOLONY_CONFIG', async () => {
    const text = '{"args": ["/bin/sh", "-c", "printf %s \\"$NCOLONY_CONFIG\\"; echo; exec sleep 1000"], "ncolony.beatcheck": {"period": 3}}';
    const c = await Colony.start({ files: { cfg: text } });
    started.push(c);
    await waitFor('cfg output', () => c.output('cfg').length > 0);
    // The child printed the file's text; being a JSON object, colony's JSON log embeds it as one.
    const rec = c.find((r) => r.proc === 'cfg' && r.stream === 'stdout');
    assert.deepEqual(rec?.json, JSON.parse(text));
    await c.stop();
  });

  it('RESTART gives the process a new pid; RESTART-ALL restarts all; RESTART-GROUP only the group', async () => {
    const c = await Colony.start({ files: { a: sleeper(['g1']), b: sleeper(['g1', 'g2']), c: sleeper(['g2']) } });
    started.push(c);
    const pid = { a: await c.started('a'), b: await c.started('b'), c: await c.started('c') };

    let m = c.mark;
    writeAtomic(c.dirs.messages, 'm1', { type: 'RESTART', name: 'a' });
    const a2 = await c.started('a', m);
    assert.notEqual(a2, pid.a);

    m = c.mark;
    writeAtomic(c.dirs.messages, 'm2', { type: 'RESTART-GROUP', group: 'g2' });
    const [b2, c2] = [await c.started('b', m), await c.started('c', m)];
    assert.notEqual(b2, pid.b);
    assert.notEqual(c2, pid.c);
    await c.waitRecord('group message handled', (r) => r.msg === 'message handled', 5000, m);
    assert.equal(c.count((r) => r.proc === 'a' && r.msg === 'started'), 2, 'a is not in g2 and must not restart');

    m = c.mark;
    writeAtomic(c.dirs.messages, 'm3', { type: 'RESTART-ALL' });
    for (const name of ['a', 'b', 'c']) await c.started(name, m);
    await waitFor('messages directory empty', () => messageFiles(c.dirs.messages).length === 0);
    // exactly one instance of each: three processes under colony
    await waitFor('three processes', () => children(c.pid).filter(alive).length === 3);
    await c.stop();
  });

  it('SIGNAL sends a signal to a process (by name) or to a group', async () => {
    const c = await Colony.start({ files: { s1: sleeper(['sig']), s2: sleeper(['sig']) } });
    started.push(c);
    await waitFor('READY', () => c.output('s1').includes('READY') && c.output('s2').includes('READY'));
    writeAtomic(c.dirs.messages, 'sig1', { type: 'SIGNAL', name: 's1', signal: 'SIGUSR2' });
    await waitFor('s1 got SIGUSR2', () => c.output('s1').includes('got SIGUSR2'));
    writeAtomic(c.dirs.messages, 'sig2', { type: 'SIGNAL', group: 'sig', signal: 'HUP' });
    await waitFor('both got SIGHUP', () => c.output('s1').includes('got SIGHUP') && c.output('s2').includes('got SIGHUP'));
    assert.ok(!c.output('s2').includes('got SIGUSR2'));
    await c.stop();
  });

  it('handles messages already present at start-up, once', async () => {
    const c = await Colony.start({ files: { early: sleeper() }, messages: { pending: { type: 'RESTART', name: 'early' } } });
    started.push(c);
    await waitFor('early started twice', () => c.count((r) => r.proc === 'early' && r.msg === 'started') === 2);
    await waitFor('message consumed', () => messageFiles(c.dirs.messages).length === 0);
    await c.stop();
  });

  it('moves bad messages aside with a log line naming the file and the reason, and keeps handling others', async () => {
    const c = await Colony.start({ files: { ok: sleeper() } });
    started.push(c);
    const first = await c.started('ok');
    const bad: Record<string, string> = {
      garbage: 'this is { not json',
      unknowntype: '{"type": "EXPLODE"}',
      unknownname: '{"type": "RESTART", "name": "nobody"}',
      badsignal: '{"type": "SIGNAL", "name": "ok", "signal": "SIGNOPE"}',
      traversal: '{"type": "RESTART", "name": "../etc/passwd"}',
    };
    // Old enough to be past the settle time for half-written files.
    for (const [name, text] of Object.entries(bad)) writeAtomic(c.dirs.messages, name, text);
    const m = c.mark;
    writeAtomic(c.dirs.messages, 'good', { type: 'RESTART', name: 'ok' });
    const second = await c.started('ok', m);
    assert.notEqual(second, first);
    for (const name of Object.keys(bad)) {
      await waitFor(`${name} moved aside`, () => existsSync(join(c.dirs.messages, `.rejected.${name}`)), 5000);
      const rec = await c.waitRecord(`a log line naming ${name}`, (r) => r.level === 'error' && r.file === join(c.dirs.messages, name));
      assert.match(String(rec.msg), /message rejected: /);
    }
    assert.match(String(c.find((r) => r.file === join(c.dirs.messages, 'unknowntype'))!.msg), /unknown message type "EXPLODE"/);
    assert.match(String(c.find((r) => r.file === join(c.dirs.messages, 'unknownname'))!.msg), /no process named "nobody"/);
    assert.match(String(c.find((r) => r.file === join(c.dirs.messages, 'badsignal'))!.msg), /SIGNOPE/);
    // still watching: another good message works
    const m2 = c.mark;
    writeAtomic(c.dirs.messages, 'good2', { type: 'RESTART', name: 'ok' });
    await c.started('ok', m2);
    await c.stop();
  });
});
