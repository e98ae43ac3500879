// NColony's beatcheck and httpcheck extras: the probes on real files (mtimes set with utimesSync) and a real
// loopback server, the HealthChecker plans they make (grace after every (re)start), and their validation.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import { HealthChecker, type HealthCheckPlan } from '../../../src/probes/checker.ts';
import { beatcheckProbe, httpcheckProbe, parseNcolonyExtras } from '../../../src/probes/ncolony.ts';
import type { ProbeResult } from '../../../src/probes/probe.ts';
import { waitFor } from '../../helpers/wait.ts';

// The wall-clock time the tests pretend it is (file mtimes are set relative to it).
const NOW = Date.parse('2030-01-01T00:00:00Z');

function touch(file: string, msBeforeNow: number, now = NOW): void {
  writeFileSync(file, '');
  const t = (now - msBeforeNow) / 1000;
  utimesSync(file, t, t);
}

describe('beatcheck probe', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'colony-beat-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // A wall clock stopped at `ms`.
  const at = (ms: number) => ({ clock: { wallNow: () => ms } });

  test('a status file touched within the period is healthy; older than the period is not', async () => {
    const status = join(dir, 'web.beat');
    const plan = beatcheckProbe({ period: 10, grace: 3, status }, 'web', at(NOW));
    touch(status, 4000);
    assert.deepEqual(await plan.probe(), { ok: true, detail: 'heartbeat 4 s ago' });
    touch(status, 10_000);
    assert.equal((await plan.probe()).ok, true, 'exactly one period old is still fresh (as in NColony)');
    touch(status, 10_500);
    assert.deepEqual(await plan.probe(), { ok: false, detail: `last heartbeat 10.5 s ago, over the 10 s period (${status})` });
  });

  test('a status directory holds one file per process name', async () => {
    const status = join(dir, 'beats');
    mkdirSync(status);
    const plan = beatcheckProbe({ period: 5, grace: 1, status }, 'worker', at(NOW));
    assert.deepEqual(await plan.probe(), { ok: false, detail: `no heartbeat: no such file ${join(status, 'worker')}` });
    touch(join(status, 'worker'), 1000);
    assert.deepEqual(await plan.probe(), { ok: true, detail: 'heartbeat 1 s ago' });
    touch(join(status, 'worker'), 6000);
    assert.equal((await plan.probe()).ok, false, "the directory's own fresh mtime does not count");
  });

  test('a missing status file is a failed check, not a crash', async () => {
    const status = join(dir, 'never-written');
    const plan = beatcheckProbe({ period: 10, grace: 3, status }, 'web', at(NOW));
    assert.deepEqual(await plan.probe(), { ok: false, detail: `no heartbeat: no such file ${status}` });
  });

  test('a relative status path is taken from the process working directory', async () => {
    const cwd = join(dir, 'app');
    mkdirSync(cwd);
    touch(join(cwd, 'alive'), 2000);
    const plan = beatcheckProbe({ period: 10, grace: 1, status: 'alive' }, 'web', { cwd, ...at(NOW) });
    assert.deepEqual(await plan.probe(), { ok: true, detail: 'heartbeat 2 s ago' });
  });

  test('without a clock, file ages are taken from the real wall clock', async () => {
    const status = join(dir, 'real.beat');
    touch(status, 3000, Date.now());
    const r = await beatcheckProbe({ period: 10, grace: 3, status }, 'web').probe();
    assert.equal(r.ok, true, r.detail);
    assert.match(r.detail, /^heartbeat 3(\.\d+)? s ago$/);
  });

  test('the plan: a check every period, one failure is unhealthy, start period = period × grace', () => {
    const plan = beatcheckProbe({ period: 10, grace: 3, status: '/x' }, 'web');
    assert.deepEqual({ ...plan, probe: undefined }, { probe: undefined, intervalMs: 10_000, timeoutMs: 10_000, retries: 1, startPeriodMs: 30_000 });
  });
});

// Runs a plan in a HealthChecker on a virtual clock whose wall time is NOW + virtual ms; the probe does real
// file I/O, so each step waits until the checks begun so far have settled.
function runPlan(make: (clock: FakeClock) => HealthCheckPlan) {
  const clock = new FakeClock(NOW);
  const unhealthy: Array<{ at: number; detail: string }> = [];
  const healthy: number[] = [];
  const plan = make(clock);
  let begun = 0;
  let settled = 0;
  const checker = new HealthChecker({
    ...plan,
    probe: () => {
      begun++;
      return plan.probe().finally(() => settled++);
    },
    onUnhealthy: (detail) => unhealthy.push({ at: clock.now(), detail }),
    onHealthy: () => healthy.push(clock.now()),
    clock,
    log: memoryLog(),
  });
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await waitFor('the checks to settle', () => settled === begun);
    await tick();
  };
  return { clock, checker, unhealthy, healthy, advance, checks: () => begun };
}

describe('beatcheck in a HealthChecker (NColony defect 8 fixed)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'colony-beat-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('no status file yet: not fatal during the grace period, unhealthy at the first check after it', async () => {
    const status = join(dir, 'late');
    const r = runPlan((clock) => beatcheckProbe({ period: 10, grace: 3, status }, 'web', { clock }));
    r.checker.start();
    await r.advance(10_000);
    await r.advance(10_000);
    assert.equal(r.checks(), 2);
    assert.deepEqual(r.unhealthy, [], 'the checks at 10 s and 20 s are in the grace period');
    await r.advance(10_000);
    assert.deepEqual(r.unhealthy, [{ at: 30_000, detail: `no heartbeat: no such file ${status}` }]);
  });

  test('a heart that beats keeps it healthy; when it stops, the next check past the period is unhealthy', async () => {
    const status = join(dir, 'beating');
    const r = runPlan((clock) => beatcheckProbe({ period: 10, grace: 3, status }, 'web', { clock }));
    r.checker.start();
    touch(status, 0, NOW + 9000); // first beat at 9 s
    await r.advance(10_000);
    assert.deepEqual(r.healthy, [10_000]);
    touch(status, 0, NOW + 15_000); // last beat at 15 s
    await r.advance(10_000); // 20 s: 5 s old
    assert.equal(r.checker.status, 'healthy');
    await r.advance(10_000); // 30 s: 15 s old
    assert.equal(r.unhealthy.length, 1);
    assert.equal(r.unhealthy[0]?.at, 30_000);
    assert.match(r.unhealthy[0]?.detail ?? '', /^last heartbeat 15 s ago, over the 10 s period/);
  });

  test('after a restart the grace period applies again (NColony restarted at every check)', async () => {
    const status = join(dir, 'stale');
    touch(status, 0, NOW - 60_000); // a minute-old beat from the previous process
    const r = runPlan((clock) => beatcheckProbe({ period: 10, grace: 2, status }, 'web', { clock }));
    r.checker.start();
    await r.advance(10_000);
    await r.advance(10_000);
    assert.deepEqual(r.unhealthy.map((u) => u.at), [20_000]);
    // the caller restarts the process and the checker
    r.checker.stop();
    r.checker.start();
    await r.advance(10_000);
    assert.deepEqual(r.unhealthy.map((u) => u.at), [20_000], 'the stale file is not counted within the grace after the restart');
    touch(status, 0, NOW + 35_000); // the new process beats
    await r.advance(10_000);
    assert.equal(r.checker.status, 'healthy');
    assert.deepEqual(r.unhealthy.map((u) => u.at), [20_000]);
  });
});

describe('httpcheck', () => {
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.writeHead(req.url === '/health' ? 200 : 503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('the plan: GET every period, start period = period × grace, retries = maxBad + 1, timeout capped at period', () => {
    const plan = httpcheckProbe({ url: `${base}/health`, period: 5, grace: 2, maxBad: 3, timeout: 10 });
    assert.deepEqual({ ...plan, probe: undefined }, { probe: undefined, intervalMs: 5000, timeoutMs: 5000, retries: 4, startPeriodMs: 10_000 });
    assert.equal(httpcheckProbe({ url: base, period: 5, grace: 2, maxBad: 0, timeout: 1.5 }).timeoutMs, 1500);
  });

  test('2xx is healthy, 5xx is not (NColony counted 5xx as healthy)', async () => {
    assert.deepEqual(await httpcheckProbe({ url: `${base}/health`, period: 5, grace: 1, maxBad: 0, timeout: 2 }).probe(), { ok: true, detail: 'HTTP 200' });
    assert.deepEqual(await httpcheckProbe({ url: `${base}/broken`, period: 5, grace: 1, maxBad: 0, timeout: 2 }).probe(), { ok: false, detail: 'HTTP 503' });
  });

  test('with a clock given, the GET times out on it, at exactly the timeout', async () => {
    const clock = new FakeClock();
    const plan = httpcheckProbe({ url: `${base}/hang`, period: 5, grace: 1, maxBad: 0, timeout: 2 }, { clock });
    let result: ProbeResult | undefined;
    void plan.probe().then((r) => (result = r));
    await waitFor('the GET timeout to be set on the virtual clock', () => clock.pending() === 1);
    clock.advance(1999);
    await tick();
    assert.equal(result, undefined);
    clock.advance(1);
    await tick();
    assert.deepEqual(result, { ok: false, detail: 'timed out after 2 s' });
  });

  test('more than maxBad failures in a row after the grace period → unhealthy', async () => {
    const r = runPlan((clock) => httpcheckProbe({ url: `${base}/broken`, period: 5, grace: 2, maxBad: 2, timeout: 2 }, { clock }));
    r.checker.start();
    // the check at 5 s is in the grace period (begun before 10 s); those at 10 s and 15 s count
    for (let i = 0; i < 3; i++) await r.advance(5000);
    assert.equal(r.checks(), 3);
    assert.deepEqual(r.unhealthy, [], 'two counted failures are within maxBad');
    await r.advance(5000);
    assert.deepEqual(r.unhealthy, [{ at: 20_000, detail: 'HTTP 503' }]);
  });
});

describe('parseNcolonyExtras', () => {
  const beat = { period: 10, grace: 3, status: '/var/run/beats' };
  const http = { url: 'http://127.0.0.1:8000/health', period: 5, grace: 2, maxBad: 3, timeout: 1 };

  test('reads both keys and ignores the rest of the descriptor', () => {
    assert.deepEqual(parseNcolonyExtras({ args: ['/bin/app'], 'ncolony.beatcheck': beat, 'ncolony.httpcheck': http, other: 1 }), {
      ok: true,
      extras: { beatcheck: beat, httpcheck: http },
    });
  });

  test('absent or null keys mean no check', () => {
    assert.deepEqual(parseNcolonyExtras({ args: ['/bin/app'] }), { ok: true, extras: {} });
    assert.deepEqual(parseNcolonyExtras({ 'ncolony.beatcheck': null }), { ok: true, extras: {} });
  });

  test('a key that is not an object', () => {
    assert.deepEqual(parseNcolonyExtras({ 'ncolony.beatcheck': 5 }), { ok: false, errors: ['"ncolony.beatcheck" must be an object, got 5'] });
    assert.deepEqual(parseNcolonyExtras({ 'ncolony.httpcheck': ['x'] }), { ok: false, errors: ['"ncolony.httpcheck" must be an object, got ["x"]'] });
  });

  test('errors name the key, the field and the value; all are reported at once', () => {
    const r = parseNcolonyExtras({
      'ncolony.beatcheck': { period: '10', grace: -1 },
      'ncolony.httpcheck': { ...http, url: 'ftp://x/', maxBad: 1.5, timeout: 0 },
    });
    assert.deepEqual(r, {
      ok: false,
      errors: [
        '"ncolony.beatcheck.period" must be a positive number of seconds, got "10"',
        '"ncolony.beatcheck.grace" must be a number of periods, 0 or more, got -1',
        '"ncolony.beatcheck.status" is required (a non-empty path)',
        '"ncolony.httpcheck.url" must be an http:// or https:// URL, got "ftp://x/"',
        '"ncolony.httpcheck.maxBad" must be a whole number, 0 or more, got 1.5',
        '"ncolony.httpcheck.timeout" must be a positive number of seconds, got 0',
      ],
    });
  });

  test('every httpcheck field is required, as in NColony', () => {
    const r = parseNcolonyExtras({ 'ncolony.httpcheck': { url: 'http://x/' } });
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.errors.map((e) => e.split('"')[1]), ['ncolony.httpcheck.period', 'ncolony.httpcheck.grace', 'ncolony.httpcheck.maxBad', 'ncolony.httpcheck.timeout']);
  });

  test('a period too long for a timer is refused', () => {
    const r = parseNcolonyExtras({ 'ncolony.beatcheck': { ...beat, period: 1e9 } });
    assert.deepEqual(r, { ok: false, errors: ['"ncolony.beatcheck.period" must be at most 2147483 seconds, got 1000000000'] });
  });

  test('the descriptor itself must be an object', () => {
    assert.deepEqual(parseNcolonyExtras([1]), { ok: false, errors: ['must be a JSON object, got [1]'] });
  });
});
