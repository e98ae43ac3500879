// Workload 3, add: a new process's configuration written → the process running (announce.sh). colony: a
// descriptor renamed into its config directory; supervisord: a conf.d file, then `supervisorctl update`, or
// XML-RPC reloadConfig + addProcessGroup from a persistent client. The added processes keep running (removing
// one from supervisord takes a second: its poll tick), so the Nth addition of a method finds N − 1 others;
// colony's too, alike. colony and supervisord run side by side, the methods taking turns.
import { join } from 'node:path';
import { announce, colonyMeets, Fifo, floorMet, sleep, startColony, startFloor, takeTurns, timeRequest, valuesOf, writeAtomically, type LogRecord, type Timing } from '../lib.ts';
import { startSupervisord, startXmlRpc, type Supervisord } from '../supervisord.ts';
import type { Row, Workload } from '../workload.ts';

const GAP_MS = 100; // after each addition: the supervisor settles

type Method = 'rename' | 'floor' | 'supervisorctl' | 'xmlrpc';

export const run: Workload = async (ctx) => {
  const runs = ctx.runs ?? (ctx.quick ? 10 : 50);
  const out = new Fifo(join(ctx.dir, 'out'), true);
  try {
    const { colony, config } = startColony(join(ctx.dir, 'colony'), {});
    colony.guard(out.feed);
    const floor = startFloor(join(ctx.dir, 'floor'), {});
    floor.floor.guard(out.feed);
    const { supervisord, supervisorPython } = ctx.peers;
    const sv = supervisord ? await startSupervisord('supervisord', join(ctx.dir, 'supervisord'), []) : undefined;
    sv?.pid1.guard(out.feed);
    const rpc = sv && supervisorPython ? startXmlRpc(sv, supervisorPython) : undefined;
    await colony.out.waitFor((r) => String(r.msg).startsWith('ready:'), 'add: colony watching its directories', 20000);
    await sleep(500);

    // One timed addition of `name` by `request`, until the FIFO announces it.
    const add = async (name: string, what: string, request: () => Promise<unknown> | void) => {
      const r = await timeRequest(out, (v) => v[0] === name, `${what}: ${name} running`, request);
      await sleep(GAP_MS);
      return r;
    };
    // A supervisord program's conf.d file written, then loaded by `load`.
    const addProgram = async (s: Supervisord, name: string, what: string, load: () => Promise<unknown>): Promise<number> => {
      const r = await add(name, what, () => {
        s.addProgram({ name, command: announce(out.path, name) });
        return load();
      });
      return r.ms;
    };
    const logMs: number[] = []; // colony's "started" record for the new process (a cross-check)
    const variants: Array<{ key: Method; once: (round: number) => Promise<number> }> = [
      {
        key: 'rename',
        once: async (round) => {
          const name = `add-${round}`;
          const logFrom = colony.out.items.length;
          const r = await add(name, `rename #${round}`, () => void writeAtomically(config, name, JSON.stringify({ args: announce(out.path, name) })));
          const started = (rec: LogRecord): boolean => rec.msg === 'started' && rec.proc === name && String(rec.pid) === r.line[1];
          logMs.push((await colony.out.waitFor(started, `rename #${round}: colony's "started" record`, 10000, logFrom)).at - r.t0);
          return r.ms;
        },
      },
      { key: 'floor', once: async (round) => (await add(`flr-${round}`, `floor rename #${round}`, () => void writeAtomically(floor.config, `flr-${round}`, JSON.stringify({ args: announce(out.path, `flr-${round}`) })))).ms },
    ];
    if (sv) variants.push({ key: 'supervisorctl', once: (round) => addProgram(sv, `ctl-${round}`, `supervisorctl update #${round}`, () => sv.ctl('update')) });
    if (sv && rpc) variants.push({ key: 'xmlrpc', once: (round) => addProgram(sv, `rpc-${round}`, `XML-RPC add #${round}`, () => rpc.send('add', `rpc-${round}`)) });

    ctx.note(`add: ${runs} rounds of ${variants.map((v) => v.key).join(', ')}`);
    const t: Partial<Record<Method, Timing>> = await takeTurns(runs, variants);
    rpc?.close();
    await colony.stop();
    floor.floor.kill();
    await floor.floor.exited;
    sv?.pid1.kill(); // its graceful stop of 2 × runs programs would take half a minute or more (see workload 5)
    await sv?.pid1.exited;

    const workload = '3. add';
    const vs = (m: Method, f: (x: Timing) => number): Record<string, number> => valuesOf(t, f, { colony: 'rename', supervisord: m });
    const floorOf: Record<string, Method> = { colony: 'rename', floor: 'floor' };
    const median = (x: Timing): number => x.medianMs;
    const p95 = (x: Timing): number => x.p95Ms;
    const rows: Row[] = [
      { workload, metric: `written → running, median of ${runs}: rename / XML-RPC`, unit: 'ms', values: vs('xmlrpc', median), base: 'supervisord', goal: '≤ 5 ms', met: colonyMeets(vs('xmlrpc', median), (v) => v <= 5) },
      { workload, metric: '  p95: rename / XML-RPC', unit: 'ms', values: vs('xmlrpc', p95), base: 'supervisord' },
      { workload, metric: '  median: rename / floor', unit: 'ms', values: valuesOf(t, median, floorOf), base: 'floor', goal: '≤ 1.5× floor', met: floorMet(valuesOf(t, median, floorOf)) },
      { workload, metric: '  p95: rename / floor', unit: 'ms', values: valuesOf(t, p95, floorOf), base: 'floor' },
      { workload, metric: '  median: rename / `supervisorctl update`', unit: 'ms', values: vs('supervisorctl', median), base: 'supervisord' },
      { workload, metric: '  p95: rename / `supervisorctl update`', unit: 'ms', values: vs('supervisorctl', p95), base: 'supervisord' },
    ];
    return { rows, details: { runs, ...t, renameLogMs: logMs } };
  } finally {
    out.close();
  }
};
