// Environment faults as PID 1: processes that cannot be started — a missing executable, a
// file that is not executable, a directory as the executable, a name not in PATH — and fork failing
// with EAGAIN (a cgroup pids.max on colony's cgroup). "Handled" means: one clear error line per
// attempt naming the file, the field and the reason; attempts spaced by the back-off (counted over
// time: delays double from --minrestartdelay up to --maxrestartdelay, never a tight loop); no fatal
// record; the other processes undisturbed (started once, still alive); and, once the cause is gone
// (the limit lifted), the process starts within the back-off's maximum delay.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { Colony, FIXTURES, writeAtomic, type Rec } from '../helpers/colony.ts';
import { assertNoLastResort, msgOf, PidsCgroup } from '../helpers/hostile.ts';
import { alive, cmdline } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const idle = (tag: string): object => ({ args: ['/bin/sh', '-c', `echo ${tag}; exec sleep 1000${tag.length}`] });
// Timer slack on this noisy 2-core machine: an attempt may come this much later than its delay.
const LATE_MS = 1500;

const attemptsOf = (c: Colony, proc: string, from = 0): Rec[] => c.records.slice(from).filter((r) => r.proc === proc && r.level === 'error' && /^cannot start/.test(msgOf(r)));

// The delays NColony's back-off gives after each fast death: min, 2·min, 4·min, ... up to max.
function expectedDelays(n: number, minMs: number, maxMs: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.min(minMs * 2 ** i, maxMs));
}

// Checks that the attempts are spaced by the back-off; returns the gaps (ms).
function assertBackoff(attempts: Rec[], minMs: number, maxMs: number, what: string): number[] {
  const times = attempts.map((r) => Number(r.time));
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  expectedDelays(gaps.length, minMs, maxMs).forEach((d, i) => {
    assert.ok(gaps[i]! >= d - 20, `${what}: attempt ${i + 2} came ${gaps[i]} ms after the previous one, before the ${d} ms back-off (gaps ${gaps.join(', ')})`);
    assert.ok(gaps[i]! <= d + LATE_MS, `${what}: attempt ${i + 2} came ${gaps[i]} ms after the previous one, long after the ${d} ms back-off (gaps ${gaps.join(', ')})`);
  });
  return gaps;
}

describe('environment faults: processes that cannot be started', () => {
  const started: Colony[] = [];
  const tops: string[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
    for (const d of tops) rmSync(d, { recursive: true, force: true });
  });

  it('a missing executable, a non-executable file, a directory, a name not in PATH: one clear line per attempt naming file and field, back-off, the others unaffected', async (t: TestContext) => {
    const [minMs, maxMs] = [200, 1600];
    const cases: Record<string, { args: string[]; why: RegExp }> = {
      missing: { args: ['/nonexistent/binary'], why: /^cannot start "\/nonexistent\/binary": no such file$/ },
      noexec: { args: [join(FIXTURES, 'not-executable.sh')], why: /^cannot start ".*not-executable\.sh": permission denied/ },
      directory: { args: ['/tmp'], why: /^cannot start "\/tmp": permission denied/ },
      notinpath: { args: ['no-such-command-for-colony'], why: /^cannot start "no-such-command-for-colony": not found in PATH$/ },
    };
    const files = Object.fromEntries(Object.entries(cases).map(([name, x]) => [name, { args: x.args }]));
    const c = await Colony.start({ files: { ...files, steady: idle('steady') }, args: ['--minrestartdelay', String(minMs / 1000), '--maxrestartdelay', String(maxMs / 1000)] });
    started.push(c);
    await c.started('steady');
    // Six attempts each: 0, 0.2, 0.6, 1.4, 3.0, 4.6 s.
    await waitFor('six attempts each', () => Object.keys(cases).every((name) => attemptsOf(c, name).length >= 6), 15_000).catch(() => assert.fail(`not six attempts each\n${c.log()}`));
    const figures: string[] = [];
    for (const [name, x] of Object.entries(cases)) {
      const attempts = attemptsOf(c, name);
      for (const r of attempts) {
        assert.match(msgOf(r), x.why, `${name}: the reason`);
        assert.equal(r.file, join(c.dirs.config, name), `${name}: the line names the descriptor file`);
        assert.equal(r.field, 'args[0]', `${name}: the line names the field`);
      }
      const gaps = assertBackoff(attempts.slice(0, 6), minMs, maxMs, name);
      assert.equal(c.count((r) => r.proc === name && r.msg === 'started'), 0, `${name} never counts as started`);
      figures.push(`${name}: gaps ${gaps.join('/')} ms`);
    }
    assert.equal(c.count((r) => r.proc === 'steady' && r.msg === 'started'), 1, 'steady started once');
    assert.ok(c.processes().some((p) => alive(p) && cmdline(p).join(' ') === 'sleep 10006'), 'steady still runs');
    assertNoLastResort(c, c.log());
    t.diagnostic(figures.join('; '));
    assert.equal((await c.stop()).code, 0, 'colony stops cleanly');
  });

  it('a script whose #! interpreter is missing: the line says the interpreter is missing, not that the script is', async () => {
    const top = mkdtempSync(join(tmpdir(), 'colony-interp-'));
    tops.push(top);
    const script = join(top, 'script');
    writeFileSync(script, '#!/nonexistent/interpreter\necho never\n');
    chmodSync(script, 0o755);
    const c = await Colony.start({ files: { script: { args: [script] } } });
    started.push(c);
    const r = await c.waitRecord('the error', (x) => x.proc === 'script' && x.level === 'error');
    assert.match(msgOf(r), /interpreter|#!/, msgOf(r));
    assertNoLastResort(c, c.log());
  });

  const cgroup = PidsCgroup.create(`colony-stress-${process.pid}`);
  it('fork failing with EAGAIN (pids.max on colony\'s cgroup): one line per attempt, back-off, the others unaffected; the limit lifted, it starts', { skip: typeof cgroup === 'string' ? cgroup : false }, async (t: TestContext) => {
    const cg = cgroup as PidsCgroup;
    const [minMs, maxMs] = [200, 800];
    const c = await Colony.start({ files: { web: idle('web'), steady: idle('steady') }, args: ['--minrestartdelay', String(minMs / 1000), '--maxrestartdelay', String(maxMs / 1000)] });
    started.push(c);
    await c.started('web');
    await c.started('steady');
    try {
      cg.add(c.pid);
      cg.limit(1); // below what runs already: no fork, no clone succeeds in it
      const m = c.mark;
      writeAtomic(c.dirs.messages, 'restart-web', { type: 'RESTART', name: 'web' });
      await waitFor('five failed attempts', () => attemptsOf(c, 'web', m).length >= 5, 15_000).catch(() => assert.fail(`no five attempts\n${c.log()}`));
      const attempts = attemptsOf(c, 'web', m);
      for (const r of attempts) {
        assert.match(msgOf(r), /EAGAIN/, 'the line gives the reason');
        assert.equal(r.file, join(c.dirs.config, 'web'), 'the line names the descriptor file');
      }
      const gaps = assertBackoff(attempts.slice(0, 5), minMs, maxMs, 'web under EAGAIN');
      assert.equal(c.count((r) => r.proc === 'steady' && r.msg === 'started'), 1, 'steady undisturbed');
      const refusals = cg.refusals();
      assert.ok(refusals >= 5, `the cgroup refused the forks (${refusals})`);
      const m2 = c.mark;
      const lifted = Date.now();
      cg.limit('max');
      await c.started('web', m2, maxMs + LATE_MS + 2000);
      t.diagnostic(`EAGAIN: ${attempts.length} attempts, gaps ${gaps.join('/')} ms, ${refusals} forks refused by pids.max; started ${Date.now() - lifted} ms after the limit was lifted; line: ${msgOf(attempts[0])}`);
      assertNoLastResort(c, c.log());
    } finally {
      cg.limit('max');
      await c.destroy();
    }
  });

  it('the EAGAIN line says what ran out (too many processes) and does not blame args[0]', { skip: typeof cgroup === 'string' ? cgroup : false }, async () => {
    const cg = cgroup as PidsCgroup;
    const c = await Colony.start({ files: { web: idle('web') } });
    started.push(c);
    await c.started('web');
    try {
      cg.add(c.pid);
      cg.limit(1);
      const m = c.mark;
      writeAtomic(c.dirs.messages, 'restart-web', { type: 'RESTART', name: 'web' });
      const r = await c.waitRecord('an attempt', (x) => x.proc === 'web' && x.level === 'error', 10_000, m);
      assert.match(msgOf(r), /process|fork|limit/i, msgOf(r));
      assert.notEqual(r.field, 'args[0]');
      assertNoLastResort(c, c.log());
    } finally {
      cg.limit('max');
      await c.destroy();
    }
  });

  after(async () => {
    if (typeof cgroup !== 'string') await cgroup.remove();
  });
});
