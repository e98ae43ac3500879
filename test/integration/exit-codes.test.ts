// colony's exit code tells the truth: 0 after a requested stop, the main command's code in main
// mode (128+signal when killed, 127 not found, 126 not executable), 100 for usage errors.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { BUNDLE, Colony, FIXTURES, NODE, runCli, scratch } from '../helpers/colony.ts';
import { alive, children } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const idle = { args: ['/bin/sh', join(FIXTURES, 'signals.sh')] };

describe('exit codes', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it('0 after SIGTERM (a clean docker stop is not a failure), with every process stopped', async () => {
    const c = await Colony.start({ files: { a: idle, b: idle } });
    started.push(c);
    await c.started('a');
    await c.started('b');
    const kids = children(c.pid);
    assert.equal(kids.length, 2);
    assert.deepEqual(await c.stop(), { code: 0, signal: null });
    for (const k of kids) assert.ok(!alive(k));
  });

  for (const sig of ['SIGINT', 'SIGQUIT'] as const) {
    it(`0 after ${sig} too`, async () => {
      const c = await Colony.start({ files: { a: idle } });
      started.push(c);
      await c.started('a');
      c.signal(sig);
      assert.deepEqual(await c.wait(), { code: 0, signal: null });
    });
  }

  it('main mode: the main command exits 3 → colony stops the others gracefully and exits 3', async () => {
    const c = await Colony.start({ files: { side: idle }, main: ['/bin/sh', '-c', 'echo main-up; sleep 0.3; exit 3'] });
    started.push(c);
    assert.deepEqual(await c.wait(), { code: 3, signal: null });
    assert.ok(c.output('side').includes('got SIGTERM'), 'the other process got the stop signal, not a SIGKILL');
    assert.ok(c.output('main').includes('main-up'));
  });

  it('main mode: killed by a signal → 128 + signal', async () => {
    assert.equal(await runPid1(['--', join(FIXTURES, 'exit-with.sh'), 'signal', 'USR1']), 128 + 10);
    assert.equal(await runPid1(['--', join(FIXTURES, 'exit-with.sh'), 'signal', 'KILL']), 128 + 9);
    assert.equal(await runPid1(['--', join(FIXTURES, 'exit-with.sh'), '0']), 0);
  });

  it('main mode: command not found → 127; not executable → 126', async () => {
    const r1 = await runPid1(['--', '/nonexistent/cmd']);
    assert.equal(r1, 127);
    const r2 = await runPid1(['--', join(FIXTURES, 'not-executable.sh')]);
    assert.equal(r2, 126);
  });

  it('main mode: SIGTERM to colony → main stopped → 0 when it died of that SIGTERM, its own code otherwise', async () => {
    const c = await Colony.start({ main: ['/bin/sh', join(FIXTURES, 'signals.sh')] });
    started.push(c);
    await waitFor('main ready', () => c.output('main').includes('READY'));
    assert.equal((await c.stop()).code, 0); // signals.sh exits 0 on TERM
    const d = await Colony.start({ main: ['/bin/sh', join(FIXTURES, 'term-exit.sh'), '7'] });
    started.push(d);
    await waitFor('main ready', () => d.output('main').includes('READY'));
    assert.equal((await d.stop()).code, 7);
    const e = await Colony.start({ main: ['/bin/sleep', '1000'] });
    started.push(e);
    await e.started('main');
    assert.equal((await e.stop()).code, 0, 'killed by the SIGTERM colony passed on: a clean stop');
  });

  it('100 for usage errors, with a message naming the option', async () => {
    const r = await runCli(['run', '--killtime', 'soon']);
    assert.equal(r.code, 100);
    assert.match(r.stderr, /--killtime must be a non-negative number of seconds .*"soon"/);
    const u = await runCli(['frobnicate']);
    assert.equal(u.code, 100);
    assert.equal((await runCli(['--version'])).code, 0);
    assert.equal((await runCli(['run', '--help'])).code, 0);
    assert.equal((await runCli(['ctl', 'add', '--help'])).code, 0);
  });
});

// colony as PID 1 with the given run arguments; resolves with its exit code.
function runPid1(extra: string[]): Promise<number | null> {
  const d = scratch();
  return new Promise((res) => {
    const c = spawn('unshare', ['--pid', '--fork', '--mount-proc', NODE, BUNDLE, 'run', '--config', d.config, '--messages', d.messages, '--state', d.state, ...extra], { stdio: 'ignore' });
    c.on('exit', (code) => res(code));
  });
}
