// GET /metrics from a real colony (PID 1): what a Prometheus scraper sees change after kill -9, a
// failing health check and a process colony gives up on; the endpoint's answers to what it does not
// serve, to malformed requests and to 1,000 connections at once; a port that cannot be bound.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, shArgs } from '../helpers/colony.ts';
import { cmdline, rssKiB } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

// The host pid of colony's descendant running exactly `argv`.
function hostPid(c: Colony, argv: string[]): number {
  const pid = c.processes().find((p) => JSON.stringify(cmdline(p)) === JSON.stringify(argv));
  assert.ok(pid !== undefined, `a process ${argv.join(' ')} below colony`);
  return pid;
}

// One scrape: each sample line as `name{labels}` → value.
async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

async function metricsPort(c: Colony): Promise<number> {
  const r = await c.waitRecord('the metrics endpoint', (x) => /^serving metrics on /.test(String(x.msg)));
  return Number(/:(\d+)\/metrics$/.exec(String(r.msg))![1]);
}

describe('metrics endpoint', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it('a scraper sees up, restarts, exits, health and failure change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'colony-metrics-'));
    const flag = join(dir, 'healthy');
    writeFileSync(flag, '');
    const c = await Colony.start({
      args: ['--metrics', '127.0.0.1:0'],
      files: {
        web: { args: shArgs('echo up; exec sleep 1001'), group: ['front'] },
        checked: { args: shArgs('exec sleep 1000'), health: { exec: ['/bin/sh', '-c', `test -e ${flag}`], interval: 0.3, retries: 2, timeout: 1 } },
        crashy: { args: shArgs('exit 3'), max_fast_restarts: 2 },
      },
    });
    started.push(c);
    const port = await metricsPort(c);
    await c.started('web');
    const at = (s: Map<string, number>, key: string): number | undefined => s.get(key);
    const first = await waitFor('web up, checked healthy, crashy failed', async () => {
      const s = await scrape(port);
      return at(s, 'colony_process_up{name="web",group="front"}') === 1 && at(s, 'colony_process_healthy{name="checked",group=""}') === 1 && at(s, 'colony_process_failed{name="crashy",group=""}') === 1 ? s : undefined;
    }, 20_000);
    assert.equal(at(first, 'colony_process_restarts_total{name="web",group="front"}'), 0);
    assert.equal(at(first, 'colony_process_up{name="crashy",group=""}'), 0);
    assert.equal(at(first, 'colony_process_last_exit_code{name="crashy",group=""}'), 3);
    assert.equal(at(first, 'colony_process_exits_total{name="crashy",group="",reason="failure"}'), 3, 'the first run and two fast restarts, all exit 3');
    assert.ok(at(first, 'colony_process_output_lines_total{name="web",group="front",stream="stdout"}')! >= 1);
    assert.ok(Math.abs(at(first, 'colony_process_start_time_seconds{name="web",group="front"}')! - Date.now() / 1000) < 60);
    assert.ok(at(first, 'process_resident_memory_bytes')! > 1e6, "Node's own metrics are there");

    process.kill(hostPid(c, ['sleep', '1001']), 'SIGKILL');
    const after1 = await waitFor('web restarted once after kill -9', async () => {
      const s = await scrape(port);
      return at(s, 'colony_process_restarts_total{name="web",group="front"}') === 1 && at(s, 'colony_process_up{name="web",group="front"}') === 1 ? s : undefined;
    }, 20_000);
    assert.equal(at(after1, 'colony_process_exits_total{name="web",group="front",reason="signal"}'), 1);

    rmSync(flag);
    await waitFor('checked unhealthy', async () => at(await scrape(port), 'colony_process_healthy{name="checked",group=""}') === 0, 20_000);
    assert.equal((await c.stop()).code, 0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 404, 405 and 400 to what it does not serve, survives 1,000 connections at once (memory bounded), and keeps supervising', async (t) => {
    const c = await Colony.start({ args: ['--metrics', '127.0.0.1:0'], files: { web: { args: shArgs('exec sleep 1002') } } });
    started.push(c);
    await c.started('web');
    const port = await metricsPort(c);
    assert.equal((await fetch(`http://127.0.0.1:${port}/nope`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST', body: 'x' })).status, 405);
    const head = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    // Raw garbage, a huge header, and a connection that never finishes its request.
    const raw = (payload: string): Promise<string> =>
      new Promise((resolve) => {
        const s = connect(port, '127.0.0.1', () => s.end(payload));
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('close', () => resolve(got));
        s.on('error', () => resolve(got));
      });
    assert.match(await raw('NOT HTTP AT ALL\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.match(await raw(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`), /^HTTP\/1\.1 4\d\d/);
    const rssBefore = rssKiB(c.pid);
    const sockets = await Promise.all(Array.from({ length: 1000 }, () => new Promise<ReturnType<typeof connect>>((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', () => resolve(s));
    })));
    // With 1,000 connections open (idle, half a request each), scrapes are still answered and colony still supervises.
    for (const s of sockets) s.write('GET /metrics HTTP/1.1\r\n');
    assert.equal((await scrape(port)).get('colony_process_up{name="web",group=""}'), 1);
    const grew = (rssKiB(c.pid) - rssBefore) / 1024;
    t.diagnostic(`1,000 open connections: colony's RSS grew by ${grew.toFixed(1)} MiB`);
    assert.ok(grew < 64, `memory bounded: RSS grew by ${grew.toFixed(1)} MiB with 1,000 connections open`);
    process.kill(hostPid(c, ['sleep', '1002']), 'SIGKILL');
    await waitFor('web restarted while 1,000 connections are open', async () => (await scrape(port)).get('colony_process_restarts_total{name="web",group=""}') === 1, 20_000);
    for (const s of sockets) s.destroy();
    assert.equal((await c.stop()).code, 0, 'colony stops at once with connections open');
  });

  it('a port already taken: one error line naming it, and colony supervises without the endpoint', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const c = await Colony.start({ args: ['--metrics', `127.0.0.1:${port}`], files: { web: { args: shArgs('exec sleep 1000') } } });
      started.push(c);
      await c.started('web');
      const line = await c.waitRecord('the error line', (r) => r.level === 'error' && /--metrics/.test(String(r.msg)));
      assert.match(String(line.msg), new RegExp(`^--metrics 127\\.0\\.0\\.1:${port}: cannot listen \\(.*EADDRINUSE`));
      assert.equal((await c.stop()).code, 0);
    } finally {
      busy.close();
    }
  });
});
