// colony ctl: NColony's forms unchanged, the `-- CMD ARGS` form, global options before or after
// `ctl`, COLONY_* variables, name checks, and messages that a running colony acts on.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES, messageFiles, runCli, scratch } from '../helpers/colony.ts';
import { waitFor } from '../helpers/wait.ts';

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

describe('colony ctl', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it("add in NColony's form writes exactly NColony's keys, merged with --extras", async () => {
    const d = scratch();
    const extras = join(d.dir, 'extras.json');
    writeFileSync(extras, JSON.stringify({ 'ncolony.beatcheck': { period: 3, grace: 2, status: '/tmp/s' }, group: ['web'] }));
    const r = await runCli(['--config', d.config, '--messages', d.messages, 'ctl', 'add', 'worker', '--cmd', '/usr/bin/python3', '--arg', '-m', '--arg=-u', '--arg', 'celery', '--env', 'FOO=bar=baz', '--env-inherit', 'PATH', '--uid', '1000', '--gid', '1000', '--extras', extras]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readJson(join(d.config, 'worker')), {
      args: ['/usr/bin/python3', '-m', '-u', 'celery'],
      env: { FOO: 'bar=baz' },
      env_inherit: ['PATH'],
      uid: 1000,
      gid: 1000,
      'ncolony.beatcheck': { period: 3, grace: 2, status: '/tmp/s' },
      group: ['web'],
    });
    const minimal = await runCli(['--config', d.config, 'ctl', 'add', 'min', '--cmd', '/bin/true']);
    assert.equal(minimal.code, 0, minimal.stderr);
    assert.deepEqual(readJson(join(d.config, 'min')), { args: ['/bin/true'] }, 'keys present only when given');
    assert.deepEqual(readdirSync(d.config).sort(), ['min', 'worker'], 'no temporary file left behind');
  });

  it('add NAME [options] -- CMD ARGS, options after ctl, and COLONY_CONFIG', async () => {
    const d = scratch();
    const r = await runCli(['ctl', '--config', d.config, 'add', 'web', '--group', 'front', '--', 'gunicorn', '-b', '127.0.0.1:8000', 'app:app']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readJson(join(d.config, 'web')), { args: ['gunicorn', '-b', '127.0.0.1:8000', 'app:app'], group: ['front'] });
    const e = await runCli(['ctl', 'add', 'beat', '--', 'celery', 'beat'], { COLONY_CONFIG: d.config });
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual(readJson(join(d.config, 'beat')), { args: ['celery', 'beat'] });
    // options after ctl win over the same options before it
    const other = scratch();
    const w = await runCli(['--config', other.config, 'ctl', '--config', d.config, 'add', 'x', '--cmd', '/bin/true']);
    assert.equal(w.code, 0, w.stderr);
    assert.ok(existsSync(join(d.config, 'x')) && !existsSync(join(other.config, 'x')));
    // an existing NAME.json is replaced in place rather than shadowed by a new NAME
    writeFileSync(join(d.config, 'j.json'), '{"args": ["/bin/false"]}');
    assert.equal((await runCli(['ctl', '--config', d.config, 'add', 'j', '--cmd', '/bin/true'])).code, 0);
    assert.deepEqual(readJson(join(d.config, 'j.json')), { args: ['/bin/true'] });
    assert.ok(!existsSync(join(d.config, 'j')));
  });

  it('refuses bad names and bad input with exit 100 and a clear message', async () => {
    const d = scratch();
    for (const [name, why] of [
      ['a/b', /must not contain '\/'/],
      ['.hidden', /must not start with '\.'/],
      ['', /must not be empty/],
    ] as const) {
      const r = await runCli(['--config', d.config, 'ctl', 'add', name, '--cmd', '/bin/true']);
      assert.equal(r.code, 100, `name ${JSON.stringify(name)}`);
      assert.match(r.stderr, why);
    }
    const both = await runCli(['--config', d.config, 'ctl', 'add', 'x', '--cmd', 'a', '--', 'b']);
    assert.equal(both.code, 100);
    const env = await runCli(['--config', d.config, 'ctl', 'add', 'x', '--cmd', 'a', '--env', 'NOEQUALS']);
    assert.equal(env.code, 100);
    assert.match(env.stderr, /--env must be NAME=VALUE, got "NOEQUALS"/);
    const sig = await runCli(['--messages', d.messages, 'ctl', 'signal', 'web', 'SIGNOPE']);
    assert.equal(sig.code, 100);
    assert.match(sig.stderr, /not a signal: "SIGNOPE"/);
    const rm = await runCli(['--config', d.config, 'ctl', 'remove', 'nothing']);
    assert.equal(rm.code, 100);
    assert.match(rm.stderr, /no descriptor named "nothing"/);
    assert.deepEqual(readdirSync(d.config), []);
    for (const n of ['x', '-1', '1.5', '']) {
      const lines = await runCli(['--state', d.state, 'ctl', 'logs', '-n', n]);
      assert.equal(lines.code, 100, `-n ${JSON.stringify(n)}`);
      assert.match(lines.stderr, new RegExp(`--lines must be a whole number, got ${JSON.stringify(JSON.stringify(n)).slice(1, -1)}`));
    }
    const keep = await runCli(['--config', d.config, 'run', '--keep-logs', '10GB']);
    assert.equal(keep.code, 100);
    assert.match(keep.stderr, /--keep-logs must be a size of at least 1KiB .*got "10GB"/);
    // The bundle has koffi beside it: there is no module to write.
    const native = await runCli(['native-module', join(d.dir, 'k.node')]);
    assert.equal(native.code, 100);
    assert.match(native.stderr, /native-module is for the single executable/);
    assert.ok(!existsSync(join(d.dir, 'k.node')));
  });

  it('against a running colony: add, restart, restart-group, restart-all, signal, remove', async () => {
    const c = await Colony.start();
    started.push(c);
    const dirs = ['--config', c.dirs.config, '--messages', c.dirs.messages];
    const ok = async (...args: string[]): Promise<void> => {
      const r = await runCli([...dirs, 'ctl', ...args]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    };
    let m = c.mark;
    await ok('add', 'a', '--group', 'g', '--', '/bin/sh', join(FIXTURES, 'signals.sh'));
    await ok('add', 'b', '--cmd', '/bin/sh', '--arg', join(FIXTURES, 'signals.sh'));
    const a1 = await c.started('a', m);
    const b1 = await c.started('b', m);
    m = c.mark;
    await ok('restart', 'a');
    const a2 = await c.started('a', m);
    assert.notEqual(a2, a1);
    m = c.mark;
    await ok('restart-group', 'g');
    assert.notEqual(await c.started('a', m), a2);
    m = c.mark;
    await ok('restart-all');
    await c.started('a', m);
    assert.notEqual(await c.started('b', m), b1);
    await waitFor('b READY again', () => c.output('b').filter((l) => l === 'READY').length === 2);
    await ok('signal', 'b', 'USR1');
    await waitFor('b got SIGUSR1', () => c.output('b').includes('got SIGUSR1'));
    await waitFor('a READY (4th start)', () => c.output('a').filter((l) => l === 'READY').length === 4);
    await ok('signal', '--group', 'g', 'HUP');
    await waitFor('a got SIGHUP', () => c.output('a').includes('got SIGHUP'));
    m = c.mark;
    await ok('remove', 'a');
    await c.waitRecord('a stopped for good', (r) => r.proc === 'a' && r.msg === 'stopped', 10_000, m);
    await waitFor('no message left', () => messageFiles(c.dirs.messages).length === 0);
    await c.stop();
  });
});
