// Workload 2, restart: request → the new pid running, for one supervised announce.sh. colony through a
// message file and through `colony ctl restart` (the bundle and the single executable, each spawned per
// request); supervisord through `supervisorctl restart` and through its XML-RPC API from a persistent client.
// colony and supervisord run side by side, and the methods take turns within each round.
import { join } from 'node:path';
import { announce, BUNDLE_CMD, colonyMeets, Fifo, floorMet, SEA, runTracked, sleep, startColony, startFloor, takeTurns, timeRequest, valuesOf, writeAtomically, type LogRecord, type Timing } from '../lib.ts';
import { startSupervisord, startXmlRpc } from '../supervisord.ts';
import type { Row, Workload } from '../workload.ts';

const GAP_MS = 100; // between two requests: the restarted process settles

type Method = 'message' | 'floor' | 'ctl' | 'ctlSea' | 'supervisorctl' | 'xmlrpc';

// The pid of the last announcement of `name` on the FIFO.
function lastPid(fifo: Fifo, name: string): string | undefined {
  return fifo.feed.items.findLast((it) => it.value[0] === name)?.value[1];
}

export const run: Workload = async (ctx) => {
  const runs = ctx.runs ?? (ctx.quick ? 10 : 50);
  const out = new Fifo(join(ctx.dir, 'out'), true);
  try {
    const { colony, messages } = startColony(join(ctx.dir, 'colony'), { svc: announce(out.path, 'svc') });
    colony.guard(out.feed);
    const floor = startFloor(join(ctx.dir, 'floor'), { flr: announce(out.path, 'flr') });
    floor.floor.guard(out.feed);
    const { supervisord, supervisorPython } = ctx.peers;
    const sv = supervisord ? await startSupervisord('supervisord', join(ctx.dir, 'supervisord'), [{ name: 'sup', command: announce(out.path, 'sup') }]) : undefined;
    sv?.pid1.guard(out.feed);
    const rpc = sv && supervisorPython ? startXmlRpc(sv, supervisorPython) : undefined;
    for (const name of sv ? ['svc', 'flr', 'sup'] : ['svc', 'flr']) await out.feed.waitFor((v) => v[0] === name, `restart: ${name} first start`, 20000);
    await sleep(500);

    // One timed restart of `name` by `request`: until the FIFO announces a pid other than the last one.
    const restart = async (name: string, what: string, request: () => Promise<unknown> | void) => {
      const old = lastPid(out, name);
      const r = await timeRequest(out, (v) => v[0] === name && v[1] !== old, `${what}: a new ${name} pid`, request);
      await sleep(GAP_MS);
      return r;
    };
    const logMs: number[] = []; // colony's "started" record for the new pid, after the message file (a cross-check)
    const ctl = (command: string[]) => () => runTracked([...command, 'ctl', '--messages', messages, 'restart', 'svc']);
    const variants: Array<{ key: Method; once: (round: number) => Promise<number> }> = [
      {
        key: 'message',
        once: async (round) => {
          const logFrom = colony.out.items.length;
          const r = await restart('svc', `message #${round}`, () => void writeAtomically(messages, `restart-${round}`, JSON.stringify({ type: 'RESTART', name: 'svc' })));
          const started = (rec: LogRecord): boolean => rec.msg === 'started' && rec.proc === 'svc' && String(rec.pid) === r.line[1];
          logMs.push((await colony.out.waitFor(started, `message #${round}: colony's "started" record`, 10000, logFrom)).at - r.t0);
          return r.ms;
        },
      },
      { key: 'floor', once: async (round) => (await restart('flr', `floor message #${round}`, () => void writeAtomically(floor.messages, `restart-${round}`, JSON.stringify({ type: 'RESTART', name: 'flr' })))).ms },
      { key: 'ctl', once: async (round) => (await restart('svc', `colony ctl restart #${round}`, ctl(BUNDLE_CMD))).ms },
    ];
    if (ctx.sea) variants.push({ key: 'ctlSea', once: async (round) => (await restart('svc', `colony (SEA) ctl restart #${round}`, ctl([SEA]))).ms });
    if (sv) variants.push({ key: 'supervisorctl', once: async (round) => (await restart('sup', `supervisorctl restart #${round}`, () => sv.ctl('restart', 'sup'))).ms });
    if (rpc) variants.push({ key: 'xmlrpc', once: async (round) => (await restart('sup', `XML-RPC restart #${round}`, () => rpc.send('restart', 'sup'))).ms });

    ctx.note(`restart: ${runs} rounds of ${variants.map((v) => v.key).join(', ')}`);
    const t: Partial<Record<Method, Timing>> = await takeTurns(runs, variants);
    rpc?.close();
    await colony.stop();
    floor.floor.kill();
    await floor.floor.exited;
    await sv?.stop();

    const workload = '2. restart';
    const api: Record<string, Method> = { colony: 'message', supervisord: 'xmlrpc' };
    const floorOf: Record<string, Method> = { colony: 'message', floor: 'floor' };
    const cli: Record<string, Method> = { colony: 'ctl', 'colony-sea': 'ctlSea', supervisord: 'supervisorctl' };
    const median = (x: Timing): number => x.medianMs;
    const p95 = (x: Timing): number => x.p95Ms;
    const rows: Row[] = [
      { workload, metric: `request → new pid, median of ${runs}: message file / XML-RPC`, unit: 'ms', values: valuesOf(t, median, api), base: 'supervisord', goal: '≤ 5 ms', met: colonyMeets(valuesOf(t, median, api), (v) => v <= 5) },
      { workload, metric: '  p95: message file / XML-RPC', unit: 'ms', values: valuesOf(t, p95, api), base: 'supervisord' },
      { workload, metric: '  median: message file / floor', unit: 'ms', values: valuesOf(t, median, floorOf), base: 'floor', goal: '≤ 1.5× floor', met: floorMet(valuesOf(t, median, floorOf)) },
      { workload, metric: '  p95: message file / floor', unit: 'ms', values: valuesOf(t, p95, floorOf), base: 'floor' },
      { workload, metric: '  median: `colony ctl restart` / `supervisorctl restart`', unit: 'ms', values: valuesOf(t, median, cli), base: 'supervisord', goal: '≤ 60 ms', met: colonyMeets(valuesOf(t, median, cli), (v) => v <= 60) },
      { workload, metric: '  p95: `colony ctl restart` / `supervisorctl restart`', unit: 'ms', values: valuesOf(t, p95, cli), base: 'supervisord' },
    ];
    const notes = [];
    if (sv && !rpc) notes.push(`restart: supervisord's XML-RPC row is skipped: ${ctx.peers.skipped['supervisord XML-RPC']}`);
    return { rows, notes, details: { runs, ...t, messageLogMs: logMs } };
  } finally {
    out.close();
  }
};
