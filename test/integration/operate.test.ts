// Operating colony: the state file and `ctl status`, `ctl check` for probes, `ctl ... --wait`
// acknowledgements, `ctl validate`, and a Kubernetes ConfigMap update (a ..data symlink swap).
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BUNDLE, Colony, FIXTURES, NODE, capture, runCli, scratch, writeAtomic } from '../helpers/colony.ts';
import { waitFor } from '../helpers/wait.ts';

const idle = (tag: string): object => ({ args: ['/bin/sh', '-c', `echo ${tag}; exec sleep 1000`] });

describe('operating colony', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });
  const ctl = (c: Colony, ...args: string[]) => runCli(['ctl', '--config', c.dirs.config, '--messages', c.dirs.messages, '--state', c.dirs.state, ...args]);
  // ctl check as `docker exec` runs it: inside colony's PID namespace, where the state file's pid 1 is colony.
  const checkInside = (c: Colony): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    capture('nsenter', ['-t', String(c.pid), '-p', '-m', '--', NODE, BUNDLE, 'ctl', '--state', c.dirs.state, 'check']);

  it('the state file and ctl status (table and --json)', async () => {
    const c = await Colony.start({ files: { web: { ...idle('web'), critical: true }, job: { args: ['/bin/sh', '-c', 'exit 3'], restart: 'never' } } });
    started.push(c);
    await c.started('web');
    await c.waitRecord('job ended', (r) => r.proc === 'job' && /not restarted/.test(String(r.msg)));
    const json = await waitFor('status shows job exited', async () => {
      const r = await ctl(c, 'status', '--json');
      const st = JSON.parse(r.stdout) as { colony: { pid: number; mode: string; version: string }; processes: Array<{ name: string; state: string; lastExit: { code: number } | null; critical: boolean; pid: number | null }> };
      return st.processes.find((p) => p.name === 'job')?.state === 'exited' ? st : undefined;
    });
    assert.equal(json.colony.pid, 1, 'colony as PID 1 records its own pid');
    assert.equal(json.colony.mode, 'pid1');
    const web = json.processes.find((p) => p.name === 'web')!;
    assert.equal(web.state, 'running');
    assert.equal(web.critical, true);
    assert.equal(json.processes.find((p) => p.name === 'job')!.lastExit?.code, 3);
    const table = await ctl(c, 'status');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+LAST EXIT\s+HEALTH$/m);
    assert.match(table.stdout, /^web \*\s+running\s+\d+\s+\d+s\s+0\s+-\s+-$/m);
    assert.match(table.stdout, /^job\s+exited\s+-\s+.*exit 3/m);
    await c.stop();
  });

  it('ctl check: 0 when every critical process runs, non-zero with the reason otherwise, and when colony is gone', async () => {
    const c = await Colony.start({ files: { web: { ...idle('web'), critical: true, restart: 'always' } } });
    started.push(c);
    await c.started('web');
    await waitFor('check ok', async () => (await checkInside(c)).code === 0);
    // not ready: a critical process with a ready probe that never passes
    writeAtomic(c.dirs.config, 'db', { ...idle('db'), critical: true, ready: { file: join(c.dirs.dir, 'never') } });
    const bad = await waitFor('check fails', async () => {
      const r = await checkInside(c);
      return r.code !== 0 ? r : undefined;
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /critical process db is not ready/);
    writeFileSync(join(c.dirs.dir, 'never'), '');
    await waitFor('check ok again', async () => (await checkInside(c)).code === 0, 15_000);
    assert.equal((await c.stop()).code, 0);
    const gone = await ctl(c, 'check');
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /not running|stale|shutting down/);
  });

  it('ctl restart --wait returns once the new process runs; --wait on an unknown name fails with the reason; --timeout without colony', async () => {
    const c = await Colony.start({ files: { web: { ...idle('web'), ready: { log: '^web$' } } } });
    started.push(c);
    const first = await c.started('web');
    const r = await ctl(c, 'restart', 'web', '--wait', '--timeout', '20');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /done$/m);
    const rec = c.find((x) => x.proc === 'web' && x.msg === 'ready' && (x.pid === undefined || x.pid !== first));
    assert.ok(rec, 'the new process was ready before ctl returned');
    const unknown = await ctl(c, 'restart', 'nobody', '--wait', '--timeout', '10');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no process named "nobody"/);
    await c.stop();
    const d = scratch();
    const t0 = Date.now();
    const timeout = await runCli(['ctl', '--messages', d.messages, '--state', d.state, 'restart', 'web', '--wait', '--timeout', '1']);
    assert.equal(timeout.code, 1);
    assert.match(timeout.stderr, /timed out after 1 s/);
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('ctl restart --wait reports a restart that does not come up', async () => {
    // Runs once; then its command is gone, so the restart cannot start (ENOENT), whatever the timing. (A
    // process that exits just after starting may be seen running first: --wait waits for running and
    // ready, not for a time up.)
    const script = join(scratch().dir, 'flaky.sh');
    writeFileSync(script, '#!/bin/sh\nexec sleep 1000\n', { mode: 0o755 });
    const c = await Colony.start({ files: { flaky: { args: [script], max_fast_restarts: 1, min_restart_delay: 0.1 } } });
    started.push(c);
    await c.started('flaky');
    rmSync(script);
    const r = await ctl(c, 'restart', 'flaky', '--wait', '--timeout', '20');
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /did not stay up/);
    await c.stop();
  });

  it('ctl validate: ok lines, and errors per file with a non-zero exit', async () => {
    const d = scratch();
    writeFileSync(join(d.config, 'web.json'), JSON.stringify(idle('web')));
    writeFileSync(join(d.config, 'bad'), '{"args": ["/x"], "kill_time": "5s"}');
    writeFileSync(join(d.config, 'dep'), JSON.stringify({ ...idle('dep'), after: ['ghost'] }));
    writeFileSync(join(d.config, 'chicken'), JSON.stringify({ ...idle('chicken'), after: ['egg'] }));
    writeFileSync(join(d.config, 'egg'), JSON.stringify({ ...idle('egg'), after: ['chicken'] }));
    const r = await runCli(['ctl', '--config', d.config, 'validate']);
    assert.equal(r.code, 100);
    assert.match(r.stdout, /^ok web \(web\.json\)$/m);
    assert.match(r.stdout, new RegExp(`^error ${join(d.config, 'bad')}: "kill_time" must be a number of seconds, got "5s"$`, 'm'));
    assert.match(r.stdout, /^error dep: "after" names no such process: "ghost"$/m);
    assert.match(r.stdout, /^error chicken: "after" makes a cycle: chicken → egg → chicken$/m, 'cycles too, as the running colony says');
    const good = scratch();
    writeFileSync(join(good.config, 'web.json'), JSON.stringify(idle('web')));
    assert.equal((await runCli(['ctl', '--config', good.config, 'validate'])).code, 0);
    // the shipped examples validate
    for (const set of ['demo', 'python', 'dev']) {
      const e = await runCli(['ctl', '--config', join(FIXTURES, '../../config.example', set), 'validate']);
      assert.equal(e.code, 0, `${set}: ${e.stdout}${e.stderr}`);
    }
  });

  it('a ConfigMap update (..data swap) restarts exactly the processes whose content changed', async () => {
    const c = await Colony.start({ args: ['--frequency', '0'] });
    started.push(c);
    const dir = c.dirs.config;
    const v1 = join(dir, '..2026_01_01_00_00_00.1');
    mkdirSync(v1);
    writeFileSync(join(v1, 'a'), JSON.stringify(idle('a1')));
    writeFileSync(join(v1, 'b'), JSON.stringify(idle('b1')));
    symlinkSync('..2026_01_01_00_00_00.1', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    const m = c.mark;
    symlinkSync('..data/a', join(dir, 'a'));
    symlinkSync('..data/b', join(dir, 'b'));
    await c.started('a', m);
    await c.started('b', m);
    assert.equal(c.count((r) => r.proc?.startsWith('..') === true), 0, '"..data" and "..TIMESTAMP" are not processes');
    const v2 = join(dir, '..2026_01_01_00_01_00.2');
    mkdirSync(v2);
    writeFileSync(join(v2, 'a'), JSON.stringify(idle('a2')));
    writeFileSync(join(v2, 'b'), JSON.stringify(idle('b1')));
    const m2 = c.mark;
    symlinkSync('..2026_01_01_00_01_00.2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await c.started('a', m2);
    await waitFor('a runs the new definition', () => c.output('a').includes('a2'));
    assert.equal(c.count((r) => r.proc === 'b' && r.msg === 'started'), 1, 'b did not change and was not restarted');
    await c.stop();
  });
});
