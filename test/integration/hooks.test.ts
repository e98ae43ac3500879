// Hooks through a real colony (PID 1): on_exit told how a run ended, on_failed and on_unhealthy, a hook
// that hangs killed at hook_timeout (with what it started) while supervision goes on, its lines in the log.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, shArgs } from '../helpers/colony.ts';
import { cmdline } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

describe('hooks', () => {
  const started: Colony[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const scratchDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'colony-hooks-'));
    dirs.push(d);
    return d;
  };

  it('on_exit is told each end (code, signal, reason), on_failed once colony gives up; their lines are in the log', async () => {
    const d = scratchDir();
    const record = `echo "$COLONY_HOOK $COLONY_HOOK_PROCESS $COLONY_HOOK_EXIT_CODE/$COLONY_HOOK_EXIT_SIGNAL $COLONY_HOOK_EXIT_REASON $COLONY_HOOK_TO" >> ${d}/calls; echo hook-said-$COLONY_HOOK`;
    const c = await Colony.start({
      files: {
        web: { args: shArgs('exec sleep 1006'), on_exit: ['/bin/sh', '-c', record] },
        bad: { args: shArgs('exit 3'), max_fast_restarts: 1, on_exit: ['/bin/sh', '-c', record], on_failed: ['/bin/sh', '-c', record] },
      },
    });
    started.push(c);
    await c.started('web');
    const web = c.processes().find((p) => cmdline(p).join(' ') === 'sleep 1006')!;
    process.kill(web, 'SIGKILL');
    const calls = (): string[] => (existsSync(join(d, 'calls')) ? readFileSync(join(d, 'calls'), 'utf8').trim().split('\n') : []);
    await waitFor('four hook runs', () => calls().length >= 4, 20_000);
    // web's end: restarted at once, or after a back-off when it died within --threshold of its start.
    const got = calls().map((l) => l.replace(/^(exit web \/SIGKILL signal) backoff$/, '$1 running')).sort();
    assert.deepEqual(got, ['exit bad 3/ failure backoff', 'exit bad 3/ failure failed', 'exit web /SIGKILL signal running', 'failed bad 3/ failure failed'].sort());
    await c.waitRecord("a hook's line in the log", (r) => r.proc === 'web/on_exit' && r.stream === 'stdout' && r.msg === 'hook-said-exit');
    await c.waitRecord('the hook done', (r) => r.proc === 'web' && r.msg === 'hook on_exit done');
    assert.equal((await c.stop()).code, 0);
  });

  it('a hook that hangs is killed at hook_timeout with what it started, and supervision goes on meanwhile', async () => {
    const d = scratchDir();
    const flag = join(d, 'healthy');
    writeFileSync(flag, '');
    const c = await Colony.start({
      files: {
        checked: {
          args: shArgs('exec sleep 1007'),
          health: { exec: ['/bin/sh', '-c', `test -e ${flag}`], interval: 0.3, retries: 2, timeout: 1 },
          // It starts a child of its own and both hang: the timeout's SIGKILL goes to the whole group.
          on_unhealthy: ['/bin/sh', '-c', `echo $COLONY_HOOK_PROCESS > ${d}/unhealthy; sleep 1008 & sleep 1009`],
          hook_timeout: 1.5,
        },
        ticker: { args: shArgs('exec sleep 1010') },
      },
    });
    started.push(c);
    await c.started('checked');
    rmSync(flag);
    await waitFor('the hook ran', () => existsSync(join(d, 'unhealthy')), 20_000);
    const hung = (): number[] => c.processes().filter((p) => ['sleep 1008', 'sleep 1009'].includes(cmdline(p).join(' ')));
    await waitFor('the hook and its child running', () => hung().length === 2);
    // Meanwhile colony supervises: a kill -9 of another process is restarted at once.
    const t = c.mark;
    process.kill(c.processes().find((p) => cmdline(p).join(' ') === 'sleep 1010')!, 'SIGKILL');
    await c.started('ticker', t);
    const killed = await c.waitRecord('the hook killed at its bound', (r) => r.proc === 'checked' && /^hook on_unhealthy ran longer than hook_timeout \(1\.5 s\)/.test(String(r.msg)), 10_000);
    assert.equal(killed.level, 'warn');
    await waitFor('the hook and what it started gone', () => hung().length === 0, 5_000);
    assert.equal((await c.stop()).code, 0);
  });
});
