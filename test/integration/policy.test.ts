// A descriptor's own policy keys, with colony as PID 1 and real processes: restart modes and success
// codes, max_fast_restarts → failed (and revived), critical processes, how a process is stopped
// (stop_signal, kill_time, stop_group), signal maps (forwarded and at shutdown), reload, output
// (inherit, file, rotation), cwd / user / umask, and an invalid value reported by file and key.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES, type Rec, runCli, shDescriptor, writeAtomic } from '../helpers/colony.ts';
import { waitFor } from '../helpers/wait.ts';

// Short restart delays so that back-off loops turn quickly.
const FAST = ['--threshold', '1', '--minrestartdelay', '0.1', '--maxrestartdelay', '0.2'];
const TRAPS = join(FIXTURES, 'traps.sh');
const traps = (extra: object = {}): object => ({ args: ['/bin/sh', TRAPS], ...extra });
// A process that prints "tick" every 50 ms: a clock made of colony's own output, to let time pass
// ("no more starts for a while") without a fixed sleep.
const TICKER = shDescriptor('while true; do echo tick; sleep 0.05; done');

const isStarted = (name: string) => (r: Rec): boolean => r.proc === name && r.msg === 'started';
const msgOf = (r: Rec): string => String(r.msg ?? '');

describe('descriptor policy keys (PID 1)', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  async function start(opts: Parameters<typeof Colony.start>[0]): Promise<Colony> {
    const c = await Colony.start(opts);
    started.push(c);
    return c;
  }

  // Waits for `n` more ticks of the ticker process than there are now.
  async function ticks(c: Colony, n: number, name = 'ticker'): Promise<void> {
    const from = c.output(name).length;
    await waitFor(`${n} ticks`, () => c.output(name).length - from >= n, 10_000);
  }

  const running = (c: Colony): boolean => c.child.exitCode === null && c.child.signalCode === null;

  describe('restart policy', () => {
    it('on-failure restarts a failure only; success_exit_codes widens success; never does not restart', async () => {
      const exitWith = (code: number, extra: object): object => ({ args: ['/bin/sh', join(FIXTURES, 'exit-with.sh'), String(code)], ...extra });
      const c = await start({
        args: FAST,
        files: {
          ok: exitWith(0, { restart: 'on-failure' }),
          bad: exitWith(3, { restart: 'on-failure' }),
          three: exitWith(3, { restart: 'on-failure', success_exit_codes: [0, 3] }),
          never: exitWith(3, { restart: 'never' }),
          always: exitWith(0, {}),
        },
      });
      await c.waitRecord('ok ended', (r) => r.proc === 'ok' && r.msg === 'ended successfully, not restarted (restart: on-failure)');
      await c.waitRecord('three ended', (r) => r.proc === 'three' && r.msg === 'ended successfully, not restarted (restart: on-failure)');
      await c.waitRecord('never ended', (r) => r.proc === 'never' && r.msg === 'not restarted (restart: never)');
      // "bad" (exit 3, on-failure) and "always" (exit 0, the default policy) keep coming back
      await waitFor('bad restarted 3 times', () => c.count(isStarted('bad')) >= 3, 10_000);
      await waitFor('always restarted 3 times', () => c.count(isStarted('always')) >= 3, 10_000);
      for (const n of ['ok', 'three', 'never']) assert.equal(c.count(isStarted(n)), 1, `${n} was started once and not restarted\n${c.log()}`);
      assert.ok(!c.find((r) => r.proc === 'bad' && /not restarted/.test(msgOf(r))), 'a failure under on-failure is not "ended successfully"');
      assert.ok(running(c), 'a non-critical process ending does not end colony');
      assert.equal((await c.stop()).code, 0);
    });
  });

  describe('max_fast_restarts', () => {
    it('gives up after max_fast_restarts fast deaths (failed); a RESTART message or a descriptor change revives it', async () => {
      const c = await start({ args: FAST, files: { flaky: shDescriptor('echo up; exit 1', { max_fast_restarts: 2 }), ticker: TICKER } });
      const failed = await c.waitRecord('flaky failed', (r) => r.proc === 'flaky' && r.level === 'error' && /failed/.test(msgOf(r)), 10_000);
      assert.match(msgOf(failed), /max_fast_restarts 2/);
      assert.equal(c.count(isStarted('flaky')), 3, 'started, then restarted twice: three fast deaths');
      // it stays down while time passes (0.1-0.2 s restart delays: it would have come back many times)
      await ticks(c, 20);
      assert.equal(c.count(isStarted('flaky')), 3, 'not restarted once failed');
      assert.ok(running(c), 'a failed non-critical process does not end colony');

      // a RESTART message revives it, with its fast-death count reset
      let m = c.mark;
      writeAtomic(c.dirs.messages, 'revive', { type: 'RESTART', name: 'flaky' });
      await c.started('flaky', m);
      assert.ok(c.records.slice(m).some((r) => r.proc === 'flaky' && r.msg === 'revived: starting again'));
      await c.waitRecord('flaky failed again', (r) => r.proc === 'flaky' && r.level === 'error' && /failed/.test(msgOf(r)), 10_000, m);
      assert.equal(c.records.slice(m).filter(isStarted('flaky')).length, 3, 'three fresh tries after the revival');

      // a changed descriptor revives it too
      m = c.mark;
      writeAtomic(c.dirs.config, 'flaky', shDescriptor('echo up again; exit 1', { max_fast_restarts: 2 }));
      await c.started('flaky', m);
      await c.waitRecord('flaky failed a third time', (r) => r.proc === 'flaky' && r.level === 'error' && /failed/.test(msgOf(r)), 10_000, m);
      assert.ok(c.output('flaky').includes('up again'), 'runs the new definition');
      m = c.mark;
      await ticks(c, 20);
      assert.equal(c.records.slice(m).filter(isStarted('flaky')).length, 0);
      assert.equal((await c.stop()).code, 0);
    });
  });

  describe('critical', () => {
    it('a critical process that ends for good (restart: never, exit 4) stops the others gracefully and colony exits 4', async () => {
      const c = await start({ args: FAST, files: {} });
      const go = join(c.dirs.dir, 'go');
      writeAtomic(c.dirs.config, 'other', traps());
      writeAtomic(c.dirs.config, 'crit', shDescriptor(`while [ ! -e '${go}' ]; do sleep 0.05; done; exit 4`, { restart: 'never', critical: true }));
      await waitFor('other READY', () => c.output('other').includes('READY'));
      await c.started('crit');
      assert.ok(running(c));
      writeFileSync(go, '');
      assert.deepEqual(await c.wait(), { code: 4, signal: null });
      assert.ok(c.find((r) => r.proc === 'crit' && r.level === 'error' && /critical process ended/.test(msgOf(r)) && r.exit_code === 4), c.log());
      assert.ok(c.output('other').includes('got SIGTERM'), 'the other process got its stop signal (a graceful stop)');
      assert.ok(!c.find((r) => r.proc === 'other' && /SIGKILL/.test(msgOf(r))), 'not killed');
    });

    it('a critical process that fails (max_fast_restarts) ends colony with its last exit code', async () => {
      const c = await start({ args: FAST, files: { other: traps() } });
      await waitFor('other READY', () => c.output('other').includes('READY'));
      writeAtomic(c.dirs.config, 'crit', shDescriptor('exit 5', { critical: true, max_fast_restarts: 2 }));
      assert.deepEqual(await c.wait(), { code: 5, signal: null });
      assert.equal(c.count(isStarted('crit')), 3);
      assert.ok(c.find((r) => r.proc === 'crit' && r.level === 'error' && /critical process failed/.test(msgOf(r)) && r.exit_code === 5), c.log());
      assert.ok(c.output('other').includes('got SIGTERM'));
    });

    it('without critical, the same failure leaves colony running', async () => {
      const c = await start({ args: FAST, files: { ticker: TICKER } });
      writeAtomic(c.dirs.config, 'plain', shDescriptor('exit 5', { max_fast_restarts: 2 }));
      await c.waitRecord('plain failed', (r) => r.proc === 'plain' && r.level === 'error' && /failed/.test(msgOf(r)), 10_000);
      await ticks(c, 10);
      assert.ok(running(c));
      assert.equal((await c.stop()).code, 0);
    });
  });

  describe('stopping', () => {
    it('stop_signal is what the process gets when its descriptor is removed', async () => {
      const c = await start({ files: { intr: traps({ stop_signal: 'SIGINT' }), term: traps() } });
      await waitFor('READY', () => c.output('intr').includes('READY') && c.output('term').includes('READY'));
      const m = c.mark;
      unlinkSync(join(c.dirs.config, 'intr'));
      await c.waitRecord('intr stopped', (r) => r.proc === 'intr' && r.msg === 'stopped', 10_000, m);
      assert.ok(c.output('intr').includes('got SIGINT'), c.output('intr').join('\n'));
      assert.ok(!c.output('intr').includes('got SIGTERM'));
      // the default is SIGTERM
      unlinkSync(join(c.dirs.config, 'term'));
      await c.waitRecord('term stopped', (r) => r.proc === 'term' && r.msg === 'stopped', 10_000, m);
      assert.ok(c.output('term').includes('got SIGTERM'));
      assert.ok(!c.output('term').includes('got SIGINT'));
      assert.equal((await c.stop()).code, 0);
    });

    it("kill_time: SIGKILL after the descriptor's 1 s although colony's --killtime is 30", async () => {
      const c = await start({ args: ['--killtime', '30'], files: { stubborn: { args: ['/bin/sh', join(FIXTURES, 'ignore-term.sh')], kill_time: 1 } } });
      await waitFor('READY', () => c.output('stubborn').includes('READY'));
      const m = c.mark;
      const t0 = Date.now();
      unlinkSync(join(c.dirs.config, 'stubborn'));
      await c.waitRecord('stubborn stopped', (r) => r.proc === 'stubborn' && r.msg === 'stopped', 10_000, m);
      const took = Date.now() - t0;
      assert.ok(took >= 900, `SIGKILL waits for the kill time (took ${took} ms)`);
      assert.ok(took < 8000, `the descriptor's kill_time, not --killtime 30 (took ${took} ms)`);
      assert.ok(c.records.slice(m).some((r) => r.proc === 'stubborn' && /sending SIGKILL/.test(msgOf(r))));
      assert.ok(c.records.slice(m).some((r) => r.proc === 'stubborn' && r.signal === 'SIGKILL'));
      assert.equal((await c.stop()).code, 0);
    });

    it('stop_group: the stop signal goes to the whole group at once; by default to the main pid only', async () => {
      const wrapper = (extra: object): object => ({ args: ['/bin/sh', join(FIXTURES, 'group-child.sh')], ...extra });
      const c = await start({ files: { grp: wrapper({ stop_group: true }), solo: wrapper({}) } });
      for (const n of ['grp', 'solo']) await waitFor(`${n} READY`, () => c.output(n).includes('READY') && c.output(n).includes('CHILD READY'));
      const m = c.mark;
      unlinkSync(join(c.dirs.config, 'grp'));
      unlinkSync(join(c.dirs.config, 'solo'));
      for (const n of ['grp', 'solo']) await c.waitRecord(`${n} stopped`, (r) => r.proc === n && r.msg === 'stopped', 10_000, m);
      const order = (n: string): { child: number; parentExit: number; lines: string[] } => {
        const lines = c.output(n);
        return { child: lines.indexOf('child got TERM'), parentExit: lines.indexOf('parent exiting'), lines };
      };
      const g = order('grp');
      assert.ok(g.child !== -1 && g.parentExit !== -1, g.lines.join('\n'));
      assert.ok(g.child < g.parentExit, `stop_group: the child is signalled with the parent, before it exits\n${g.lines.join('\n')}`);
      const s = order('solo');
      assert.ok(s.child !== -1 && s.parentExit !== -1, s.lines.join('\n'));
      assert.ok(s.child > s.parentExit, `default: the child is signalled only in the group cleanup after the parent exited\n${s.lines.join('\n')}`);
      assert.ok(c.records.slice(m).some((r) => r.proc === 'solo' && r.msg === 'stopping what is left of its process group'));
      assert.equal((await c.stop()).code, 0);
    });
  });

  describe('signals', () => {
    it('signals map: SIGHUP rewritten to SIGUSR1, SIGUSR2 not forwarded; a process without the key gets them unchanged', async () => {
      const c = await start({ files: { mapped: traps({ signals: { SIGHUP: 'SIGUSR1', SIGUSR2: null } }), plain: traps() } });
      await waitFor('READY', () => c.output('mapped').includes('READY') && c.output('plain').includes('READY'));
      let m = c.mark;
      c.signal('SIGHUP');
      await waitFor('SIGHUP delivered', () => c.output('mapped').includes('got SIGUSR1') && c.output('plain').includes('got SIGHUP'), 5000);
      const fwd = await c.waitRecord('forwarded SIGHUP', (r) => r.msg === 'forwarded SIGHUP', 5000, m);
      assert.deepEqual([...(fwd.to as string[])].sort(), ['mapped (as SIGUSR1)', 'plain']);
      m = c.mark;
      c.signal('SIGUSR2');
      await waitFor('plain got SIGUSR2', () => c.output('plain').includes('got SIGUSR2'), 5000);
      // a signal sent after it that the map leaves alone: once it arrives, SIGUSR2 would have too
      c.signal('SIGWINCH');
      await waitFor('mapped got SIGWINCH', () => c.output('mapped').includes('got SIGWINCH'), 5000);
      assert.ok(!c.output('mapped').includes('got SIGHUP'), 'mapped never got SIGHUP');
      assert.ok(!c.output('mapped').includes('got SIGUSR2'), 'mapped never got SIGUSR2');
      assert.ok(!c.output('plain').includes('got SIGUSR1'), 'plain never got SIGUSR1');
      const usr2 = c.records.slice(m).find((r) => r.msg === 'forwarded SIGUSR2');
      assert.deepEqual(usr2?.to, ['plain']);
      assert.equal(c.count((r) => r.msg === 'started'), 2, 'nothing was restarted');
      assert.equal((await c.stop()).code, 0);
    });

    it('signals map at shutdown: {"SIGINT": "SIGINT"} makes SIGINT to colony reach that process as SIGINT, the others get SIGTERM', async () => {
      const c = await start({ files: { keep: traps({ signals: { SIGINT: 'SIGINT' } }), other: traps() } });
      await waitFor('READY', () => c.output('keep').includes('READY') && c.output('other').includes('READY'));
      c.signal('SIGINT');
      assert.deepEqual(await c.wait(), { code: 0, signal: null });
      assert.ok(c.output('keep').includes('got SIGINT'), c.output('keep').join('\n'));
      assert.ok(!c.output('keep').includes('got SIGTERM'));
      assert.ok(c.output('other').includes('got SIGTERM'), c.output('other').join('\n'));
      assert.ok(!c.output('other').includes('got SIGINT'));
    });
  });

  describe('reload', () => {
    it('ctl reload sends reload_signal to the same pid; without reload_signal it restarts', async () => {
      const c = await start({ args: FAST, files: { web: traps({ reload_signal: 'SIGHUP' }), worker: traps() } });
      await waitFor('READY', () => c.output('web').includes('READY') && c.output('worker').includes('READY'));
      const webPid = await c.started('web');
      const workerPid = await c.started('worker');
      let m = c.mark;
      const r = await runCli(['--messages', c.dirs.messages, 'ctl', 'reload', 'web']);
      assert.equal(r.code, 0, r.stderr);
      await waitFor('web got SIGHUP', () => c.output('web').includes('got SIGHUP'), 5000);
      await c.waitRecord('reloading record', (x) => x.proc === 'web' && x.msg === 'reloading with SIGHUP', 5000, m);
      assert.equal(c.count(isStarted('web')), 1, 'same process, not restarted');
      assert.ok(!c.output('web').includes('got SIGTERM'));
      assert.ok(c.records.slice(m).every((x) => !(x.proc === 'web' && x.pid !== undefined && x.pid !== webPid)), 'no other pid for web');

      m = c.mark;
      const w = await runCli(['--messages', c.dirs.messages, 'ctl', 'reload', 'worker']);
      assert.equal(w.code, 0, w.stderr);
      const again = await c.started('worker', m);
      assert.notEqual(again, workerPid, 'a new process');
      assert.ok(c.output('worker').includes('got SIGTERM'), 'the old one was stopped');
      assert.ok(!c.output('worker').includes('got SIGHUP'));
      assert.equal((await c.stop()).code, 0);
    });
  });

  describe('output', () => {
    it('"inherit": the line goes raw to colony\'s stdout, not through the log', async () => {
      const c = await start({ files: { raw: shDescriptor('echo "raw line 7f3a"; exec sleep 1000', { output: 'inherit' }), logged: shDescriptor('echo "logged line 7f3a"; exec sleep 1000') } });
      await waitFor('raw line', () => c.rawLines.includes('raw line 7f3a'), 5000);
      await waitFor('logged line', () => c.output('logged').includes('logged line 7f3a'), 5000);
      assert.deepEqual(c.output('raw'), [], 'no log record for an inherited line');
      assert.ok(!c.rawLines.includes('logged line 7f3a'), 'the default goes through the JSON log');
      assert.equal((await c.stop()).code, 0);
    });

    it('a file path: the lines go to the file (stderr tagged), not to the log', async () => {
      const c = await start({ files: {} });
      const file = join(c.dirs.dir, 'out', 'app.log');
      writeAtomic(c.dirs.config, 'filed', shDescriptor('echo "to the file"; echo "an error" >&2; exec sleep 1000', { output: file }));
      await c.started('filed');
      await waitFor('lines in the file', () => existsSync(file) && /to the file/.test(readFileSync(file, 'utf8')) && /\[stderr\] an error/.test(readFileSync(file, 'utf8')), 5000);
      assert.deepEqual(c.output('filed'), []);
      assert.ok(!c.rawLines.some((l) => l.includes('to the file')));
      assert.equal((await c.stop()).code, 0);
    });

    it('{"file", "max_bytes", "keep"}: the file rotates by size and keeps that many old files', async () => {
      const c = await start({ files: {} });
      const file = join(c.dirs.dir, 'rot.log');
      const script = 'i=0; while [ $i -lt 60 ]; do echo "line $i padding padding padding"; i=$((i+1)); done; echo LAST; exec sleep 1000';
      writeAtomic(c.dirs.config, 'rot', shDescriptor(script, { output: { file, max_bytes: 200, keep: 2 } }));
      await waitFor('LAST written', () => existsSync(file) && readFileSync(file, 'utf8').includes('LAST'), 5000);
      assert.ok(existsSync(`${file}.1`), 'rotated once at least');
      assert.ok(existsSync(`${file}.2`), 'keeps two old files');
      assert.ok(!existsSync(`${file}.3`), 'not a third');
      for (const f of [file, `${file}.1`, `${file}.2`]) assert.ok(statSync(f).size <= 200, `${f} is ${statSync(f).size} bytes`);
      assert.ok(readFileSync(`${file}.1`, 'utf8').includes('line 5'), 'the previous lines are in .1');
      assert.deepEqual(c.output('rot'), []);
      assert.equal((await c.stop()).code, 0);
    });
  });

  describe('where and as whom', () => {
    it('cwd: the process runs there; a missing cwd is an error naming "cwd" and the process is not started', async () => {
      const c = await start({ args: FAST, files: {} });
      const work = join(c.dirs.dir, 'work dir');
      mkdirSync(work);
      writeAtomic(c.dirs.config, 'here', shDescriptor('pwd; exec sleep 1000', { cwd: work }));
      await waitFor('pwd', () => c.output('here').length > 0, 5000);
      assert.equal(c.output('here')[0], realpathSync(work));
      const missing = join(c.dirs.dir, 'no-such-dir');
      const file = writeAtomic(c.dirs.config, 'lost', shDescriptor('pwd; exec sleep 1000', { cwd: missing }));
      const err = await c.waitRecord('cwd error', (r) => r.proc === 'lost' && r.level === 'error' && r.field === 'cwd', 5000);
      assert.match(msgOf(err), /cwd/);
      assert.ok(msgOf(err).includes(missing), msgOf(err));
      assert.equal(err.file, file);
      // it is retried with back-off, never started
      await waitFor('retried', () => c.count((r) => r.proc === 'lost' && r.level === 'error' && r.field === 'cwd') >= 3, 10_000);
      assert.ok(c.find((r) => r.proc === 'lost' && /restarting in/.test(msgOf(r))), 'backs off between tries');
      assert.equal(c.count(isStarted('lost')), 0);
      assert.deepEqual(c.output('lost'), []);
      assert.equal((await c.stop()).code, 0);
    });

    it('user: runs as that user with its HOME from /etc/passwd; an unknown user is an error naming "user"', async () => {
      const entry = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
      assert.ok(entry, 'the test needs a "nobody" user');
      const [, , uid, , , home] = entry.split(':');
      const c = await start({ args: FAST, files: { who: shDescriptor('id -u; id -g; echo "HOME=$HOME USER=$USER"; exec sleep 1000', { user: 'nobody' }) } });
      await waitFor('id output', () => c.output('who').length >= 3, 5000);
      assert.equal(c.output('who')[0], uid);
      assert.equal(c.output('who')[2], `HOME=${home} USER=nobody`);
      const file = writeAtomic(c.dirs.config, 'ghost', shDescriptor('id -u; exec sleep 1000', { user: 'no-such-user' }));
      const err = await c.waitRecord('user error', (r) => r.proc === 'ghost' && r.level === 'error' && r.field === 'user', 5000);
      assert.match(msgOf(err), /no-such-user/);
      assert.match(msgOf(err), /user/);
      assert.equal(err.file, file);
      await waitFor('retried', () => c.count((r) => r.proc === 'ghost' && r.field === 'user') >= 2, 10_000);
      assert.equal(c.count(isStarted('ghost')), 0);
      assert.equal((await c.stop()).code, 0);
    });

    it('umask "077": files the process creates are 0600', async () => {
      const c = await start({ files: {} });
      const made = join(c.dirs.dir, 'made');
      writeAtomic(c.dirs.config, 'masked', shDescriptor(`umask; touch '${made}'; exec sleep 1000`, { umask: '077' }));
      writeAtomic(c.dirs.config, 'unmasked', shDescriptor('umask; exec sleep 1000'));
      await waitFor('umask printed', () => c.output('masked').length > 0 && c.output('unmasked').length > 0, 5000);
      assert.equal(c.output('masked')[0], '0077');
      assert.notEqual(c.output('unmasked')[0], '0077', "colony's own umask is left alone for the others");
      await waitFor('file made', () => existsSync(made), 5000);
      assert.equal(statSync(made).mode & 0o777, 0o600);
      assert.equal((await c.stop()).code, 0);
    });
  });

  describe('validation', () => {
    it('a bad value is reported naming the file, the key and the value, and not started; a good file still runs', async () => {
      const c = await start({ files: { bad: traps({ restart: 'sometimes' }), good: traps() } });
      await waitFor('good READY', () => c.output('good').includes('READY'));
      const err = await c.waitRecord('bad descriptor', (r) => r.proc === 'bad' && r.level === 'error', 5000);
      assert.equal(err.file, join(c.dirs.config, 'bad'));
      assert.ok(msgOf(err).includes(join(c.dirs.config, 'bad')), msgOf(err));
      assert.match(msgOf(err), /"restart"/);
      assert.match(msgOf(err), /sometimes/);
      assert.equal(c.count(isStarted('bad')), 0);
      assert.deepEqual(c.output('bad'), []);
      assert.equal((await c.stop()).code, 0);
    });
  });
});
