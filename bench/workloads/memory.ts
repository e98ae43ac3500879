// Workload 8, memory: VmRSS of each supervisor with 1, 100 and 500 idle children (`sleep infinity`), read
// 3 s after every child of every contender is running; all contenders run at the same time, one size after
// the other. Next to them: a bare Node process, and a plain Node process spawning the same children
// (fixtures/spawner.mjs: child_process.spawn with stdout/stderr pipes it reads).
import { join } from 'node:path';
import { colonyMeets, evictFromPageCache, FIXTURES, killEach, liveChildren, Pid1, rssSplit, SEA, sleep, startColony, startTracked, until, type RssSplit } from '../lib.ts';
import { startSupervisord } from '../supervisord.ts';
import type { Row, Workload } from '../workload.ts';
import { QUIET_MS } from '../../src/system/memory-trim.ts';

const SETTLE_MS = 3000 + QUIET_MS;
const GOAL_CHILDREN = 100;
// The goal's 55 MB, read as MiB: the reference figures it was set against (bare Node 41.7, a Node process
// spawning 100 children 50.8, supervisord 31.9) are what VmRSS gives here in MiB.
const GOAL_KIB = 55 * 1024;
const SPAWNER = join(FIXTURES, 'spawner.mjs');
const MiB = (kib: number): number => kib / 1024;

interface Measured {
  pid: number; // host pid of the supervisor
  children: () => number; // its running children now
}

// RSS of every contender with n idle children each.
async function withChildren(ctx: Parameters<Workload>[0], n: number): Promise<Record<string, RssSplit>> {
  const dir = join(ctx.dir, `n${n}`);
  const names = Array.from({ length: n }, (_, i) => `idle-${i + 1}`);
  const started: Array<Pid1 | ReturnType<typeof startTracked>> = [];
  const contenders = new Map<string, Pid1>();
  evictFromPageCache([SEA, process.execPath]);
  try {
    // supervisord first: startSupervisord awaits its socket, and nothing else may be waiting (unhandled) meanwhile.
    if (ctx.peers.supervisord) {
      const sup = await startSupervisord('supervisord', join(dir, 'supervisord'), names.map((name) => ({ name, command: ['sleep', 'infinity'] })));
      started.push(sup.pid1);
      contenders.set('supervisord', sup.pid1);
    }
    const descriptors = Object.fromEntries(names.map((name) => [name, ['sleep', 'infinity']]));
    contenders.set('colony', startColony(join(dir, 'colony'), descriptors).colony);
    if (ctx.sea) contenders.set('colony-sea', startColony(join(dir, 'colony-sea'), descriptors, { command: [SEA], label: 'colony-sea' }).colony);
    // The spawner runs as PID 1 only so that killing it takes its children along.
    contenders.set('node-spawn', new Pid1('node-spawn', [process.execPath, SPAWNER, String(n)], 'ignore'));
    for (const [key, p] of contenders) if (key !== 'supervisord') started.push(p);
    const bare = startTracked(process.execPath, ['-e', 'setInterval(()=>{},1e9)']);
    started.push(bare);

    const measured = new Map<string, Measured>();
    await Promise.all(
      [...contenders].map(async ([key, pid1]) => {
        const pid = await pid1.hostPid();
        const children = (): number => liveChildren(pid).length;
        await until(() => children() === n, `${pid1.label}: ${n} idle children running`, 120000, pid1.broken, 50);
        measured.set(key, { pid, children });
      }),
    );
    if (bare.pid === undefined || bare.exitCode !== null) throw new Error('the bare node process is not running');
    measured.set('node', { pid: bare.pid, children: () => 0 });
    await sleep(SETTLE_MS);
    const rss = Object.fromEntries([...measured].map(([key, m]) => [key, rssSplit(m.pid)]));
    for (const [key, m] of measured) if (key !== 'node' && m.children() !== n) throw new Error(`${key}: ${m.children()} children running instead of ${n}`);
    for (const [key, p] of contenders) if (key.startsWith('colony')) await p.stop(30000);
    return rss;
  } finally {
    await killEach(started);
  }
}

export const run: Workload = async (ctx) => {
  const sizes = ctx.quick ? [1, GOAL_CHILDREN] : [1, GOAL_CHILDREN, 500];
  const bySize: Record<number, Record<string, RssSplit>> = {};
  for (const n of sizes) {
    ctx.note(`VmRSS with ${n} idle children (each contender as PID 1, read ${SETTLE_MS / 1000} s after all are running)`);
    bySize[n] = await withChildren(ctx, n);
  }
  const rows: Row[] = sizes.map((n) => {
    const values = Object.fromEntries(Object.entries(bySize[n]!).map(([k, r]) => [k, MiB(r.vmRssKiB)]));
    return {
      workload: '8. memory',
      metric: `VmRSS, ${n} idle ${n === 1 ? 'child' : 'children'}`,
      unit: 'MiB',
      values,
      base: 'node',
      ...(n === GOAL_CHILDREN ? { goal: '≤ 55 MiB', met: colonyMeets(values, (v) => v * 1024 <= GOAL_KIB) } : {}),
    };
  });
  // Where the memory is: anonymous (heaps, stacks) against mapped files (the executable's pages it touched).
  const split = (k: string): string => {
    const r = bySize[GOAL_CHILDREN]![k];
    return r ? `${k} ${MiB(r.anonKiB).toFixed(1)} + ${MiB(r.fileKiB).toFixed(1)}` : '';
  };
  const notes = [`8. memory: RssAnon + RssFile (MiB) at ${GOAL_CHILDREN} children: ${['colony', 'colony-sea', 'node', 'node-spawn', 'supervisord'].map(split).filter(Boolean).join(', ')}; node-spawn = a Node process spawning the children with pipes (fixtures/spawner.mjs).`];
  return { rows, notes, details: { settleMs: SETTLE_MS, unit: 'KiB', spawner: 'fixtures/spawner.mjs (node, child_process.spawn, stdout/stderr pipes)', bySize } };
};
