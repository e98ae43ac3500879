// Workload 12, readiness: how soon a process "after" another starts once that one is ready. A Python
// server becomes ready 0.3 s after its start — by sending READY=1 over NOTIFY_SOCKET ("ready":
// {"notify": true}), or by listening on its port (a "tcp" ready probe, which colony repeats every
// 0.1 s) — and prints the wall-clock time it did so; the dependent announces itself into a FIFO as
// soon as it runs. The delay is the FIFO line's arrival minus that time. Both kinds alternate in one
// colony, a fresh pair of descriptors each round. colony only: no peer orders starts by readiness.
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { announce, Fifo, median, percentile, startColony, writeAtomically } from '../lib.ts';
import type { Workload } from '../workload.ts';

const NOTIFY = `import os, socket, time
time.sleep(0.3)
a = os.environ['NOTIFY_SOCKET']
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect('\\0' + a[1:] if a.startswith('@') else a)
print('sent', time.time_ns(), flush=True)
s.sendall(b'READY=1')
time.sleep(3600)`;

const TCP = (port: number): string => `import socket, time
time.sleep(0.3)
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('127.0.0.1', ${port}))
print('sent', time.time_ns(), flush=True)
l.listen()
time.sleep(3600)`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export const run: Workload = async (ctx) => {
  const rounds = ctx.runs ?? (ctx.quick ? 6 : 20);
  const { colony, config } = startColony(join(ctx.dir, 'colony'), {});
  const fifo = new Fifo(join(ctx.dir, 'fifo'), true);
  colony.guard(fifo.feed);
  await colony.out.waitFor((r) => typeof r.msg === 'string' && r.msg.startsWith('ready: watching'), 'notify: colony up', 20000);
  const delays: Record<'notify' | 'tcp', number[]> = { notify: [], tcp: [] };
  for (let i = 0; i < rounds * 2; i++) {
    const kind = i % 2 === 0 ? 'notify' : 'tcp';
    const web = `web${i}`;
    const dep = `dep${i}`;
    const ready = kind === 'notify' ? { notify: true } : { tcp: `127.0.0.1:${await freePort()}` };
    const script = kind === 'notify' ? NOTIFY : TCP(Number(String(ready.tcp).split(':')[1]));
    const from = fifo.feed.items.length;
    const logFrom = colony.out.items.length;
    writeAtomically(config, `${web}.json`, JSON.stringify({ args: ['/usr/bin/python3', '-c', script], ready }));
    writeAtomically(config, `${dep}.json`, JSON.stringify({ args: announce(fifo.path, dep), after: [web] }));
    const sent = await colony.out.waitFor((r) => r.proc === web && typeof r.msg === 'string' && r.msg.startsWith('sent '), `notify: ${web} ready`, 20000, logFrom);
    const seen = await fifo.feed.waitFor((v) => v[0] === dep, `notify: ${dep} started`, 20000, from);
    const sentMs = Number(String(sent.value.msg).slice('sent '.length)) / 1e6;
    delays[kind].push(performance.timeOrigin + seen.at - sentMs);
    rmSync(join(config, `${dep}.json`));
    rmSync(join(config, `${web}.json`));
  }
  await colony.stop();
  fifo.close();
  const workload = '12. ready';
  return {
    rows: [
      { workload, metric: `ready → the process "after" it runs, median of ${rounds}: READY=1 (notify)`, unit: 'ms', values: { colony: median(delays.notify) }, goal: '≤ 10 ms', met: median(delays.notify) <= 10 },
      { workload, metric: '  p95: READY=1 (notify)', unit: 'ms', values: { colony: percentile(delays.notify, 95) } },
      { workload, metric: `  median: listening, "tcp" probe (every 0.1 s)`, unit: 'ms', values: { colony: median(delays.tcp) } },
      { workload, metric: '  p95: listening, "tcp" probe', unit: 'ms', values: { colony: percentile(delays.tcp, 95) } },
    ],
    notes: ['ready: the delay includes the dependent\'s own start (a shell writing into a FIFO); the server prints its wall-clock time just before READY=1 or listen().'],
    details: delays,
  };
};
