// Workload 5, stop: 50 `sleep infinity` (which exit at once on SIGTERM) under PID 1; SIGTERM to PID 1 → PID 1
// exited (the exit of unshare, which follows it at once). Each run is a fresh PID 1 whose 50 processes are all
// running: colony with 50 descriptors, supervisord with 50 programs, dumb-init running a sh that starts 50
// sleepers in dumb-init's session (dumb-init forwards the SIGTERM to the whole session) and waits.
import { join } from 'node:path';
import { alive, cmdline, colonyMeets, descendants, Pid1, sleep, sleepers, startColony, takeTurns, until, valuesOf, type Timing } from '../lib.ts';
import { startSupervisord } from '../supervisord.ts';
import type { Row, Workload } from '../workload.ts';

const PROCESSES = 50;
const names = Array.from({ length: PROCESSES }, (_, i) => `p${i + 1}`);

// Waits until all the sleepers run under PID 1, lets it settle, then times its stop (it must exit with `expected`).
async function timeStop(pid1: Pid1, expected: number): Promise<number> {
  const host = await pid1.hostPid();
  const sleeping = (): number => descendants(host).filter((p) => alive(p) && cmdline(p)[0] === 'sleep').length;
  await until(() => sleeping() === PROCESSES, `${pid1.label}: ${PROCESSES} sleepers running`, 30000, pid1.broken);
  await sleep(300);
  return pid1.stop(120000, expected);
}

export const run: Workload = async (ctx) => {
  const runs = ctx.quick ? 2 : 5;
  const { dumbInit } = ctx.peers;
  const supervisord = ctx.quick ? undefined : ctx.peers.supervisord; // each of its stops takes 20-30 s: not in the quick budget
  const sleep50 = Object.fromEntries(names.map((n) => [n, ['sleep', 'infinity']]));
  const variants = [{ key: 'colony', once: (round: number) => timeStop(startColony(join(ctx.dir, `colony-${round}`), sleep50).colony, 0) }];
  // dumb-init exits with 128 + 15 when its child (the sh) dies of the SIGTERM it forwarded.
  if (dumbInit) variants.push({ key: 'dumb-init', once: () => timeStop(new Pid1('dumb-init', [dumbInit, ...sleepers(PROCESSES)], 'ignore'), 143) });
  if (supervisord) {
    const programs = names.map((name) => ({ name, command: ['sleep', 'infinity'] }));
    variants.push({ key: 'supervisord', once: async (round) => timeStop((await startSupervisord('supervisord', join(ctx.dir, `supervisord-${round}`), programs)).pid1, 0) });
  }
  ctx.note(`stop: ${runs} runs of ${variants.map((v) => v.key).join(', ')}`);
  const t: Record<string, Timing> = await takeTurns(runs, variants);

  const workload = '5. stop';
  const median = valuesOf(t, (x) => x.medianMs);
  const rows: Row[] = [
    { workload, metric: `SIGTERM to PID 1 → exited, ${PROCESSES} processes, median of ${runs}`, unit: 'ms', values: median, base: 'dumb-init', goal: '≤ 150 ms', met: colonyMeets(median, (v) => v <= 150) },
    { workload, metric: '  slowest run', unit: 'ms', values: valuesOf(t, (x) => Math.max(...x.samplesMs)), base: 'dumb-init' },
  ];
  const notes = ctx.quick && ctx.peers.supervisord ? ['stop: supervisord is measured in the full run only (each of its stops takes 20-30 s).'] : [];
  return { rows, notes, details: { processes: PROCESSES, runs, ...t } };
};
