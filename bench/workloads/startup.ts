// Workload 6, start-up: exec → first child running. Each run is a fresh PID 1 whose only child is
// announce.sh; timed from just before spawn() of `unshare …` until the fixture's line arrives through the
// FIFO; then SIGTERM, after which PID 1 must exit cleanly. The single executable and the bundle, next to
// `node -e 0` (spawn → exit, no unshare, no fixture: the floor for any Node program), and tini and dumb-init
// running announce.sh (the fixed cost of unshare + sh + the FIFO, which colony's rows include too).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { announce, BUNDLE_CMD, colonyArgv, colonyDirs, colonyMeets, Fifo, now, Pid1, SEA, startTracked, takeTurns, valuesOf, type Timing } from '../lib.ts';
import type { Row, Workload } from '../workload.ts';

const GOAL = 1.5; // within 1.5× of `node -e 0`

// One start-up of the PID 1 `launch` makes (given the FIFO), which must exit with `expected` on SIGTERM.
async function firstSpawn(dir: string, launch: (fifo: string) => Pid1, expected: number): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const out = new Fifo(join(dir, 'out'), true);
  try {
    const t0 = now();
    const pid1 = launch(out.path);
    pid1.guard(out.feed);
    const seen = await out.feed.waitFor((v) => v[0] === 'svc', `${pid1.label}: first spawn`, 20000);
    await pid1.stop(15000, expected);
    return seen.at - t0;
  } finally {
    out.close();
  }
}

// `node -e 0`: from just before spawn() until its exit (which must be 0).
async function bareNodeStart(): Promise<number> {
  const t0 = now();
  const child = startTracked(process.execPath, ['-e', '0']);
  let at = 0;
  child.once('exit', () => void (at = now()));
  const code = await child.exited;
  if (code !== 0) throw new Error(`node -e 0 exited with ${String(code ?? child.signalCode)}`);
  return at - t0;
}

export const run: Workload = async (ctx) => {
  const runs = ctx.runs ?? (ctx.quick ? 5 : 20);
  const { tini, dumbInit } = ctx.peers;
  // colony's command line is built before the clock starts (its descriptor written into a fresh config dir).
  const colony = (key: string, command: string[]) => (round: number) => {
    const d = join(ctx.dir, `${key}-${round}`);
    const argv = colonyArgv(command, colonyDirs(d, { svc: announce(join(d, 'out'), 'svc') }));
    return firstSpawn(d, () => new Pid1(key, argv), 0);
  };
  const peer = (key: string, argv: (fifo: string) => string[], expected: number) => (round: number) =>
    firstSpawn(join(ctx.dir, `${key}-${round}`), (fifo) => new Pid1(key, argv(fifo), 'ignore'), expected);
  const variants = [
    { key: 'colony', once: colony('colony', BUNDLE_CMD) },
    { key: 'node', once: bareNodeStart },
  ];
  if (ctx.sea) variants.push({ key: 'colony-sea', once: colony('colony-sea', [SEA]) });
  // tini's -e 143 maps the exit status of its SIGTERM-ed child to 0; dumb-init exits with it (128 + 15).
  if (tini) variants.push({ key: 'tini', once: peer('tini', (fifo) => [tini, '-s', '-e', '143', '--', ...announce(fifo, 'svc')], 0) });
  if (dumbInit) variants.push({ key: 'dumb-init', once: peer('dumb-init', (fifo) => [dumbInit, ...announce(fifo, 'svc')], 143) });
  ctx.note(`startup: ${runs} runs + 1 warm-up of ${variants.map((v) => v.key).join(', ')}, each a fresh PID 1`);
  const t: Record<string, Timing> = await takeTurns(runs, variants, 1);

  const workload = '6. startup';
  const median = valuesOf(t, (x) => x.medianMs);
  const rows: Row[] = [
    { workload, metric: `exec → first child running, median of ${runs}`, unit: 'ms', values: median, base: 'node', goal: `≤ ${GOAL}× node -e 0`, met: colonyMeets(median, (v) => v <= GOAL * median.node!) },
    { workload, metric: '  p95', unit: 'ms', values: valuesOf(t, (x) => x.p95Ms), base: 'node' },
  ];
  const notes = ["startup: `node -e 0` is spawn → exit; the others include unshare, sh and the FIFO, whose cost tini's and dumb-init's figures show: colony's own share is its figure minus theirs."];
  return { rows, notes, details: { runs, ...t } };
};
