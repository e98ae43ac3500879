// Workload 10, scale: 500 processes (fixtures/announce.sh, which writes "NAME PID" into a FIFO as soon as it
// runs, then idles as `sleep infinity`). Times from the supervisor's start until every one has announced
// itself, and from a restart-all request until every one has announced a new pid; the supervisor's RSS
// with all of them running. colony: one descriptor each, a RESTART-ALL message file; supervisord: one
// program each, `supervisorctl restart all`.
import { join } from 'node:path';
import { announce, BUNDLE_CMD, colonyArgv, colonyDirs, Fifo, floorArgv, floorMet, killEach, now, Pid1, rssSplit, sleep, writeAtomically, type Feed, type RssSplit } from '../lib.ts';
import { startSupervisord } from '../supervisord.ts';
import type { Ctx, Row, Workload } from '../workload.ts';

const SETTLE_MS = 3000; // before the RSS reading, as in the memory workload
const GOAL_MS = 3000;

interface ScaleResult {
  startMs: number; // start → all announced
  restartMs: number; // the restart-all request → all announced a new pid
  requestMs?: number; // supervisorctl restart all: the command's own run time
  rss: RssSplit; // with all running, after the settle
}

// Waits until every name has announced a pid (other than its pid in `old`); returns when the last one came, and the pids.
async function allAnnounced(feed: Feed<string[]>, names: string[], what: string, timeoutMs: number, from = 0, old?: Map<string, string>): Promise<{ at: number; pids: Map<string, string> }> {
  const waiting = new Set(names);
  const pids = new Map<string, string>();
  const last = await feed.waitFor(
    ([name, pid]) => {
      if (name !== undefined && pid !== undefined && waiting.has(name) && pid !== old?.get(name)) {
        waiting.delete(name);
        pids.set(name, pid);
      }
      return waiting.size === 0;
    },
    `${what} (${names.length - waiting.size} of ${names.length} so far)`,
    timeoutMs,
    from,
  );
  return { at: last.at, pids };
}

interface Started {
  pid1: Pid1;
  t0: number; // now() just before the supervisor was started
  restartAll(): Promise<number | void>; // requests a restart of all; supervisorctl's resolves with now() when the command is done
  stop(): Promise<unknown>;
}

// One contender: `start` launches it with one process per name announcing itself into the FIFO.
async function scale(ctx: Ctx, key: string, n: number, start: (fifo: string, names: string[]) => Promise<Started>): Promise<ScaleResult> {
  const names = Array.from({ length: n }, (_, i) => `s${String(i).padStart(3, '0')}`);
  let pid1: Pid1 | undefined;
  const fifo = new Fifo(join(ctx.dir, `${key}.fifo`), true);
  try {
    const c = await start(fifo.path, names);
    pid1 = c.pid1;
    pid1.guard(fifo.feed);
    const up = await allAnnounced(fifo.feed, names, `${key}: all ${n} running`, 120000);
    await sleep(SETTLE_MS);
    const rss = rssSplit(await pid1.hostPid());
    const from = fifo.feed.items.length;
    const t1 = now();
    const requested = await c.restartAll();
    const again = await allAnnounced(fifo.feed, names, `${key}: all ${n} restarted`, 300000, from, up.pids);
    await c.stop();
    return { startMs: up.at - c.t0, restartMs: again.at - t1, ...(typeof requested === 'number' ? { requestMs: requested - t1 } : {}), rss };
  } finally {
    fifo.close();
    if (pid1) await killEach([pid1]);
  }
}

export const run: Workload = async (ctx) => {
  const n = ctx.quick ? 100 : 500;
  const results: Record<string, ScaleResult> = {};
  ctx.note(`scale: ${n} processes under colony`);
  results.colony = await scale(ctx, 'colony', n, async (fifo, names) => {
    const dirs = colonyDirs(join(ctx.dir, 'colony'), Object.fromEntries(names.map((name) => [name, announce(fifo, name)])));
    const t0 = now(); // the descriptors are written: the clock runs from the spawn
    const pid1 = new Pid1('colony', colonyArgv(BUNDLE_CMD, dirs));
    return {
      pid1,
      t0,
      restartAll: async () => void writeAtomically(dirs.messages, 'restart-all', JSON.stringify({ type: 'RESTART-ALL' })),
      stop: () => pid1.stop(60000),
    };
  });
  ctx.note(`scale: ${n} processes under the floor (floors/supervise.cjs)`);
  results.floor = await scale(ctx, 'floor', n, async (fifo, names) => {
    const dirs = colonyDirs(join(ctx.dir, 'floor'), Object.fromEntries(names.map((name) => [name, announce(fifo, name)])));
    const t0 = now();
    const pid1 = new Pid1('floor', floorArgv(dirs), 'ignore');
    return {
      pid1,
      t0,
      restartAll: async () => void writeAtomically(dirs.messages, 'restart-all', JSON.stringify({ type: 'RESTART-ALL' })),
      stop: async () => pid1.kill(),
    };
  });
  if (ctx.peers.supervisord) {
    ctx.note(`scale: ${n} programs under supervisord`);
    results.supervisord = await scale(ctx, 'supervisord', n, async (fifo, names) => {
      const t0 = now(); // includes writing its n config files (a few ms)
      const sup = await startSupervisord('supervisord', join(ctx.dir, 'supervisord'), names.map((name) => ({ name, command: announce(fifo, name) })));
      // Killed, not stopped: supervisord's graceful stop of hundreds of programs takes long, and is not measured here.
      return { pid1: sup.pid1, t0, restartAll: async () => (await sup.ctl('restart', 'all'), now()), stop: async () => sup.pid1.kill() };
    });
  }
  const values = (f: (r: ScaleResult) => number, keys = ['colony', 'supervisord']): Record<string, number> => Object.fromEntries(Object.entries(results).filter(([k]) => keys.includes(k)).map(([k, r]) => [k, f(r)]));
  const floorOnly = (f: (r: ScaleResult) => number): Record<string, number> => values(f, ['colony', 'floor']);
  const rows: Row[] = [
    { workload: '10. scale', metric: `start → all ${n} running`, unit: 'ms', values: values((r) => r.startMs), base: 'supervisord', goal: '≤ 3 s', met: results.colony!.startMs <= GOAL_MS },
    { workload: '10. scale', metric: `  start → all ${n} running / floor`, unit: 'ms', values: floorOnly((r) => r.startMs), base: 'floor', goal: '≤ 1.5× floor', met: floorMet(floorOnly((r) => r.startMs)) },
    { workload: '10. scale', metric: `restart all → ${n} new pids (message file / supervisorctl)`, unit: 'ms', values: values((r) => r.restartMs), base: 'supervisord' },
    { workload: '10. scale', metric: `  restart all → ${n} new pids / floor`, unit: 'ms', values: floorOnly((r) => r.restartMs), base: 'floor', goal: '≤ 1.5× floor', met: floorMet(floorOnly((r) => r.restartMs)) },
    { workload: '10. scale', metric: `VmRSS with ${n} running`, unit: 'MiB', values: values((r) => r.rss.vmRssKiB / 1024, ['colony', 'supervisord', 'floor']), base: 'supervisord' },
  ];
  const notes = [`10. scale: "running" = the process wrote "NAME PID" into a FIFO the bench reads (fixtures/announce.sh); supervisord's start includes writing its ${n} program files.`];
  return { rows, notes, details: { processes: n, detection: 'each process writes "NAME PID" into a FIFO the bench reads (fixtures/announce.sh)', settleMs: SETTLE_MS, results } };
};
