// Workload 1, orphan reap: a supervised shell (fixtures/storm.sh) orphans N short-lived processes to PID 1
// as fast as it can fork; timed from the storm's end until PID 1 has no child left but the fixture. colony,
// tini and dumb-init, each as PID 1 of its own namespace running the same fixture, one after the other.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { childrenOf, colonyMeets, Fifo, FIXTURES, median, now, Pid1, sleep, startColony, stateOf } from '../lib.ts';
import type { Row, Workload } from '../workload.ts';

interface Storm {
  stormMs: number; // "go" written → "done" received
  reapLagMs: number; // "done" received → start of the first look that found no adopted child
  leftAtEnd: number; // adopted children (zombie or alive) at the first look after the storm's end
  peakBacklog: number; // most adopted children seen, sampled every 20 ms during the storm
}

interface StormResult {
  storms: Storm[];
  medianReapLagMs: number;
  medianStormMs: number;
  medianLeftAtEnd: number;
  peakBacklog: number;
  zombiesLeft: number; // after the last storm, once everything settled (the workload fails if any)
}

// storm.sh's command line (see the fixture).
const storm = (out: string, go: string): string[] => ['/bin/sh', join(FIXTURES, 'storm.sh'), out, go];

// One storm of n orphans; `adopted` lists PID 1's children other than the fixture.
async function oneStorm(label: string, n: number, out: Fifo, go: Fifo, adopted: () => number[]): Promise<Storm> {
  const ended = out.feed.waitFor((v) => v[0] === 'done', `${label}: storm end`, 600000, out.feed.items.length);
  let finished = false;
  const over = ended.then(() => void (finished = true), () => void (finished = true));
  const started = now();
  go.send(`${n}\n`);
  let peakBacklog = 0;
  while (!finished) {
    peakBacklog = Math.max(peakBacklog, adopted().length); // one read per thread of PID 1: cheap
    await Promise.race([sleep(20), over]); // wakes at once at the storm's end
  }
  const end = (await ended).at;
  let leftAtEnd: number | undefined;
  for (;;) {
    const looked = now(); // stamped before the look, so that the look's own cost is not counted
    const left = adopted();
    leftAtEnd ??= left.length;
    if (left.length === 0) return { stormMs: end - started, reapLagMs: looked - end, leftAtEnd, peakBacklog };
    if (now() - end > 30000) {
      const zombies = left.filter((p) => stateOf(p) === 'Z').length;
      throw new Error(`${label}: ${zombies} zombie(s) and ${left.length - zombies} live orphan(s) still there 30 s after the storm`);
    }
    await sleep(1);
  }
}

// `rounds` storms of n orphans under one PID 1 (`launch` starts it with storm.sh as its child), each measured
// from the storm's end until PID 1 has no child left but the fixture (no zombie, no orphan); then PID 1 is
// stopped: `graceful` with SIGTERM (it must exit 0), else killed.
async function orphanStorms(label: string, dir: string, n: number, rounds: number, launch: (out: string, go: string) => Pid1, graceful: boolean): Promise<StormResult> {
  mkdirSync(dir, { recursive: true });
  const out = new Fifo(join(dir, 'out'), true);
  const go = new Fifo(join(dir, 'go'), false);
  try {
    const pid1 = launch(out.path, go.path);
    pid1.guard(out.feed);
    await out.feed.waitFor((v) => v[0] === 'ready', `${label}: storm fixture start`, 20000);
    const host = await pid1.hostPid();
    await sleep(500); // let PID 1 finish starting up
    const baseline = new Set(childrenOf(host));
    const adopted = (): number[] => childrenOf(host).filter((p) => !baseline.has(p));
    const storms: Storm[] = [];
    for (let r = 0; r < rounds; r++) {
      storms.push(await oneStorm(label, n, out, go, adopted));
      await sleep(300);
    }
    go.send('0\n');
    await sleep(500);
    const zombiesLeft = childrenOf(host).filter((p) => stateOf(p) === 'Z').length;
    if (zombiesLeft > 0) throw new Error(`${label}: ${zombiesLeft} zombie(s) reappeared after all were reaped`);
    if (graceful) await pid1.stop();
    else {
      pid1.kill();
      await pid1.exited;
    }
    const medianOf = (f: (st: Storm) => number): number => median(storms.map(f));
    return {
      storms,
      medianReapLagMs: medianOf((st) => st.reapLagMs),
      medianStormMs: medianOf((st) => st.stormMs),
      medianLeftAtEnd: medianOf((st) => st.leftAtEnd),
      peakBacklog: Math.max(...storms.map((st) => st.peakBacklog)),
      zombiesLeft,
    };
  } finally {
    out.close();
    go.close();
  }
}

export const run: Workload = async (ctx) => {
  const n = ctx.orphans ?? (ctx.quick ? 1000 : 10000);
  const rounds = ctx.quick ? 3 : 5;
  const { tini, dumbInit } = ctx.peers;
  const inits: Array<{ key: string; graceful: boolean; launch: (out: string, go: string) => Pid1 }> = [
    { key: 'colony', graceful: true, launch: (out, go) => startColony(join(ctx.dir, 'colony'), { storm: storm(out, go) }).colony },
  ];
  if (tini) inits.push({ key: 'tini', graceful: false, launch: (out, go) => new Pid1('tini', [tini, '-s', '--', ...storm(out, go)], 'ignore') });
  if (dumbInit) inits.push({ key: 'dumb-init', graceful: false, launch: (out, go) => new Pid1('dumb-init', [dumbInit, ...storm(out, go)], 'ignore') });

  const results: Record<string, StormResult> = {};
  for (const init of inits) {
    ctx.note(`reap: ${rounds} storms of ${n} orphans under ${init.key}`);
    results[init.key] = await orphanStorms(init.key, join(ctx.dir, init.key), n, rounds, init.launch, init.graceful);
  }
  const values = (f: (r: StormResult) => number): Record<string, number> => Object.fromEntries(Object.entries(results).map(([k, r]) => [k, f(r)]));
  const workload = '1. reap';
  const lag = values((r) => r.medianReapLagMs);
  const rows: Row[] = [
    {
      workload,
      metric: `storm end → no zombie, median of ${rounds} storms of ${n}`,
      unit: 'ms',
      values: lag,
      base: 'tini',
      goal: '≤ 1.2× tini',
      met: lag.tini === undefined ? undefined : colonyMeets(lag, (v) => v <= 1.2 * lag.tini!),
    },
    { workload, metric: "orphans left at the storm's end (median)", unit: 'count', values: values((r) => r.medianLeftAtEnd) },
    { workload, metric: 'peak orphan backlog (sampled every 20 ms)', unit: 'count', values: values((r) => r.peakBacklog), base: 'tini' },
    { workload, metric: 'storm duration (median)', unit: 'ms', values: values((r) => r.medianStormMs), base: 'tini' },
    { workload, metric: 'zombies left', unit: 'count', values: values((r) => r.zombiesLeft) },
  ];
  const notes: string[] = [];
  if (Object.values(results).every((r) => r.storms.every((st) => st.leftAtEnd === 0))) {
    notes.push("reap: every init had reaped every orphan by the storm's end, so the lag is the bench's own reaction time and its ratio is noise; the peak backlog is the telling figure.");
  }
  return { rows, notes, details: { orphans: n, rounds, ...results } };
};
