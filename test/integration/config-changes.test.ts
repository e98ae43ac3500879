// The config directory followed through inotify: add starts, change restarts with the new
// definition, remove stops for good; bad input is reported once and never stops the watching.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES, shDescriptor, writeAtomic } from '../helpers/colony.ts';
import { alive, children, cmdline } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const idle = (tag: string): object => shDescriptor(`echo ${tag}; exec sleep 1000${tag.length}`);

describe('config directory changes', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it('add starts, change restarts with the new definition, same content does nothing, remove stops for good', async () => {
    const c = await Colony.start();
    started.push(c);
    writeAtomic(c.dirs.config, 'svc.json', idle('one'));
    await waitFor('svc prints one', () => c.output('svc').includes('one'));
    const first = await c.started('svc');

    // The same content with other whitespace and key order: not a change.
    let m = c.mark;
    writeAtomic(c.dirs.config, 'svc.json', `{ "args" : ${JSON.stringify((idle('one') as { args: string[] }).args)} }\n`);
    writeAtomic(c.dirs.config, 'other', idle('x'));
    await c.started('other', m);
    assert.equal(c.count((r) => r.proc === 'svc' && r.msg === 'started'), 1, 'unchanged content must not restart');

    m = c.mark;
    writeAtomic(c.dirs.config, 'svc.json', idle('two'));
    const second = await c.started('svc', m);
    assert.notEqual(second, first);
    await waitFor('svc prints two', () => c.output('svc').includes('two'));

    m = c.mark;
    unlinkSync(join(c.dirs.config, 'svc.json'));
    await c.waitRecord('svc stopped', (r) => r.proc === 'svc' && r.msg === 'stopped', 10_000, m);
    await waitFor('only other is left', () => {
      const kids = children(c.pid).filter(alive);
      return kids.length === 1 && cmdline(kids[0]!).join(' ').includes('sleep 10001');
    });
    assert.equal((await c.stop()).code, 0);
    assert.equal(c.count((r) => r.proc === 'svc' && r.msg === 'started'), 2, 'removed means never restarted');
  });

  it('bad inputs are reported with the file and the reason, and good files that follow still work', async () => {
    const c = await Colony.start({ files: { keep: idle('keep') } });
    started.push(c);
    const keepPid = await c.started('keep');
    const bad: Record<string, string> = {
      broken: '{"args": ["/bin/true"',
      notobject: '[1, 2]',
      noargs: '{"env": {}}',
      badtype: '{"args": "/bin/sleep 10"}',
      badenv: '{"args": ["/bin/true"], "env": {"A": 1}}',
    };
    for (const [name, text] of Object.entries(bad)) writeAtomic(c.dirs.config, name, text);
    mkdirSync(join(c.dirs.config, 'subdir'));
    writeFileSync(join(c.dirs.config, '.hidden'), '{"args": ["/bin/false"]}');
    writeFileSync(join(c.dirs.config, 'draft.new'), '{"args": ["/bin/false"]}');
    writeFileSync(join(c.dirs.config, 'svc.json~'), '{"args": ["/bin/false"]}');
    writeAtomic(c.dirs.config, 'twin', idle('twin'));
    writeAtomic(c.dirs.config, 'twin.json', idle('twin2'));
    for (const name of Object.keys(bad)) {
      const rec = await c.waitRecord(`${name} reported`, (r) => r.level === 'error' && r.file === join(c.dirs.config, name));
      assert.match(String(rec.msg), new RegExp(`bad descriptor ${join(c.dirs.config, name)}: `));
    }
    assert.match(String(c.find((r) => r.file === join(c.dirs.config, 'badtype'))!.msg), /"args" must be a non-empty list of strings, got "\/bin\/sleep 10"/);
    assert.match(String(c.find((r) => r.file === join(c.dirs.config, 'badenv'))!.msg), /"env.A" must be a string, got 1/);
    await c.waitRecord('twin conflict', (r) => r.level === 'error' && /both "twin" and "twin.json" exist/.test(String(r.msg)));

    // A good file after all that is started; the half-written one starts once fixed.
    let m = c.mark;
    writeAtomic(c.dirs.config, 'late', idle('late'));
    await c.started('late', m);
    m = c.mark;
    writeAtomic(c.dirs.config, 'broken', idle('fixed'));
    await c.started('broken', m);
    await c.waitRecord('valid again', (r) => r.proc === 'broken' && /valid again/.test(String(r.msg)), 5000, m);
    for (const n of ['subdir', 'hidden', '.hidden', 'draft', 'draft.new', 'svc', 'twin']) assert.equal(c.count((r) => r.proc === n && r.msg === 'started'), 0, `${n} must not start`);
    assert.ok(alive(children(c.pid).find((p) => cmdline(p).join(' ').includes('sleep 10004'))!), 'keep still runs');
    assert.equal(c.count((r) => r.proc === 'keep' && r.msg === 'started'), 1);
    void keepPid;
    await c.stop();
  });

  it('a running process keeps its last good definition while its file is broken', async () => {
    const c = await Colony.start({ files: { web: idle('web') } });
    started.push(c);
    await c.started('web');
    const m = c.mark;
    writeAtomic(c.dirs.config, 'web', '{"args": oops}');
    await c.waitRecord('broken web reported', (r) => r.level === 'error' && r.proc === 'web', 5000, m);
    assert.match(String(c.find((r) => r.level === 'error' && r.proc === 'web')!.msg), /keeps its last good definition/);
    assert.equal(c.count((r) => r.proc === 'web' && (r.msg === 'started' || r.msg === 'stopped')), 1);
    // the same broken content again is not reported again
    writeAtomic(c.dirs.config, 'web', '{"args": oops}');
    writeAtomic(c.dirs.config, 'marker', idle('m'));
    await c.started('marker', m);
    assert.equal(c.count((r) => r.level === 'error' && r.proc === 'web'), 1, 'one line per distinct bad content');
    await c.stop();
  });

  it('a config directory that is missing at start is followed once it appears', async () => {
    const c = await Colony.start();
    started.push(c);
    const m = c.mark;
    rmSync(c.dirs.config, { recursive: true });
    const staging = `${c.dirs.config}.staging`;
    mkdirSync(staging);
    writeFileSync(join(staging, 'appeared.json'), JSON.stringify(idle('appeared')));
    renameSync(staging, c.dirs.config);
    await c.started('appeared', m, 15_000);
    await c.stop();
  });

  it('a missing config directory at start is an empty one, watched until it appears', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'colony-later-'));
    const later = join(parent, 'config');
    const c = await Colony.start({ args: ['--config', later] });
    started.push(c);
    assert.ok(c.find((r) => r.level === 'warn' && /config directory does not exist/.test(String(r.msg)) && r.dir === later));
    const m = c.mark;
    mkdirSync(later);
    writeAtomic(later, 'newcomer', idle('newcomer'));
    await c.started('newcomer', m, 15_000);
    assert.equal((await c.stop()).code, 0);
    rmSync(parent, { recursive: true, force: true });
  });

  it('COLONY_CONFIG, COLONY_MESSAGES and COLONY_STATE choose the directories; messages and state are created', async () => {
    const c = await Colony.start({ dirsFromEnv: true, files: { fromenv: idle('fromenv') } });
    started.push(c);
    const first = await c.started('fromenv');
    assert.ok(existsSync(c.dirs.messages) && existsSync(c.dirs.state), 'created at start');
    const m = c.mark;
    writeAtomic(c.dirs.messages, 'r', { type: 'RESTART', name: 'fromenv' });
    assert.notEqual(await c.started('fromenv', m), first);
    await c.stop();
  });

  it('a process whose executable is missing is reported and backed off; the others run', async () => {
    const c = await Colony.start({ files: { ghost: { args: ['/nonexistent/binary'] }, noexec: { args: [join(FIXTURES, 'not-executable.sh')] }, fine: idle('fine') }, args: ['--minrestartdelay', '0.2', '--maxrestartdelay', '0.4'] });
    started.push(c);
    await c.started('fine');
    await c.waitRecord('ghost not found', (r) => r.proc === 'ghost' && /executable not found \(ENOENT\)/.test(String(r.msg)));
    await c.waitRecord('noexec not executable', (r) => r.proc === 'noexec' && /not executable/.test(String(r.msg)));
    await c.waitRecord('ghost backs off', (r) => r.proc === 'ghost' && /restarting in/.test(String(r.msg)));
    const named = c.find((r) => r.proc === 'ghost' && r.level === 'error');
    assert.equal(named?.msg, 'cannot start "/nonexistent/binary": no such file');
    assert.equal(named?.file, join(c.dirs.config, 'ghost'));
    assert.equal(named?.field, 'args[0]');
    assert.match(String(c.find((r) => r.proc === 'noexec' && r.level === 'error')?.msg), /^cannot start ".*not-executable\.sh": permission denied/);
    await c.stop();
  });
});
