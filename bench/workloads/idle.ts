// Workload 7, idle cost: each supervisor as PID 1 of its own namespace with 50 idle children (`sleep
// infinity`); after a settle, its CPU time (utime + stime) and context switches (voluntary + nonvoluntary,
// summed over every thread) over a window give its wake-ups per second. All contenders idle at the same time.
import { join } from 'node:path';
import { cpuMs, killEach, liveChildren, now, Pid1, SEA, sleep, startColony, startTracked, threadCounters, until, type ThreadCounters } from '../lib.ts';
import { startSupervisord } from '../supervisord.ts';
import type { Row, Workload } from '../workload.ts';
import { QUIET_MS } from '../../src/system/memory-trim.ts';

const CHILDREN = 50;
// 2 s, plus the quiet period after which colony gives unused heap pages back once (memory-trim.ts):
// a one-off after start-up, not part of being idle.
const SETTLE_MS = 2000 + QUIET_MS + 1000;
const RESCAN_S = 60; // colony's --frequency default: the backup rescan, its only timer

// sh starting n sleepers and waiting for them: the child tini and dumb-init run.
const sleepers = (n: number): string[] => ['/bin/sh', '-c', `i=0; while [ $i -lt ${n} ]; do sleep infinity & i=$((i + 1)); done; wait`];

interface Contender {
  key: string;
  pid: number; // host pid of the supervisor (for bare node: the node process)
  stillIdle(): boolean; // its children are all still there
  perThread: boolean; // keep a per-thread, per-second timeline (colony)
}

interface ThreadReport {
  tid: number;
  name: string;
  switches: number; // over the window
  cpuMs: number;
  perSecond: Array<[number, number]>; // [second of the window, switches in it], only the seconds with any
}

interface IdleResult {
  seconds: number; // the window's length
  cpuMs: number;
  switches: number;
  wakeupsPerS: number;
  secondsWithWakeups: number; // one-second samples in which any thread switched
  threads?: ThreadReport[];
}

// Per-thread switches between two snapshots (a thread born in between counts from zero).
function delta(before: ThreadCounters[], after: ThreadCounters[]): Map<number, { name: string; switches: number; cpuMs: number }> {
  const from = new Map(before.map((t) => [t.tid, t]));
  return new Map(after.map((t) => [t.tid, { name: t.name, switches: t.switches - (from.get(t.tid)?.switches ?? 0), cpuMs: t.cpuMs - (from.get(t.tid)?.cpuMs ?? 0) }]));
}

// Samples every contender once a second over the window.
async function observe(contenders: Contender[], windowS: number): Promise<Record<string, IdleResult>> {
  const t0 = now();
  const first = contenders.map((c) => ({ threads: threadCounters(c.pid), cpu: cpuMs(c.pid) }));
  const prev = first.map((f) => f.threads);
  const busy = contenders.map(() => 0);
  const perSecond = contenders.map(() => new Map<number, Array<[number, number]>>());
  for (let s = 1; s <= windowS; s++) {
    await sleep(1000);
    contenders.forEach((c, i) => {
      const counters = threadCounters(c.pid);
      const d = delta(prev[i]!, counters);
      if ([...d.values()].some((t) => t.switches > 0)) busy[i]!++;
      if (c.perThread) for (const [tid, t] of d) if (t.switches > 0) perSecond[i]!.set(tid, [...(perSecond[i]!.get(tid) ?? []), [s, t.switches]]);
      prev[i] = counters;
    });
  }
  const seconds = (now() - t0) / 1000; // the window, a little over windowS (the samples take time)
  const results: Record<string, IdleResult> = {};
  contenders.forEach((c, i) => {
    const d = delta(first[i]!.threads, prev[i]!);
    const switches = [...d.values()].reduce((sum, t) => sum + t.switches, 0);
    results[c.key] = {
      seconds,
      cpuMs: cpuMs(c.pid) - first[i]!.cpu,
      switches,
      wakeupsPerS: switches / seconds,
      secondsWithWakeups: busy[i]!,
      ...(c.perThread ? { threads: [...d].map(([tid, t]) => ({ tid, ...t, perSecond: perSecond[i]!.get(tid) ?? [] })) } : {}),
    };
  });
  return results;
}

export const run: Workload = async (ctx) => {
  const windowS = ctx.quick ? 5 : 30;
  const names = Array.from({ length: CHILDREN }, (_, i) => `idle-${i + 1}`);
  const started: Array<Pid1 | ReturnType<typeof startTracked>> = [];
  const waits: Array<Promise<Contender>> = [];
  // A PID 1 is ready once `ready(hostPid)` holds (its children are all running).
  const whenReady = (key: string, pid1: Pid1, ready: (pid: number) => boolean, perThread = false): void => {
    started.push(pid1);
    waits.push(
      pid1.hostPid().then(async (pid) => {
        await until(() => ready(pid), `${pid1.label}: ${CHILDREN} idle children running`, 60000, pid1.broken);
        return { key, pid, stillIdle: () => ready(pid), perThread };
      }),
    );
  };
  const direct = (pid: number): boolean => liveChildren(pid).length === CHILDREN;
  const underSh = (pid: number): boolean => liveChildren(pid).flatMap(liveChildren).length === CHILDREN; // init → sh → sleepers
  try {
    ctx.note(`${CHILDREN} idle children under each supervisor; ${SETTLE_MS / 1000} s settle, then ${windowS} s of /proc samples`);
    // supervisord first: startSupervisord awaits its socket, and nothing else may be waiting (unhandled) meanwhile.
    if (ctx.peers.supervisord) {
      const programs = names.map((name) => ({ name, command: ['sleep', 'infinity'] }));
      const sup = await startSupervisord('supervisord', join(ctx.dir, 'supervisord'), programs);
      whenReady('supervisord', sup.pid1, direct);
    }
    const descriptors = Object.fromEntries(names.map((n) => [n, ['sleep', 'infinity']]));
    whenReady('colony', startColony(join(ctx.dir, 'colony'), descriptors).colony, direct, true);
    if (ctx.sea) whenReady('colony-sea', startColony(join(ctx.dir, 'colony-sea'), descriptors, { command: [SEA], label: 'colony-sea' }).colony, direct, true);
    if (ctx.peers.tini) whenReady('tini', new Pid1('tini', [ctx.peers.tini, '--', ...sleepers(CHILDREN)], 'ignore'), underSh);
    if (ctx.peers.dumbInit) whenReady('dumb-init', new Pid1('dumb-init', [ctx.peers.dumbInit, '--', ...sleepers(CHILDREN)], 'ignore'), underSh);
    const node = startTracked(process.execPath, ['-e', 'setInterval(()=>{},1e9)']);
    started.push(node);
    const contenders = await Promise.all(waits);
    if (node.pid === undefined || node.exitCode !== null) throw new Error('the bare node process is not running');
    contenders.push({ key: 'node', pid: node.pid, stillIdle: () => node.exitCode === null, perThread: false });
    await sleep(SETTLE_MS);
    const results = await observe(contenders, windowS);
    for (const c of contenders) if (!c.stillIdle()) throw new Error(`${c.key}: its idle children are no longer all running`);
    for (const p of started) if (p instanceof Pid1 && p.label.startsWith('colony')) await p.stop();

    const values = (f: (r: IdleResult) => number): Record<string, number> => Object.fromEntries(Object.entries(results).map(([k, r]) => [k, f(r)]));
    // A backup rescan every RESCAN_S s may fall in the window: at most that many one-second samples may show wake-ups.
    const rescans = Math.ceil(windowS / RESCAN_S);
    const colonies = ['colony', 'colony-sea'].filter((k) => results[k]);
    const rows: Row[] = [
      {
        workload: '7. idle',
        metric: `wake-ups/s, ${CHILDREN} idle children (${windowS} s)`,
        unit: 'wakeups/s',
        values: values((r) => r.wakeupsPerS),
        base: 'supervisord',
        goal: `0 (a backup rescan every ${RESCAN_S} s excepted)`,
        met: colonies.every((k) => results[k]!.secondsWithWakeups <= rescans),
      },
      { workload: '7. idle', metric: `CPU time over ${windowS} s`, unit: 'CPU ms', values: values((r) => r.cpuMs), base: 'supervisord' },
    ];
    // Which of colony's threads woke, and in which seconds of the window.
    const woke = (k: string): string =>
      results[k]!.threads!.filter((t) => t.switches > 0)
        .map((t) => `${t.name} ${t.switches} (s ${t.perSecond.map(([sec]) => sec).join(', ')})`)
        .join('; ') || 'none';
    const notes = colonies.map((k) => `7. idle: ${k}'s threads that woke in the ${windowS} s: ${woke(k)}.`);
    return { rows, notes, details: { children: CHILDREN, settleMs: SETTLE_MS, windowS, rescanEveryS: RESCAN_S, results } };
  } finally {
    await killEach(started);
  }
};
