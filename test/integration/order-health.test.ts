// Start order ("after" + "ready"), health checks ("health", NColony's beatcheck and httpcheck),
// schedules and watched files, with colony as PID 1 and real processes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES, type Rec, shArgs, writeAtomic } from '../helpers/colony.ts';
import { cmdline, descendants } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
// late-ready.py DELAY MODE ...: becomes ready (tcp, file, log, http) after DELAY seconds; "got SIGTERM" when stopped.
const late = (delay: number, ...mode: string[]): string[] => [PY, join(FIXTURES, 'late-ready.py'), String(delay), ...mode];
// Takes half a second to stop after SIGTERM, so that a process stopped "in parallel" would be seen doing so.
const SLOW_STOP = shArgs('trap "sleep 0.5; echo bye; exit 0" TERM; echo READY; while true; do sleep 1000 & wait $!; done');

// A port nothing listens on right now (colony shares the host's network namespace here).
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const is = (proc: string, msg: string) => (r: Rec): boolean => r.proc === proc && r.msg === msg;
const matches = (proc: string, re: RegExp) => (r: Rec): boolean => r.proc === proc && r.stream === undefined && re.test(String(r.msg));
const printed = (proc: string, line: string) => (r: Rec): boolean => r.proc === proc && r.stream !== undefined && r.msg === line;
const time = (r: Rec | undefined): number => {
  assert.ok(r, 'record exists');
  return r.time as number;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// A scratch directory, removed when the test process exits (also after a failed or todo test).
const tempDirs: string[] = [];
process.once('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `colony-${prefix}-`));
  tempDirs.push(d);
  return d;
}

describe('start order and readiness', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it('"after" waits for "ready" (tcp, file, log, http); shutdown stops in reverse order', async () => {
    const [tcpPort, httpPort] = [await freePort(), await freePort()];
    const tmp = tempDir('ready');
    const flag = join(tmp, 'db-ready');
    const kinds = {
      tcp: { args: late(1, 'tcp', String(tcpPort)), ready: { tcp: `127.0.0.1:${tcpPort}` } },
      file: { args: late(1, 'file', flag), ready: { file: flag } },
      log: { args: late(1, 'log'), ready: { log: 'listening on' } },
      http: { args: late(1, 'http', String(httpPort)), ready: { http: `http://127.0.0.1:${httpPort}/` } },
    };
    const files: Record<string, object> = {};
    for (const [k, db] of Object.entries(kinds)) {
      files[`db_${k}`] = db;
      files[`web_${k}`] = { args: SLOW_STOP, after: [`db_${k}`] };
    }
    const c = await Colony.start({ files });
    started.push(c);
    for (const k of Object.keys(kinds)) {
      const db = `db_${k}`;
      const app = `web_${k}`;
      await c.started(app, 0, 15_000);
      const readyAt = c.records.findIndex(is(db, 'ready'));
      const appAt = c.records.findIndex(is(app, 'started'));
      assert.ok(readyAt >= 0, `${db} is reported ready`);
      assert.ok(appAt > readyAt, `${app} starts after ${db} is ready`);
      assert.match(String(c.records[readyAt]!.probe), new RegExp(`^${k} `), `${db}'s ready record names its probe`);
      // The readiness wait is real: db became ready only after its 1 s delay.
      assert.ok(time(c.records[appAt]) - time(c.find(is(db, 'started'))) >= 900, `${app} waited for ${db}'s delay`);
      if (k === 'log') {
        const line = c.records.findIndex(printed(db, 'listening on log'));
        assert.ok(line >= 0 && line < readyAt, 'log readiness follows the matching line');
      }
      const waiting = c.records.findIndex(is(app, `waiting for ${db} to be ready`));
      assert.ok(waiting >= 0 && waiting < appAt, `colony logs that ${app} is waiting`);
      assert.equal(c.count((r) => r.proc === app && r.level === 'error'), 0, `no error for ${app}`);
    }
    await waitFor('apps READY', () => Object.keys(kinds).every((k) => c.output(`web_${k}`).includes('READY')));

    const m = c.mark;
    assert.equal((await c.stop()).code, 0);
    for (const k of Object.keys(kinds)) {
      const since = (pred: (r: Rec) => boolean): number => c.records.findIndex((r, i) => i >= m && pred(r));
      const appStopped = since(is(`web_${k}`, 'stopped'));
      // db exits at once on SIGTERM (web takes half a second): its exit record marks when it got the signal.
      const dbExit = since((r) => r.proc === `db_${k}` && r.msg === 'exit code 0');
      const dbTerm = since(printed(`db_${k}`, 'got SIGTERM'));
      assert.ok(appStopped >= 0 && dbExit >= 0, `both stopped (${k})\n${c.log()}`);
      assert.ok(dbExit > appStopped, `db_${k} gets its stop signal only after web_${k} has stopped`);
      if (dbTerm >= 0) assert.ok(dbTerm > appStopped, `db_${k} gets its stop signal only after web_${k} has stopped`);
      assert.ok(since(is(`db_${k}`, 'stopped')) > appStopped);
    }
  });

  it('a dependent that sorts before its dependency in the directory gets no error at start', async () => {
    const c = await Colony.start({ files: { app: { args: shArgs('exec sleep 1000'), after: ['db'] }, db: { args: shArgs('exec sleep 1001') } } });
    started.push(c);
    await c.started('app');
    const errors = c.records.filter((r) => r.proc === 'app' && r.level === 'error').map((r) => r.msg);
    assert.deepEqual(errors, [], 'its dependency is in the directory too');
    assert.equal((await c.stop()).code, 0);
  });

  it('an unknown name or a cycle in "after" stops only those processes; adding the missing one or breaking the cycle starts them', async () => {
    const idle = shArgs('exec sleep 1000');
    const c = await Colony.start({
      files: {
        lost: { args: idle, after: ['nosuch'] },
        free: { args: idle },
        follows: { args: idle, after: ['free'] },
        c1: { args: idle, after: ['c2'] },
        c2: { args: idle, after: ['c1'] },
      },
    });
    started.push(c);
    await c.started('free');
    await c.started('follows');
    const lost = await c.waitRecord('lost reported', (r) => r.proc === 'lost' && r.level === 'error');
    assert.equal(lost.msg, 'not started: "after" names no such process: "nosuch"');
    assert.equal(lost.field, 'after');
    assert.equal(lost.file, join(c.dirs.config, 'lost'));
    for (const n of ['c1', 'c2']) {
      const cyc = await c.waitRecord(`${n} cycle reported`, (r) => r.proc === n && r.level === 'error' && /makes a cycle/.test(String(r.msg)));
      assert.match(String(cyc.msg), /^not started: "after" makes a cycle: /);
      assert.match(String(cyc.msg), /c1/);
      assert.match(String(cyc.msg), /c2/);
    }
    for (const n of ['lost', 'c1', 'c2']) assert.equal(c.count(is(n, 'started')), 0, `${n} is not started`);
    assert.equal(c.count((r) => r.proc === 'lost' && r.level === 'error'), 1, 'reported once');

    let m = c.mark;
    writeAtomic(c.dirs.config, 'nosuch', { args: idle });
    await c.started('nosuch', m);
    const lostPid = await c.started('lost', m);
    assert.ok(c.records.findIndex((r, i) => i >= m && is('nosuch', 'started')(r)) < c.records.findIndex((r, i) => i >= m && is('lost', 'started')(r)));
    assert.ok(lostPid > 0);

    m = c.mark;
    writeAtomic(c.dirs.config, 'c2', { args: idle });
    await c.started('c2', m);
    await c.started('c1', m);
    assert.equal((await c.stop()).code, 0);
  });

  it('a dependency that is not ready keeps the dependent waiting (ready.timeout is the whole wait, default 60 s)', async () => {
    const [closed, alsoClosed] = [await freePort(), await freePort()];
    const c = await Colony.start({
      files: {
        // no "timeout": waits up to 60 s without restarting
        db: { args: shArgs('exec sleep 1001'), ready: { tcp: `127.0.0.1:${closed}` } },
        web: { args: shArgs('exec sleep 1000'), after: ['db'] },
        // "timeout": 1 — not ready within 1 s: restarted (and still not ready)
        db2: { args: shArgs('exec sleep 1002'), ready: { tcp: `127.0.0.1:${alsoClosed}`, timeout: 1 } },
        web2: { args: shArgs('exec sleep 1003'), after: ['db2'] },
      },
    });
    started.push(c);
    const first = await c.started('db2');
    await c.waitRecord('web waiting', is('web', 'waiting for db to be ready'));
    await c.waitRecord('web2 waiting', is('web2', 'waiting for db2 to be ready'));
    const notReady = await c.waitRecord('db2 not ready', (r) => r.proc === 'db2' && r.level === 'error' && /^not ready in time \(tcp 127\.0\.0\.1:\d+: connection refused\); restarting$/.test(String(r.msg)), 5000);
    const gap = time(notReady) - time(c.find(is('db2', 'started')));
    assert.ok(gap >= 900 && gap < 2500, `given up after its 1 s timeout (${gap} ms)`);
    assert.notEqual(await c.started('db2', c.records.indexOf(notReady)), first, 'db2 restarted');
    await sleep(2000);
    for (const n of ['web', 'web2']) assert.equal(c.count(is(n, 'started')), 0, `${n} does not start while its dependency is not ready`);
    assert.equal(c.count((r) => r.msg === 'ready' && (r.proc === 'db' || r.proc === 'db2')), 0);
    assert.equal(c.count((r) => r.proc === 'db' && /not ready in time/.test(String(r.msg))), 0, 'the default wait is 60 s');
    assert.equal(c.count(is('db', 'started')), 1);
    assert.equal(c.count(is('web', 'waiting for db to be ready')), 1, 'waiting is logged once');
    assert.equal((await c.stop()).code, 0);
  });
});

describe('health checks', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it('an exec health check: passing keeps the process, failing "retries" times restarts it', async () => {
    const tmp = tempDir('health');
    const file = join(tmp, 'ok');
    writeFileSync(file, '');
    const c = await Colony.start({
      files: { svc: { args: shArgs('exec sleep 1000'), health: { exec: ['/bin/sh', '-c', `test -e ${file}`], interval: 0.5, retries: 2, timeout: 1 } } },
    });
    started.push(c);
    const first = await c.started('svc');
    await c.waitRecord('svc healthy', is('svc', 'healthy'), 5000);
    await sleep(2000); // four more passing checks
    assert.equal(c.count(is('svc', 'started')), 1, 'a healthy process is not restarted');
    assert.equal(c.count((r) => r.proc === 'svc' && /unhealthy/.test(String(r.msg))), 0);

    const m = c.mark;
    const removedAt = Date.now();
    unlinkSync(file);
    const warn = await c.waitRecord('svc unhealthy', (r) => r.proc === 'svc' && r.level === 'warn' && /^unhealthy: 2 health checks failed in a row/.test(String(r.msg)), 5000, m);
    assert.ok(time(warn) - removedAt >= 400, `two failed checks, half a second apart, before giving up (took ${time(warn) - removedAt} ms)`);
    await c.waitRecord('svc restarting', (r) => r.proc === 'svc' && /^unhealthy: .*; restarting$/.test(String(r.msg)), 5000, m);
    const second = await c.started('svc', m);
    assert.notEqual(second, first, 'restarted: a new pid');
    writeFileSync(file, '');
    assert.equal((await c.stop()).code, 0);
  });

  it('"start_period" does not count failures at first', async () => {
    const failing = { exec: ['/bin/sh', '-c', 'exit 1'], interval: 0.5, retries: 1, timeout: 1 };
    const c = await Colony.start({
      files: {
        patient: { args: shArgs('exec sleep 1000'), health: { ...failing, start_period: 2 } },
        hasty: { args: shArgs('exec sleep 1001'), health: failing },
      },
    });
    started.push(c);
    const unhealthy = (n: string) => (r: Rec): boolean => r.proc === n && r.level === 'warn' && /^unhealthy: /.test(String(r.msg));
    const p = await c.waitRecord('patient unhealthy', unhealthy('patient'), 8000);
    const h = c.find(unhealthy('hasty'));
    const patientGap = time(p) - time(c.find(is('patient', 'started')));
    const hastyGap = time(h) - time(c.find(is('hasty', 'started')));
    assert.ok(hastyGap < 1500, `without a start period the first failure counts (${hastyGap} ms)`);
    assert.ok(patientGap >= 1900, `failures within the 2 s start period are not counted (${patientGap} ms)`);
    assert.equal((await c.stop()).code, 0);
  });

  it('an http health check: 503 is unhealthy (restart), 200 is healthy', async () => {
    const [bad, good] = [await freePort(), await freePort()];
    const check = (port: number): object => ({ http: `http://127.0.0.1:${port}/health`, interval: 0.5, retries: 2, timeout: 1 });
    const c = await Colony.start({
      files: {
        bad: { args: late(0, 'http', String(bad), '503'), health: check(bad) },
        good: { args: late(0, 'http', String(good), '200'), health: check(good) },
      },
    });
    started.push(c);
    const first = await c.started('bad');
    const warn = await c.waitRecord('bad unhealthy', (r) => r.proc === 'bad' && r.level === 'warn' && /^unhealthy: 2 health checks/.test(String(r.msg)), 8000);
    assert.equal(warn.check, 'HTTP 503');
    const m = c.records.indexOf(warn);
    assert.notEqual(await c.started('bad', m), first, 'restarted');
    await c.waitRecord('good healthy', is('good', 'healthy'));
    assert.equal(c.count(is('good', 'started')), 1);
    assert.equal(c.count((r) => r.proc === 'good' && /unhealthy/.test(String(r.msg))), 0);
    assert.equal((await c.stop()).code, 0);
  });

  it('a critical process that becomes unhealthy ends colony with exit code 1', async () => {
    const c = await Colony.start({
      files: {
        vital: { args: shArgs('exec sleep 1000'), critical: true, health: { exec: ['/bin/false'], interval: 0.5, retries: 1, timeout: 1 } },
        bystander: { args: shArgs('exec sleep 1001') },
      },
    });
    started.push(c);
    const { code } = await c.wait(5000);
    assert.equal(code, 1);
    assert.ok(c.find((r) => r.proc === 'vital' && r.level === 'error' && /^critical process is unhealthy/.test(String(r.msg))), c.log());
    assert.ok(c.find(is('bystander', 'stopped')), 'everything else was stopped');
  });

  it('ncolony.beatcheck: beating keeps the process, silence restarts it after the grace (a missing file is not fatal then)', async () => {
    const dir = tempDir('beats');
    const beat = { period: 1, grace: 2, status: dir };
    const c = await Colony.start({
      files: {
        // First beat only after 1.2 s: the check at 1 s finds no file, within the grace.
        beater: { args: shArgs(`sleep 1.2; while true; do touch ${dir}/beater; sleep 0.3; done`), 'ncolony.beatcheck': beat },
        silent: { args: shArgs('exec sleep 1000'), 'ncolony.beatcheck': beat },
      },
    });
    started.push(c);
    const first = await c.started('silent');
    const warn = await c.waitRecord('silent unhealthy', (r) => r.proc === 'silent' && r.level === 'warn' && /^unhealthy: /.test(String(r.msg)), 8000);
    const gap = time(warn) - time(c.find(is('silent', 'started')));
    assert.ok(gap >= 1800, `not before the 2 s grace (${gap} ms)`);
    assert.match(String(warn.check), /no heartbeat/);
    assert.notEqual(await c.started('silent', c.records.indexOf(warn)), first, 'silent restarted');
    await c.waitRecord('beater healthy', is('beater', 'healthy'), 5000);
    // beater has now lived through several periods (the grace and two checks after it)
    await waitFor('4.5 s since beater started', () => Date.now() - time(c.find(is('beater', 'started'))) > 4500, 10_000);
    assert.equal(c.count(is('beater', 'started')), 1, 'a beating process is not restarted');
    assert.equal(c.count((r) => r.proc === 'beater' && /unhealthy/.test(String(r.msg))), 0);
    assert.equal((await c.stop()).code, 0);
  });

  it('ncolony.httpcheck: more than maxBad 503 answers in a row restarts the process', async () => {
    const [bad, good] = [await freePort(), await freePort()];
    const check = (port: number): object => ({ url: `http://127.0.0.1:${port}/`, period: 0.5, grace: 0, maxBad: 1, timeout: 1 });
    const c = await Colony.start({
      files: {
        bad: { args: late(0, 'http', String(bad), '503'), 'ncolony.httpcheck': check(bad) },
        good: { args: late(0, 'http', String(good), '200'), 'ncolony.httpcheck': check(good) },
      },
    });
    started.push(c);
    const first = await c.started('bad');
    const warn = await c.waitRecord('bad unhealthy', (r) => r.proc === 'bad' && r.level === 'warn' && /^unhealthy: 2 health checks/.test(String(r.msg)), 8000);
    assert.equal(warn.check, 'HTTP 503');
    const gap = time(warn) - time(c.find(is('bad', 'started')));
    assert.ok(gap >= 900, `maxBad 1: the first failure is tolerated (${gap} ms)`);
    assert.notEqual(await c.started('bad', c.records.indexOf(warn)), first, 'restarted');
    await c.waitRecord('good healthy', is('good', 'healthy'));
    assert.equal(c.count(is('good', 'started')), 1);
    assert.equal((await c.stop()).code, 0);
  });
});

describe('schedules', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  // Between two consecutive "started" records of proc, its previous run ended.
  function assertNoOverlap(c: Colony, proc: string): void {
    let running = false;
    for (const r of c.records) {
      if (r.proc !== proc || r.stream !== undefined) continue;
      if (r.msg === 'started') {
        assert.ok(!running, `two runs of ${proc} at once\n${c.log()}`);
        running = true;
      } else if (r.msg === 'not restarted (restart: never)' || r.msg === 'stopped') running = false;
    }
  }

  it('{"every": 1} runs a short command repeatedly', async () => {
    const c = await Colony.start({ files: { tick: { args: shArgs('echo run'), schedule: { every: 1 } } } });
    started.push(c);
    assert.ok(c.find(is('tick', 'descriptor added (scheduled)')));
    await waitFor('three runs', () => c.count(is('tick', 'scheduled run')) >= 3, 8000);
    await waitFor('three outputs', () => c.output('tick').filter((l) => l === 'run').length >= 3, 3000);
    const runs = c.records.filter((r) => is('tick', 'scheduled run')(r) || is('tick', 'started')(r)).map((r) => r.msg);
    for (let i = 0; i < 3; i++) assert.deepEqual(runs.slice(2 * i, 2 * i + 2), ['scheduled run', 'started'], `run ${i + 1} is started`);
    const times = c.records.filter(is('tick', 'scheduled run')).map(time);
    assert.ok(times[2]! - times[0]! >= 1700, `one a second, not faster (${times.join(', ')})`);
    assertNoOverlap(c, 'tick');
    assert.equal((await c.stop()).code, 0);
  });

  it('a run longer than the interval makes the next ones skipped, never two at once', async () => {
    const c = await Colony.start({ files: { slow: { args: shArgs('echo begin; sleep 2.5; echo end'), schedule: { every: 1 } } } });
    started.push(c);
    let most = 0;
    const sample = setInterval(() => {
      try {
        most = Math.max(most, descendants(c.pid).filter((p) => cmdline(p).join(' ').includes('echo begin')).length);
      } catch {
        // colony gone
      }
    }, 50);
    try {
      await c.waitRecord('a skipped run', (r) => r.proc === 'slow' && r.level === 'warn' && /skipped: the previous run is still going/.test(String(r.msg)), 5000);
      await waitFor('a second run', () => c.count(is('slow', 'started')) >= 2, 8000);
    } finally {
      clearInterval(sample);
    }
    assert.ok(c.count((r) => r.proc === 'slow' && /skipped/.test(String(r.msg))) >= 1);
    assert.ok(most >= 1, 'the sampling saw the run');
    assert.equal(most, 1, 'never two instances at once');
    assertNoOverlap(c, 'slow');
    assert.equal((await c.stop()).code, 0);
  });

  it('"timeout" stops a run that takes too long', async () => {
    const c = await Colony.start({ files: { hang: { args: ['/bin/sleep', '100'], schedule: { every: 1, timeout: 0.5 } } } });
    started.push(c);
    const warn = await c.waitRecord('timeout', (r) => r.proc === 'hang' && r.level === 'warn' && /still going after its 0.5 s timeout/.test(String(r.msg)), 5000);
    const began = c.records.filter(is('hang', 'started')).at(-1);
    const gap = time(warn) - time(began);
    assert.ok(gap >= 450 && gap < 1500, `stopped after about 0.5 s (${gap} ms)`);
    await c.waitRecord('hang stopped', (r) => r.proc === 'hang' && r.signal === 'SIGTERM', 5000, c.records.indexOf(warn));
    assert.equal((await c.stop()).code, 0);
  });

  it("a run's timeout counts from its own start, not from an earlier run's", async () => {
    // Runs at 1, 2, 3 s, each 0.9 s long; the 2.5 s timeout of the run at 1 s falls at 3.5 s, inside the run at 3 s.
    const c = await Colony.start({ files: { brief: { args: shArgs('sleep 0.9'), schedule: { every: 1, timeout: 2.5 } } } });
    started.push(c);
    await waitFor('four runs', () => c.count(is('brief', 'started')) >= 4, 8000);
    await waitFor('fourth run over', () => c.count((r) => r.proc === 'brief' && (r.msg === 'not restarted (restart: never)' || r.msg === 'stopped')) >= 4, 5000);
    assert.equal(c.count((r) => r.proc === 'brief' && /timeout/.test(String(r.msg))), 0, `no 0.9 s run reaches a 2.5 s timeout\n${c.log()}`);
    assert.equal((await c.stop()).code, 0);
  });

  it('a 6-field cron expression runs every second', async () => {
    const c = await Colony.start({ files: { cron: { args: shArgs('echo cron'), schedule: '* * * * * *' } } });
    started.push(c);
    await waitFor('two runs', () => c.count(is('cron', 'started')) >= 2, 5000);
    await waitFor('two outputs', () => c.output('cron').filter((l) => l === 'cron').length >= 2, 3000);
    assert.ok(c.count(is('cron', 'scheduled run')) >= 2);
    assert.equal((await c.stop()).code, 0);
  });
});

describe('watched files', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  // Writes the file until colony reacts once (its watcher takes a moment to be set up); returns the mark after.
  async function firstReaction(c: Colony, file: string, proc: string, timeoutMs = 10_000): Promise<number> {
    const m = c.mark;
    await waitFor(`${proc} reacts to a change`, async () => {
      writeFileSync(file, `warm-up ${Date.now()}\n`);
      await sleep(500);
      return c.records.slice(m).some(matches(proc, /^watched file changed/));
    }, timeoutMs, 0);
    await sleep(300);
    return c.mark;
  }

  it('"action": "restart" restarts once per burst of changes', async () => {
    const dir = tempDir('watch');
    const file = join(dir, 'app.conf');
    writeFileSync(file, 'v0\n');
    const c = await Colony.start({ files: { web: { args: shArgs('exec sleep 1000'), watch: { paths: [file], debounce: 0.2, action: 'restart' } } } });
    started.push(c);
    await c.started('web');
    const m = await firstReaction(c, file, 'web');
    const before = c.records.filter(is('web', 'started')).at(-1)!.pid;
    for (let i = 1; i <= 5; i++) {
      writeFileSync(file, `v${i}\n`);
      await sleep(50);
    }
    const after = await c.started('web', m, 5000);
    assert.notEqual(after, before, 'a new pid');
    await sleep(1000);
    assert.equal(c.records.slice(m).filter(matches('web', /^watched file changed/)).length, 1, 'one restart for the burst');
    assert.equal(c.records.slice(m).filter(is('web', 'started')).length, 1);
    assert.equal((await c.stop()).code, 0);
  });

  it('a glob in "watch" matches the files it names', async () => {
    const dir = tempDir('glob');
    writeFileSync(join(dir, 'a.conf'), 'v0\n');
    const c = await Colony.start({ files: { web: { args: shArgs('exec sleep 1000'), watch: { paths: [join(dir, '*.conf')], debounce: 0.2 } } } });
    started.push(c);
    await c.started('web');
    await firstReaction(c, join(dir, 'a.conf'), 'web', 3000);
    assert.equal((await c.stop()).code, 0);
  });

  it('"action": "reload" sends the reload signal instead of restarting', async () => {
    const dir = tempDir('watch');
    const file = join(dir, 'app.conf');
    writeFileSync(file, 'v0\n');
    const c = await Colony.start({
      files: { sig: { args: ['/bin/sh', join(FIXTURES, 'signals.sh')], reload_signal: 'SIGHUP', watch: { paths: [file], debounce: 0.2, action: 'reload' } } },
    });
    started.push(c);
    await waitFor('READY', () => c.output('sig').includes('READY'));
    await firstReaction(c, file, 'sig');
    await waitFor('got SIGHUP', () => c.output('sig').includes('got SIGHUP'), 5000);
    assert.ok(c.find((r) => matches('sig', /^watched file changed .*: reloading$/)(r)));
    assert.equal(c.count(is('sig', 'started')), 1, 'not restarted');
    assert.equal((await c.stop()).code, 0);
  });
});
